package fusion

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strings"
)

// Block names, in layout order. They key Vector.Blocks, name the entries of
// Vector.Modalities and Layout, and are the values MissingPolicy.Required
// accepts.
const (
	BlockImage    = "image"
	BlockText     = "text"
	BlockBehavior = "behavior"
)

// Spec is a versioned fusion spec: which embedding models feed the fused
// vector, how each block is weighted, how behaviour counters become features
// and what happens when a modality is missing. Everything that changes a
// fused vector lives here, so Hash (and Space, the Redis key space derived
// from it) changes whenever vectors would.
//
// A Spec is read-only once validated; Fuse may be called on one Spec from any
// number of goroutines.
type Spec struct {
	// ID names the spec family, e.g. "itemvec-fusion-v1". It starts Space, so
	// it holds only [a-z0-9._-].
	ID string `json:"id"`
	// Version counts revisions of the spec, from 1.
	Version int `json:"version"`
	// Blocks gives the models, dims and weights of the three blocks.
	Blocks Blocks `json:"blocks"`
	// Behavior gives the constants that turn a Behavior into features.
	Behavior BehaviorSpec `json:"behavior"`
	// Missing says what happens when a modality or a behaviour value is absent.
	Missing MissingPolicy `json:"missing"`
}

// Blocks holds one entry per block of the fused vector, in layout order.
type Blocks struct {
	Image    EmbeddingBlock `json:"image"`
	Text     EmbeddingBlock `json:"text"`
	Behavior BehaviorBlock  `json:"behavior"`
}

// EmbeddingBlock describes a block filled by a model's embedding.
type EmbeddingBlock struct {
	// Model is the spec id of the model that produces this block, e.g.
	// "mobilenetv2-nsfwjs-gap@1"; "" means no model (text only, as in v1),
	// in which case Dim is 0.
	Model string `json:"model"`
	// Dim is the embedding length. The text block may have Dim 0: its slot
	// stays in the layout but takes no columns.
	Dim int `json:"dim"`
	// Weight is the block's share of the fused vector: with every block
	// present, the block's L2 norm in the fused vector is Weight/sqrt(Σ w²).
	Weight float64 `json:"weight"`
}

// BehaviorBlock describes the behaviour block. Its dim follows from
// BehaviorSpec.Devices (see Spec.BehaviorDim).
type BehaviorBlock struct {
	// Weight is as for EmbeddingBlock.Weight.
	Weight float64 `json:"weight"`
}

// BehaviorSpec holds the normalisation constants of the behaviour features.
// The formulas they feed are in the package documentation.
type BehaviorSpec struct {
	// Devices lists the device keys of Behavior.Devices that get their own
	// features, in feature order, e.g. ["pc", "mobile", "tablet"].
	Devices []string `json:"devices"`
	// DeviceAliases maps further device keys of Behavior.Devices to a device
	// of Devices, e.g. {"ios_app": "mobile", "web": "pc"}: an alias's
	// counters are added to its target's before any feature is computed, so
	// they count in the target's features and in the totals. A key is not in
	// Devices and is not "total"; a value is in Devices. Aliases change what a
	// vector means, so they are part of Hash; empty, the field is left out of
	// the canonical encoding, and a spec without aliases hashes as it did
	// before the field existed.
	DeviceAliases map[string]string `json:"device_aliases,omitempty"`
	// PriceRef is the price that maps to 1: log1p(price)/log1p(PriceRef).
	PriceRef float64 `json:"price_ref"`
	// RatingMax is the top of the rating scale: rating/RatingMax.
	RatingMax float64 `json:"rating_max"`
	// CountRef is the count that maps to 1: log1p(n)/log1p(CountRef).
	CountRef float64 `json:"count_ref"`
	// CTRPrior smooths clicks/views.
	CTRPrior Prior `json:"ctr_prior"`
	// CartPrior smooths carts/clicks.
	CartPrior Prior `json:"cart_prior"`
	// CVRPrior smooths orders/clicks.
	CVRPrior Prior `json:"cvr_prior"`
	// Standardize holds, for every name of Spec.BehaviorFeatureNames and no
	// other, the constants that centre and scale that feature.
	Standardize map[string]FeatureScale `json:"standardize"`
}

