package workers

import (
	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/workers/modelspec"
)

// SpaceFor returns the space a worker with mc writes to, and its fusion
// spec, without loading a model or ONNX Runtime: it reads the specs mc names
// (the built-in ones by default) exactly as New does. itemvec enqueue uses
// it to derive the target space from the worker's model flags.
func SpaceFor(mc ModelConfig) (string, *fusion.Spec, error) {
	mc = mc.WithDefaults()
	img, text, fs, err := readSpecs(mc)
	if err != nil {
		return "", nil, err
	}
	if err := checkSpecFits(fs, img, text); err != nil {
		return "", nil, err
	}
	return fs.Space(), fs, nil
}

// BuiltinSpaces are the spaces of the built-in configurations: the default
// image model with USE Lite text (v2) and without text (v1).
func BuiltinSpaces() []string {
	return []string{fusion.DefaultTextSpec().Space(), fusion.DefaultSpec().Space()}
}

// checkSpaceName refuses a space name that would break the key layout: 1
// to 128 letters, digits, '.', '_' or '-' (the rule storage applies).
func checkSpaceName(space string) error {
	ok := space != "" && len(space) <= 128
	for _, r := range space {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			ok = false
			break
		}
	}
	if ok {
		return nil
	}
	return itemvec.Errorf(itemvec.KindConfig, "workers.Enqueue",
		"space name %q: want 1 to 128 letters, digits, '.', '_' or '-' (itemvec spaces lists the spaces)", space)
}

// checkSpecFits is the part of checkFusion that needs no loaded model: the
// fusion spec's image and text blocks name the configured models (text is
// nil without a text model).
func checkSpecFits(f *fusion.Spec, img, text *modelspec.Spec) error {
	fail := func(format string, args ...any) error {
		return itemvec.Errorf(itemvec.KindConfig, "workers.SpaceFor", format, args...)
	}
	ib, tb := f.Blocks.Image, f.Blocks.Text
	switch {
	case ib.Model != "" && ib.Model != img.ID:
		return fail("fusion spec %s expects image model %q, but %q is configured", f.ID, ib.Model, img.ID)
	case text == nil && tb.Dim != 0:
		return fail("fusion spec %s has a %d-dim text block (model %q) but no text model is configured (--text-model)", f.ID, tb.Dim, tb.Model)
	case text != nil && tb.Dim == 0:
		return fail("a text model (%s) is configured but fusion spec %s has no text block: use a fusion spec whose text block names it (--fusion-spec)", text.ID, f.ID)
	case text != nil && tb.Model != "" && tb.Model != text.ID:
		return fail("fusion spec %s expects text model %q, but %q is configured", f.ID, tb.Model, text.ID)
	}
	return nil
}
