package fusion_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/itemvec/itemvec/fusion"
)

func v1SpecJSON(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("specs", "v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDefaultSpec(t *testing.T) {
	s := fusion.DefaultSpec()
	if err := s.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if s.ID != "itemvec-fusion-v1" || s.Version != 1 {
		t.Errorf("ID, Version = %q, %d", s.ID, s.Version)
	}
	if s.Dim() != 1280+0+31 {
		t.Errorf("Dim = %d, want 1311", s.Dim())
	}
	s.Blocks.Image.Weight = 7
	s.Behavior.Standardize["rating"] = fusion.FeatureScale{Center: 0, Scale: 1}
	fresh := fusion.DefaultSpec()
	if fresh.Blocks.Image.Weight == 7 || fresh.Behavior.Standardize["rating"].Center == 0 {
		t.Error("changing one DefaultSpec changed the next: it must return a fresh copy")
	}
}

func TestLayout(t *testing.T) {
	tests := []struct {
		name string
		spec *fusion.Spec
		want []fusion.BlockRange
	}{
		{"v1", fusion.DefaultSpec(), []fusion.BlockRange{
			{Name: "image", Offset: 0, Dim: 1280},
			{Name: "text", Offset: 1280, Dim: 0},
			{Name: "behavior", Offset: 1280, Dim: 31},
		}},
		{"v2", fusion.DefaultTextSpec(), []fusion.BlockRange{
			{Name: "image", Offset: 0, Dim: 1280},
			{Name: "text", Offset: 1280, Dim: 512},
			{Name: "behavior", Offset: 1792, Dim: 31},
		}},
		{"with text", smallSpec(t, 1, 1, 1), []fusion.BlockRange{
			{Name: "image", Offset: 0, Dim: 4},
			{Name: "text", Offset: 4, Dim: 3},
			{Name: "behavior", Offset: 7, Dim: 31},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.spec.Layout()
			if !slices.Equal(got, tt.want) {
				t.Errorf("Layout = %v, want %v", got, tt.want)
			}
			last := got[len(got)-1]
			if last.Offset+last.Dim != tt.spec.Dim() {
				t.Errorf("layout ends at %d, Dim = %d", last.Offset+last.Dim, tt.spec.Dim())
			}
		})
	}
}

// reencode writes a JSON value with object keys in reverse order and
// different whitespace, to show that Hash sees through formatting.
func reencode(t *testing.T, data []byte) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	var write func(v any, indent string)
	write = func(v any, indent string) {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			slices.Reverse(keys)
			b.WriteString("{\n")
			for i, k := range keys {
				if i > 0 {
					b.WriteString(" ,\n")
				}
				b.WriteString(indent + "\t" + `"` + k + `"` + " :  ")
				write(v[k], indent+"\t")
			}
			b.WriteString("\n" + indent + "}")
		case []any:
			b.WriteString("[ ")
			for i, x := range v {
				if i > 0 {
					b.WriteString(",   ")
				}
				write(x, indent)
			}
			b.WriteString(" ]")
		default:
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(out)
		}
	}
	write(v, "")
	return b.Bytes()
}

func TestSpecHashIgnoresFormatting(t *testing.T) {
	original := v1SpecJSON(t)
	variants := map[string][]byte{
		"reordered and reindented": reencode(t, original),
		"compacted": func() []byte {
			var b bytes.Buffer
			if err := json.Compact(&b, original); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}(),
		"empty device_aliases": bytes.Replace(original, []byte(`"devices": ["pc", "mobile", "tablet"],`),
			[]byte(`"devices": ["pc", "mobile", "tablet"], "device_aliases": {},`), 1),
		"1 written as 1.0, required omitted": bytes.Replace(
			bytes.Replace(original, []byte(`"scale": 1}`), []byte(`"scale": 1.000}`), 1),
			[]byte(`"required": [],`), nil, 1),
	}
	want := fusion.DefaultSpec().Hash()
	for name, data := range variants {
		t.Run(name, func(t *testing.T) {
			if bytes.Equal(data, original) {
				t.Fatal("variant equals the original file; the test proves nothing")
			}
			s, err := fusion.ParseSpec(data)
			if err != nil {
				t.Fatalf("ParseSpec: %v\n%s", err, data)
			}
			if got := s.Hash(); got != want {
				t.Errorf("Hash = %s, want %s", got, want)
			}
		})
	}
}