// Prior is a Beta(Alpha, Beta) prior on a rate: the smoothed rate of k
// successes in n trials is (k+Alpha)/(n+Alpha+Beta), which is the prior mean
// Alpha/(Alpha+Beta) when n is 0 and tends to k/n as n grows.
type Prior struct {
	Alpha float64 `json:"alpha"`
	Beta  float64 `json:"beta"`
}

// Mean is the prior mean Alpha/(Alpha+Beta): the smoothed rate of an item
// with no trials.
func (p Prior) Mean() float64 { return p.Alpha / (p.Alpha + p.Beta) }

// FeatureScale centres and scales one raw feature x in [0, 1]:
// clamp((x-Center)/Scale, -1, 1).
type FeatureScale struct {
	// Center is the raw value of a typical item, in [0, 1]; it maps to 0.
	Center float64 `json:"center"`
	// Scale is the raw distance from Center that maps to ±1, in (0, 1].
	Scale float64 `json:"scale"`
}

// MissingPolicy says how absent data is treated.
type MissingPolicy struct {
	// Fill is what an absent block's slot holds; "zeros" is the only policy.
	Fill string `json:"fill"`
	// Required lists blocks Fuse refuses to go without
	// (CodeMissingModality). Empty: any non-empty set of blocks will do.
	Required []string `json:"required,omitempty"`
	// RatingZeroMeansUnrated: a rating of exactly 0 means "no rating yet":
	// has_rating is 0 and the rating feature sits at its centre. When false,
	// 0 is a real rating.
	RatingZeroMeansUnrated bool `json:"rating_zero_means_unrated"`
	// UnknownDevices is what happens to a key of Behavior.Devices that is
	// neither in BehaviorSpec.Devices nor in BehaviorSpec.DeviceAliases:
	// "ignore" drops its counters (they count nowhere, totals included) and,
	// when any of them is non-zero, says so in a WarningUnknownDevice
	// warning; "reject" fails with CodeInvalidInput.
	UnknownDevices string `json:"unknown_devices"`
}

// BlockRange is where one block sits in the fused vector:
// Values[Offset : Offset+Dim].
type BlockRange struct {
	Name   string
	Offset int
	Dim    int
}

// The embedded specs; see DefaultTextSpec and DefaultSpec.
var (
	//go:embed specs/v1.json
	v1JSON []byte
	//go:embed specs/v2.json
	v2JSON []byte
)

// DefaultTextSpec returns a fresh copy of the embedded spec specs/v2.json
// ("itemvec-fusion-v2", dim 1823): the image block of v1, a 512-dim text
// block from the built-in text model, Universal Sentence Encoder Lite
// ("use-lite@1"), and v1's behaviour block. It is itemvec's default spec,
// used whenever the built-in text model is on. Callers may modify the copy.
func DefaultTextSpec() *Spec {
	s, err := ParseSpec(v2JSON)
	if err != nil {
		// The embedded file is part of the source and its validity is tested.
		panic(err)
	}
	return s
}

// DefaultSpec returns a fresh copy of the embedded spec specs/v1.json
// ("itemvec-fusion-v1", dim 1311): image and behaviour blocks, with the text
// slot empty (dim 0). It is the spec itemvec uses without a text model
// (--text-model none); with the built-in text model the default is
// DefaultTextSpec. Callers may modify the copy.
func DefaultSpec() *Spec {
	s, err := ParseSpec(v1JSON)
	if err != nil {
		// The embedded file is part of the source and its validity is tested.
		panic(err)
	}
	return s
}

// LoadSpec reads and parses a spec file; see ParseSpec.
func LoadSpec(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, newError(CodeInvalidSpec, "LoadSpec", "", err)
	}
	s, err := ParseSpec(data)
	if err != nil {
		if fe, ok := errors.AsType[*fieldError](err); ok {
			return nil, newError(fe.code, "LoadSpec", fe.field, fmt.Errorf("%s: %w", path, fe.err))
		}
		return nil, err
	}
	return s, nil
}

