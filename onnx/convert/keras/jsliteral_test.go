package keras

import (
	"strings"
	"testing"
)

func TestJSLiteralToJSON(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unquoted keys", `{a:1,b_c:"x",$d:null}`, `{"a":1,"b_c":"x","$d":null}`},
		{"quoted keys", `{"a b":1,'c':2}`, `{"a b":1,"c":2}`},
		{"numeric keys", `{1:[0],23:"x"}`, `{"1":[0],"23":"x"}`},
		{"minified booleans", `[!0,!1,true,false]`, `[true,false,true,false]`},
		{"undefined", `[void 0,undefined]`, `[null,null]`},
		{"leading dot", `[.5,-.87334511607301]`, `[0.5,-0.87334511607301]`},
		{"exponent", `[1963169733975448e-20,1E3,2e+2]`, `[1.963169733975448e-05,1000,200]`},
		{"negative zero", `{min:-0}`, `{"min":-0}`},
		{"trailing dot", `[5.]`, `[5]`},
		{"hex", `[0x1F,0XfF]`, `[31,255]`},
		{"float64 rounding like JS", `[.006666756611244351]`, `[0.006666756611244351]`},
		{"nested", `{a:[[["in",0,0,{}]]]}`, `{"a":[[["in",0,0,{}]]]}`},
		{"empty", `{a:{},b:[]}`, `{"a":{},"b":[]}`},
		{"trailing commas", `{a:[1,2,],}`, `{"a":[1,2]}`},
		{"whitespace and comments", " { a : 1 , /* c */ b // x\n : 2 } ", `{"a":1,"b":2}`},
		{"single-quoted string", `'it\'s'`, `"it's"`},
		{"escapes", `"a\n\t\"\\\/\x41\u0042\u{43}\0"`, `"a\n\t\"\\/ABC\u0000"`},
		{"surrogate pair", `"\ud83d\ude00"`, `"😀"`},
		{"lone surrogate", `"\ud83d"`, `"�"`},
		{"utf-8 passes through", `"héllo"`, `"héllo"`},
		{"line continuation", "\"a\\\nb\"", `"ab"`},
		{"html characters stay valid JSON", `"<&>"`, `"\u003c\u0026\u003e"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsLiteralToJSON([]byte(tt.in))
			if err != nil {
				t.Fatalf("jsLiteralToJSON(%q): %v", tt.in, err)
			}
			if string(got) != tt.want {
				t.Errorf("jsLiteralToJSON(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestJSLiteralToJSONErrors(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"call", `{a:e()}`, `identifier "e"`},
		{"NaN", `[NaN]`, `identifier "NaN"`},
		{"Infinity", `[1/0]`, `expected ',' or ']'`},
		{"overflow", `[1e999]`, "not a finite float64"},
		{"hole", `[1,,2]`, "holes"},
		{"unterminated string", `"abc`, "unterminated string"},
		{"newline in string", "\"a\nb\"", "line break"},
		{"octal escape", `"\1"`, "octal"},
		{"bad hex escape", `"\xZZ"`, "bad hex escape"},
		{"missing colon", `{a 1}`, "expected ':'"},
		{"missing comma", `{a:1 b:2}`, "expected ',' or '}'"},
		{"unclosed object", `{a:1`, "expected ',' or '}'"},
		{"trailing garbage", `{} x`, "after the literal"},
		{"octal number", `[0o7]`, "unsupported numeric literal"},
		{"bigint", `[1n]`, "unsupported numeric literal"},
		{"legacy octal", `[010]`, "leading zero"},
		{"legacy octal key", `{010:1}`, "leading zero"},
		{"float key", `{1.5:2}`, "plain integer numeric keys"},
		{"too deep", strings.Repeat("[", maxLiteralDepth+1), "nesting deeper"},
		{"empty", ``, "unexpected end of input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsLiteralToJSON([]byte(tt.in))
			if err == nil {
				t.Fatalf("jsLiteralToJSON(%q) = %s, want an error", tt.in, got)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("jsLiteralToJSON(%q) error %q, want it to contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

// umd wraps body the way browserify's standalone UMD bundles do, as nsfwjs's
// model.min.js and group1-shard1of1.min.js are written.
func umd(global, body string) string {
	return `!function(e){if("object"==typeof exports&&"undefined"!=typeof module)module.exports=e();` +
		`else if("function"==typeof define&&define.amd)define([],e);else{("undefined"!=typeof window?window:this).` +
		global + `=e()}}(function(){return function e(a,n,i){function l(_,o){if(!n[_]){var r=n[_]={exports:{}};` +
		`a[_][0].call(r.exports,function(e){return l(a[_][1][e]||e)},r,r.exports,e,a,n,i)}return n[_].exports}` +
		`for(var t=0;t<i.length;t++)l(i[t]);return l}({1:[function(e,a,n){a.exports=` + body + `},{}]},{},[1])(1)});`
}

func TestExportedLiteral(t *testing.T) {
	tests := []struct {
		name, in, want, wantErr string
	}{
		{"object", umd("model", `{modelTopology:{a:!0},weightsManifest:[]}`), `{"modelTopology":{"a":true},"weightsManifest":[]}`, ""},
		{"string", umd("group1_shard1of1", `"AAEC/w=="`), `"AAEC/w=="`, ""},
		{"spaces around =", `module.exports = {a:1};`, `{"a":1}`, ""},
		{"comparison is not assignment", `if(x.exports=={a:1}){}`, "", "no `.exports"},
		{"no literal", umd("model", `e(1)`), "", "no `.exports"},
		{"two literals", `a.exports={};b.exports=[]`, "", "second exported literal"},
		{"bad literal", umd("model", `{a:b}`), "", `identifier "b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := exportedLiteral([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("exportedLiteral = %s, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("exportedLiteral = %s, want %s", got, tt.want)
			}
		})
	}
}
