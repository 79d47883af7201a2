#!/usr/bin/env node
// Asks Hugging Face tokenizers itself (the pinned Node binding) how it
// classifies every Unicode code point, and writes what extract/tokenizer
// needs to match it exactly:
//
//   node unicode.cjs --tables ../../extract/tokenizer/unicode_tables.go \
//                    --oracle ../../extract/tokenizer/testdata/unicode_oracle.json.gz
//
// HF's Rust code classifies characters with crates whose Unicode tables are
// older or newer than Go's (unicode_categories is frozen years back), so
// deriving the sets from Go's unicode package would be wrong at the edges.
// Instead each set is measured: a component is run on one character (or on
// "a" + character + "a") and the result says which class it fell into.
//
// --tables writes Go range tables for the sets the package looks up at run
//          time (gofmt the file afterwards).
// --oracle writes gzip'd JSON with HF's per-character results of the
//          lowercase and Unicode normalizers, and the characters its NFD
//          treats as non-starters; unicode_test.go checks the Go
//          implementation against every entry.
'use strict';

const fs = require('fs');
const zlib = require('zlib');
const tk = require('tokenizers');

const MAX = 0x10ffff;

function* codePoints() {
	for (let c = 0; c <= MAX; c++) {
		if (c >= 0xd800 && c <= 0xdfff) continue;
		yield c;
	}
}

function pieces(pt, s) {
	return pt.preTokenizeString(s).map((p) => p[0]);
}

function measure() {
	const clean = tk.bertNormalizer({ cleanText: true, handleChineseChars: false, stripAccents: false, lowercase: false });
	const chinese = tk.bertNormalizer({ cleanText: false, handleChineseChars: true, stripAccents: false, lowercase: false });
	const bertStrip = tk.bertNormalizer({ cleanText: false, handleChineseChars: false, stripAccents: true, lowercase: false });
	const strip = tk.stripAccentsNormalizer();
	const bertPre = tk.bertPreTokenizer();
	const wsPre = tk.whitespacePreTokenizer();
	const digits = tk.digitsPreTokenizer(false);

	const sets = {
		bertControl: [], // clean_text drops it
		bertSpace: [], // clean_text turns it into ' '
		bertChinese: [], // handle_chinese_chars pads it with spaces
		whitespace: [], // char::is_whitespace: BertPreTokenizer drops it
		punctuation: [], // BertPreTokenizer and Punctuation isolate it
		bertMark: [], // strip_accents drops it (after NFD)
		combiningMark: [], // StripAccents drops it
		word: [], // \w of the Whitespace pre-tokenizer
		numeric: [], // char::is_numeric: Digits splits on it
	};
	for (const c of codePoints()) {
		const s = String.fromCodePoint(c);
		const cleaned = clean.normalizeString(s);
		if (cleaned === '') sets.bertControl.push(c);
		else if (cleaned === ' ') sets.bertSpace.push(c);
		if (chinese.normalizeString(s) === ` ${s} `) sets.bertChinese.push(c);
		if (bertStrip.normalizeString(s) === '') sets.bertMark.push(c);
		if (strip.normalizeString(s) === '') sets.combiningMark.push(c);

		const b = pieces(bertPre, `a${s}a`);
		if (b.length === 2 && b[0] === 'a' && b[1] === 'a') sets.whitespace.push(c);
		else if (b.length === 3 && b[1] === s) sets.punctuation.push(c);

		const w = pieces(wsPre, `a${s}a`);
		if (w.length === 1) sets.word.push(c);

		const d = pieces(digits, `a${s}a`);
		if (d.length === 3 && d[1] === s) sets.numeric.push(c);
	}
	return sets;
}

function mappings() {
	const fns = {
		lowercase: tk.lowercase(),
		nfd: tk.nfdNormalizer(),
		nfkd: tk.nfkdNormalizer(),
		nfc: tk.nfcNormalizer(),
		nfkc: tk.nfkcNormalizer(),
	};
	const out = {};
	for (const [name, n] of Object.entries(fns)) {
		const m = {};
		for (const c of codePoints()) {
			const s = String.fromCodePoint(c);
			const r = n.normalizeString(s);
			if (r !== s) m[c.toString(16)] = r;
		}
		out[name] = m;
	}
	// Canonical combining classes, as far as they show: a character with a
	// class from 1 to 239 moves before U+0345 (class 240) in NFD.
	const nonStarters = [0x345];
	for (const c of codePoints()) {
		const s = String.fromCodePoint(c);
		if (fns.nfd.normalizeString(s) !== s) continue;
		if (fns.nfd.normalizeString(`a\u0345${s}`) === `a${s}\u0345`) nonStarters.push(c);
	}
	out.non_starters = nonStarters.map((c) => c.toString(16));
	return out;
}