// ParseSpec decodes a JSON spec and validates it. Unknown fields and trailing
// data are errors, so a misspelt constant cannot silently fall back to zero.
func ParseSpec(data []byte) (*Spec, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Spec
	if err := dec.Decode(&s); err != nil {
		return nil, newError(CodeInvalidSpec, "ParseSpec", "", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, newError(CodeInvalidSpec, "ParseSpec", "", errors.New("trailing data after the spec object"))
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

var (
	specIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	devicePattern = regexp.MustCompile(`^[a-z0-9_]+$`)
)

// Validate checks that the spec is complete and consistent: a key-safe ID, a
// positive version, a positive image dim, a text model if and only if a text
// dim, finite positive weights and constants, unique device names, device
// aliases that name a new key and one of the devices, exactly one
// standardisation entry per behaviour feature with Center in [0, 1] and Scale
// in (0, 1], and a known missing policy. It returns an *itemvec.Error with
// code CodeInvalidSpec.
func (s *Spec) Validate() error {
	fail := func(field, format string, args ...any) error {
		return newError(CodeInvalidSpec, "Validate", field, fmt.Errorf(format, args...))
	}
	if !specIDPattern.MatchString(s.ID) {
		return fail("id", "%q must match %s", s.ID, specIDPattern)
	}
	if s.Version < 1 {
		return fail("version", "%d must be at least 1", s.Version)
	}
	if s.Blocks.Image.Model == "" {
		return fail("blocks.image.model", "must name the image model")
	}
	if s.Blocks.Image.Dim < 1 {
		return fail("blocks.image.dim", "%d must be positive", s.Blocks.Image.Dim)
	}
	if s.Blocks.Text.Dim < 0 {
		return fail("blocks.text.dim", "%d must not be negative", s.Blocks.Text.Dim)
	}
	if (s.Blocks.Text.Model == "") != (s.Blocks.Text.Dim == 0) {
		return fail("blocks.text", "model %q and dim %d disagree: a text model needs a dim and a dim needs a model",
			s.Blocks.Text.Model, s.Blocks.Text.Dim)
	}
	positive := []struct {
		field string
		v     float64
	}{
		{"blocks.image.weight", s.Blocks.Image.Weight},
		{"blocks.text.weight", s.Blocks.Text.Weight},
		{"blocks.behavior.weight", s.Blocks.Behavior.Weight},
		{"behavior.price_ref", s.Behavior.PriceRef},
		{"behavior.rating_max", s.Behavior.RatingMax},
		{"behavior.ctr_prior.alpha", s.Behavior.CTRPrior.Alpha},
		{"behavior.ctr_prior.beta", s.Behavior.CTRPrior.Beta},
		{"behavior.cart_prior.alpha", s.Behavior.CartPrior.Alpha},
		{"behavior.cart_prior.beta", s.Behavior.CartPrior.Beta},
		{"behavior.cvr_prior.alpha", s.Behavior.CVRPrior.Alpha},
		{"behavior.cvr_prior.beta", s.Behavior.CVRPrior.Beta},
	}
	for _, p := range positive {
		if !(p.v > 0) || math.IsInf(p.v, 0) {
			return fail(p.field, "%v must be finite and positive", p.v)
		}
	}
	if !(s.Behavior.CountRef >= 1) || math.IsInf(s.Behavior.CountRef, 0) {
		return fail("behavior.count_ref", "%v must be finite and at least 1", s.Behavior.CountRef)
	}
	if len(s.Behavior.Devices) == 0 {
		return fail("behavior.devices", "must list at least one device")
	}
	seen := make(map[string]bool, len(s.Behavior.Devices))
	for _, d := range s.Behavior.Devices {
		switch {
		case !devicePattern.MatchString(d):
			return fail("behavior.devices", "%q must match %s", d, devicePattern)
		case d == totalPrefix:
			return fail("behavior.devices", "%q is reserved for the all-device totals", d)
		case seen[d]:
			return fail("behavior.devices", "%q is listed twice", d)
		}
		seen[d] = true
	}
	for _, a := range sortedKeys(s.Behavior.DeviceAliases) {
		field, target := "behavior.device_aliases."+a, s.Behavior.DeviceAliases[a]
		switch {
		case !devicePattern.MatchString(a):
			return fail(field, "%q must match %s", a, devicePattern)
		case a == totalPrefix:
			return fail(field, "%q is reserved for the all-device totals", a)
		case seen[a]:
			return fail(field, "%q is a device of the spec; an alias is another key mapped to one", a)
		case !seen[target]:
			return fail(field, "target %q is not a device of the spec (%s)", target, strings.Join(s.Behavior.Devices, ", "))
		}
	}
	names := s.BehaviorFeatureNames()
	for _, name := range names {
		fs, ok := s.Behavior.Standardize[name]
		field := "behavior.standardize." + name
		switch {
		case !ok:
			return fail(field, "missing")
		case !(fs.Center >= 0 && fs.Center <= 1):
			return fail(field+".center", "%v must be in [0, 1]", fs.Center)
		case !(fs.Scale > 0 && fs.Scale <= 1):
			return fail(field+".scale", "%v must be in (0, 1]", fs.Scale)
		}
	}
	if len(s.Behavior.Standardize) != len(names) {
		known := make(map[string]bool, len(names))
		for _, name := range names {
			known[name] = true
		}
		for name := range s.Behavior.Standardize {
			if !known[name] {
				return fail("behavior.standardize."+name, "is not a behaviour feature of this spec")
			}
		}
	}
	if s.Missing.Fill != "zeros" {
		return fail("missing.fill", "%q is not a fill policy; the only one is \"zeros\"", s.Missing.Fill)
	}
	for _, r := range s.Missing.Required {
		switch r {
		case BlockImage, BlockBehavior:
		case BlockText:
			if s.Blocks.Text.Dim == 0 {
				return fail("missing.required", "text is required but the text block has dim 0")
			}
		default:
			return fail("missing.required", "%q is not a block (image, text, behavior)", r)
		}
	}
	if s.Missing.UnknownDevices != "ignore" && s.Missing.UnknownDevices != "reject" {
		return fail("missing.unknown_devices", "%q must be \"ignore\" or \"reject\"", s.Missing.UnknownDevices)
	}
	return nil
}

// Hash is the hex SHA-256 of the spec's canonical encoding: the struct
// re-marshalled by encoding/json, so fields in struct order, map keys sorted,
// no whitespace, numbers in shortest form. Two files that decode to the same
// Spec hash the same whatever their whitespace or key order; any change to a
// value changes the hash.
func (s *Spec) Hash() string {
	canonical, err := json.Marshal(s)
	if err != nil {
		// Only a NaN or Inf constant can fail to marshal; hash its text so
		// that the result still differs from every valid spec's.
		canonical = fmt.Appendf(nil, "%#v", *s)
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

// Space is the Redis key space of vectors made with this spec: ID + "-" +
// the first 8 hex digits of Hash, e.g. "itemvec-fusion-v1-1a2b3c4d". A changed
// spec writes to a new space, so old and new vectors are never compared.
func (s *Spec) Space() string { return s.ID + "-" + s.Hash()[:8] }

// Dim is the length of a fused vector: image dim + text dim + behaviour dim.
func (s *Spec) Dim() int {
	return s.Blocks.Image.Dim + s.Blocks.Text.Dim + s.BehaviorDim()
}

// Layout returns where each block sits in the fused vector, always the three
// blocks image, text, behavior in that order, contiguous from offset 0. The
// text block is listed even when its Dim is 0, so that the layout has the same
// shape in every spec.
func (s *Spec) Layout() []BlockRange {
	img, txt := s.Blocks.Image.Dim, s.Blocks.Text.Dim
	return []BlockRange{
		{Name: BlockImage, Offset: 0, Dim: img},
		{Name: BlockText, Offset: img, Dim: txt},
		{Name: BlockBehavior, Offset: img + txt, Dim: s.BehaviorDim()},
	}
}

func (s *Spec) weight(block string) float64 {
	switch block {
	case BlockImage:
		return s.Blocks.Image.Weight
	case BlockText:
		return s.Blocks.Text.Weight
	default:
		return s.Blocks.Behavior.Weight
	}
}