func TestSpecHashChanges(t *testing.T) {
	base := fusion.DefaultSpec().Hash()
	tests := []struct {
		name   string
		mutate func(*fusion.Spec)
	}{
		{"image weight", func(s *fusion.Spec) { s.Blocks.Image.Weight = 1.01 }},
		{"behaviour weight", func(s *fusion.Spec) { s.Blocks.Behavior.Weight = 0.6 }},
		{"image model", func(s *fusion.Spec) { s.Blocks.Image.Model = "mobilenetv2-nsfwjs-gap@2" }},
		{"text model", func(s *fusion.Spec) { s.Blocks.Text.Model, s.Blocks.Text.Dim = "minilm@1", 384 }},
		{"version", func(s *fusion.Spec) { s.Version = 2 }},
		{"device order", func(s *fusion.Spec) {
			s.Behavior.Devices[0], s.Behavior.Devices[1] = s.Behavior.Devices[1], s.Behavior.Devices[0]
		}},
		{"prior", func(s *fusion.Spec) { s.Behavior.CTRPrior.Beta = 20 }},
		{"one centre", func(s *fusion.Spec) {
			s.Behavior.Standardize["pc.ctr"] = fusion.FeatureScale{Center: 0.06, Scale: 0.1}
		}},
		{"missing policy", func(s *fusion.Spec) { s.Missing.UnknownDevices = "reject" }},
		{"device alias", func(s *fusion.Spec) { s.Behavior.DeviceAliases = map[string]string{"ios_app": "mobile"} }},
		{"alias target", func(s *fusion.Spec) {
			s.Behavior.DeviceAliases = map[string]string{"ios_app": "mobile"}
			base := s.Hash()
			s.Behavior.DeviceAliases["ios_app"] = "tablet"
			if s.Hash() == base {
				t.Error("Hash unchanged after retargeting an alias")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fusion.DefaultSpec()
			tt.mutate(s)
			if s.Hash() == base {
				t.Errorf("Hash unchanged after changing the %s", tt.name)
			}
		})
	}
}

func TestDefaultSpecHashGolden(t *testing.T) {
	path := filepath.Join("testdata", "default_spec.hash.golden")
	got := fusion.DefaultSpec().Hash() + "\n"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("default spec hash = %s, golden %s: specs/v1.json or its encoding changed, "+
			"which moves every vector to a new Space; ship a new spec version instead, "+
			"or run go test -update if the change is intended", strings.TrimSpace(got), strings.TrimSpace(string(want)))
	}
}

// The embedded specs' spaces are the key spaces of vectors in production:
// nothing may move them, not even a new optional field of Spec.
func TestEmbeddedSpecSpacesPinned(t *testing.T) {
	tests := []struct {
		name string
		spec func() *fusion.Spec
		want string
	}{
		{"v1", fusion.DefaultSpec, "itemvec-fusion-v1-cf45bc02"},
		{"v2", fusion.DefaultTextSpec, "itemvec-fusion-v2-d408b43b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.spec()
			if got := s.Space(); got != tt.want {
				t.Errorf("Space = %s, want %s: the canonical encoding changed and every vector of this spec would move", got, tt.want)
			}
			s.Behavior.DeviceAliases = map[string]string{}
			if got := s.Space(); got != tt.want {
				t.Errorf("Space with empty (non-nil) aliases = %s, want %s: an empty field must be left out of the encoding", got, tt.want)
			}
		})
	}
}

func TestParseSpecDeviceAliases(t *testing.T) {
	data := bytes.Replace(v1SpecJSON(t), []byte(`"devices": ["pc", "mobile", "tablet"],`),
		[]byte(`"devices": ["pc", "mobile", "tablet"], "device_aliases": {"ios_app": "mobile", "web": "pc"},`), 1)
	s, err := fusion.ParseSpec(data)
	if err != nil {
		t.Fatalf("ParseSpec: %v", err)
	}
	want := map[string]string{"ios_app": "mobile", "web": "pc"}
	if !maps.Equal(s.Behavior.DeviceAliases, want) {
		t.Errorf("DeviceAliases = %v, want %v", s.Behavior.DeviceAliases, want)
	}
	if s.Space() == fusion.DefaultSpec().Space() {
		t.Error("a spec with aliases shares the space of the spec without")
	}
	same := fusion.DefaultSpec()
	same.Behavior.DeviceAliases = map[string]string{"web": "pc", "ios_app": "mobile"}
	if s.Hash() != same.Hash() {
		t.Error("the same aliases set in code hash differently from the parsed file")
	}
	if s.Dim() != fusion.DefaultSpec().Dim() {
		t.Errorf("Dim = %d: aliases must add no features", s.Dim())
	}
}