function ranges(cps) {
	const rs = [];
	for (const c of cps) {
		const last = rs[rs.length - 1];
		if (last && last[1] === c - 1) last[1] = c;
		else rs.push([c, c]);
	}
	return rs;
}

const hex = (n) => '0x' + n.toString(16).padStart(4, '0');

function goTable(name, doc, cps) {
	const rs = ranges(cps);
	const r16 = rs.filter((r) => r[1] <= 0xffff);
	const r32 = rs.filter((r) => r[0] > 0xffff);
	const straddle = rs.filter((r) => r[0] <= 0xffff && r[1] > 0xffff);
	for (const r of straddle) {
		r16.push([r[0], 0xffff]);
		r32.unshift([0x10000, r[1]]);
	}
	const latin = r16.filter((r) => r[1] <= 0xff).length;
	let s = `// ${name} ${doc}\nvar ${name} = &unicode.RangeTable{\n`;
	if (r16.length) s += '\tR16: []unicode.Range16{\n' + r16.map((r) => `\t\t{${hex(r[0])}, ${hex(r[1])}, 1},\n`).join('') + '\t},\n';
	if (r32.length) s += '\tR32: []unicode.Range32{\n' + r32.map((r) => `\t\t{${hex(r[0])}, ${hex(r[1])}, 1},\n`).join('') + '\t},\n';
	if (latin) s += `\tLatinOffset: ${latin},\n`;
	return s + '}\n';
}

const DOCS = {
	bertControl: "holds what BertNormalizer's clean_text removes: NUL, U+FFFD and what the unicode_categories crate calls Cc, Cf or Co, except \\t, \\n and \\r.",
	bertSpace: "holds what BertNormalizer's clean_text replaces with a space: \\t, \\n, \\r and the other White_Space characters that are not removed as controls.",
	bertChinese: 'holds what handle_chinese_chars surrounds with spaces: the CJK ideograph blocks BERT lists.',
	whitespace: "holds Rust's char::is_whitespace (White_Space), on which BertPreTokenizer and WhitespaceSplit split.",
	punctuation: "holds what BertPreTokenizer and Punctuation isolate: ASCII punctuation and the unicode_categories crate's P* classes.",
	bertMark: "holds what BertNormalizer's strip_accents removes after NFD: the unicode_categories crate's Mn.",
	combiningMark: 'holds what the StripAccents normalizer removes: the normalization crate\'s combining marks (M*).',
	word: 'holds \\w of the Whitespace pre-tokenizer (the Rust regex crate\'s Unicode word characters).',
	numeric: "holds Rust's char::is_numeric (Nd, Nl, No), on which Digits splits.",
};

function main(argv) {
	let tables;
	let oracle;
	for (let i = 0; i < argv.length; i += 2) {
		if (argv[i] === '--tables') tables = argv[i + 1];
		else if (argv[i] === '--oracle') oracle = argv[i + 1];
		else {
			process.stderr.write('usage: node unicode.cjs [--tables FILE.go] [--oracle FILE.json.gz]\n');
			process.exit(2);
		}
	}
	const version = require('tokenizers/package.json').version;
	if (tables) {
		const sets = measure();
		let src = `// Code generated by testdata/tokenizers/unicode.cjs from Hugging Face tokenizers ${version}; DO NOT EDIT.\n\npackage tokenizer\n\nimport "unicode"\n\n`;
		src += Object.keys(sets)
			.map((k) => goTable(k, DOCS[k], sets[k]))
			.join('\n');
		fs.writeFileSync(tables, src);
	}
	if (oracle) {
		const body = JSON.stringify({ hf_tokenizers_version: version, ...mappings() });
		fs.writeFileSync(oracle, zlib.gzipSync(Buffer.from(body), { level: 9 }));
	}
}

main(process.argv.slice(2));