func TestSpace(t *testing.T) {
	s := fusion.DefaultSpec()
	space := s.Space()
	if !regexp.MustCompile(`^itemvec-fusion-v1-[0-9a-f]{8}$`).MatchString(space) {
		t.Errorf("Space = %q, want itemvec-fusion-v1-<8 hex>", space)
	}
	if want := s.ID + "-" + s.Hash()[:8]; space != want {
		t.Errorf("Space = %q, want %q", space, want)
	}
	s.Blocks.Behavior.Weight = 0.25
	if s.Space() == space {
		t.Error("Space unchanged after changing a weight")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*fusion.Spec)
		field  string
	}{
		{"empty id", func(s *fusion.Spec) { s.ID = "" }, "id"},
		{"id with colon", func(s *fusion.Spec) { s.ID = "a:b" }, "id"},
		{"version 0", func(s *fusion.Spec) { s.Version = 0 }, "version"},
		{"no image model", func(s *fusion.Spec) { s.Blocks.Image.Model = "" }, "blocks.image.model"},
		{"image dim 0", func(s *fusion.Spec) { s.Blocks.Image.Dim = 0 }, "blocks.image.dim"},
		{"negative text dim", func(s *fusion.Spec) { s.Blocks.Text.Dim = -1 }, "blocks.text.dim"},
		{"text dim without model", func(s *fusion.Spec) { s.Blocks.Text.Dim = 384 }, "blocks.text"},
		{"text model without dim", func(s *fusion.Spec) { s.Blocks.Text.Model = "minilm@1" }, "blocks.text"},
		{"zero weight", func(s *fusion.Spec) { s.Blocks.Behavior.Weight = 0 }, "blocks.behavior.weight"},
		{"negative weight", func(s *fusion.Spec) { s.Blocks.Text.Weight = -1 }, "blocks.text.weight"},
		{"zero price_ref", func(s *fusion.Spec) { s.Behavior.PriceRef = 0 }, "behavior.price_ref"},
		{"count_ref below 1", func(s *fusion.Spec) { s.Behavior.CountRef = 0.5 }, "behavior.count_ref"},
		{"zero prior", func(s *fusion.Spec) { s.Behavior.CVRPrior.Alpha = 0 }, "behavior.cvr_prior.alpha"},
		{"no devices", func(s *fusion.Spec) { s.Behavior.Devices = nil }, "behavior.devices"},
		{"duplicate device", func(s *fusion.Spec) { s.Behavior.Devices = []string{"pc", "pc"} }, "behavior.devices"},
		{"reserved device", func(s *fusion.Spec) { s.Behavior.Devices = []string{"total"} }, "behavior.devices"},
		{"device with dot", func(s *fusion.Spec) { s.Behavior.Devices = []string{"p.c"} }, "behavior.devices"},
		{"missing standardisation", func(s *fusion.Spec) { delete(s.Behavior.Standardize, "tablet.cvr") }, "behavior.standardize.tablet.cvr"},
		{"extra standardisation", func(s *fusion.Spec) {
			s.Behavior.Standardize["tv.ctr"] = fusion.FeatureScale{Center: 0.1, Scale: 0.1}
		}, "behavior.standardize.tv.ctr"},
		{"centre above 1", func(s *fusion.Spec) {
			s.Behavior.Standardize["rating"] = fusion.FeatureScale{Center: 1.5, Scale: 0.2}
		}, "behavior.standardize.rating.center"},
		{"zero scale", func(s *fusion.Spec) {
			s.Behavior.Standardize["rating"] = fusion.FeatureScale{Center: 0.5, Scale: 0}
		}, "behavior.standardize.rating.scale"},
		{"unknown fill", func(s *fusion.Spec) { s.Missing.Fill = "mean" }, "missing.fill"},
		{"unknown required block", func(s *fusion.Spec) { s.Missing.Required = []string{"audio"} }, "missing.required"},
		{"required text without text model", func(s *fusion.Spec) { s.Missing.Required = []string{"text"} }, "missing.required"},
		{"unknown device policy", func(s *fusion.Spec) { s.Missing.UnknownDevices = "" }, "missing.unknown_devices"},
		{"alias key with dot", func(s *fusion.Spec) { s.Behavior.DeviceAliases = map[string]string{"ios.app": "mobile"} }, "behavior.device_aliases.ios.app"},
		{"empty alias key", func(s *fusion.Spec) { s.Behavior.DeviceAliases = map[string]string{"": "mobile"} }, "behavior.device_aliases."},
		{"alias of a device", func(s *fusion.Spec) { s.Behavior.DeviceAliases = map[string]string{"pc": "mobile"} }, "behavior.device_aliases.pc"},
		{"alias named total", func(s *fusion.Spec) { s.Behavior.DeviceAliases = map[string]string{"total": "pc"} }, "behavior.device_aliases.total"},
		{"alias to an unknown device", func(s *fusion.Spec) { s.Behavior.DeviceAliases = map[string]string{"ios_app": "phone"} }, "behavior.device_aliases.ios_app"},
		{"alias to nothing", func(s *fusion.Spec) { s.Behavior.DeviceAliases = map[string]string{"ios_app": ""} }, "behavior.device_aliases.ios_app"},
		{"first bad alias in key order", func(s *fusion.Spec) {
			s.Behavior.DeviceAliases = map[string]string{"zz": "nope", "web": "pc", "aa": "nope"}
		}, "behavior.device_aliases.aa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fusion.DefaultSpec()
			tt.mutate(s)
			checkError(t, s.Validate(), fusion.CodeInvalidSpec, tt.field, "")
		})
	}
}

func TestParseSpecErrors(t *testing.T) {
	original := v1SpecJSON(t)
	tests := []struct {
		name      string
		data      []byte
		field     string
		msgSubstr string
	}{
		{"not JSON", []byte("id: v1"), "", "invalid character"},
		{"unknown field", bytes.Replace(original, []byte(`"price_ref"`), []byte(`"price_reference"`), 1), "", "unknown field"},
		{"trailing data", append(slices.Clone(original), []byte(`{}`)...), "", "trailing data"},
		{"invalid value", bytes.Replace(original, []byte(`"dim": 1280`), []byte(`"dim": -1`), 1), "blocks.image.dim", "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := fusion.ParseSpec(tt.data)
			checkError(t, err, fusion.CodeInvalidSpec, tt.field, tt.msgSubstr)
			if s != nil {
				t.Error("ParseSpec returned a spec with an error")
			}
		})
	}
}

func TestLoadSpec(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "v1.json")
	if err := os.WriteFile(good, reencode(t, v1SpecJSON(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := fusion.LoadSpec(good)
	if err != nil {
		t.Fatalf("LoadSpec: %v", err)
	}
	if s.Hash() != fusion.DefaultSpec().Hash() {
		t.Error("loaded copy of v1 hashes differently from DefaultSpec")
	}

	_, err = fusion.LoadSpec(filepath.Join(dir, "absent.json"))
	checkError(t, err, fusion.CodeInvalidSpec, "", "absent.json")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want it to wrap fs.ErrNotExist", err)
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"id": "x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = fusion.LoadSpec(bad)
	checkError(t, err, fusion.CodeInvalidSpec, "version", "bad.json")
}

func TestDefaultTextSpec(t *testing.T) {
	s := fusion.DefaultTextSpec()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	v1 := fusion.DefaultSpec()
	if s.Blocks.Text.Model != "use-lite@1" || s.Blocks.Text.Dim != 512 || s.Dim() != v1.Dim()+512 {
		t.Errorf("text block %+v, dim %d", s.Blocks.Text, s.Dim())
	}
	if s.Space() == v1.Space() || s.Hash() == v1.Hash() {
		t.Error("v2 shares v1's space")
	}
	if s.ID != "itemvec-fusion-v2" || s.Version != 2 || s.Dim() != 1823 {
		t.Errorf("ID, Version, Dim = %q, %d, %d, want itemvec-fusion-v2, 2, 1823", s.ID, s.Version, s.Dim())
	}
	// The package documentation says v2 differs from v1 only here.
	s.ID, s.Version, s.Blocks.Text = v1.ID, v1.Version, v1.Blocks.Text
	if s.Hash() != v1.Hash() {
		t.Error("v2 differs from v1 in more than id, version and the text block")
	}
}
