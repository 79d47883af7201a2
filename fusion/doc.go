// Package fusion turns one item's embeddings and shopper behaviour into a
// single unit-norm item vector, by a versioned spec. It is pure math: it does
// no I/O (apart from LoadSpec reading a spec file), runs no model and imports
// no itemvec package but the module root (the error vocabulary). Model
// outputs come in from onnx via workers; the fused vector goes out to storage
// via workers.
//
// # Spec
//
// A Spec (JSON) names the models whose embeddings feed the vector, weights
// the blocks, and holds every constant of the behaviour features. Two specs
// are embedded:
//
//	function         file           id                 image  text              behaviour  dim
//	DefaultTextSpec  specs/v2.json  itemvec-fusion-v2  1280   512 (use-lite@1)  31         1823
//	DefaultSpec      specs/v1.json  itemvec-fusion-v1  1280   0 (no model)      31         1311
//
// v2 is the default: itemvec uses it with the built-in text model, Universal
// Sentence Encoder Lite. v1 is what the command line uses with
// --text-model none. Both take the image embedding of
// mobilenetv2-nsfwjs-gap@1, and they differ only in id, version and the text
// block: weights, devices and every behaviour constant are the same. Any
// other spec is a file read by LoadSpec.
//
// Spec.Hash is the SHA-256 of the spec's canonical JSON, and Spec.Space,
// ID + "-" + the first 8 hex digits of the hash, is the Redis key space
// vectors are written to: change any constant and new vectors land in a new
// space instead of mixing with vectors they cannot be compared to.
//
// # Layout
//
// A fused vector is Spec.Dim() = image dim + text dim + behaviour dim values,
// always in this order (Spec.Layout):
//
//	block     offset            dim                v2             v1
//	image     0                 blocks.image.dim   [0, 1280)      [0, 1280)     mobilenetv2-nsfwjs-gap@1
//	text      image dim         blocks.text.dim    [1280, 1792)   [1280, 1280)  v2: use-lite@1; v1: empty
//	behavior  image + text dim  3 + 4 + 8·devices  [1792, 1823)   [1280, 1311)  31 features
//
// The text slot is part of the layout even when its dim is 0, as in v1, so
// adding a text model (a new spec version: v2) only inserts columns at a
// known place.
//
// # Fusion
//
// For each present block b with input x_b and spec weight w_b:
//
//	u_b   = w_b · x_b / ‖x_b‖₂
//	fused = concat(u_image, u_text, u_behavior) / sqrt(Σ_present w_b²)
//
// so ‖fused‖₂ = 1, and block b's norm inside it is w_b / sqrt(Σ_present w²).
// For two items with the same blocks present, the cosine of their fused
// vectors is the weight²-averaged cosine of their blocks:
//
//	cos(f, g) = Σ_b w_b² · cos(x_b, y_b) / Σ_b w_b²
//
// Both embedded specs weight image 1, text 1 and behaviour 0.5. With v2 and
// all three blocks present, image and text similarity each make up
// 1/2.25 ≈ 44.4% of the score and behaviour 0.25/2.25 ≈ 11.1%; with v1 (no
// text model), image makes up 1/1.25 = 80% and behaviour 20%.
//
// A missing block (nil or empty embedding, nil Behavior, or an input of zero
// norm) leaves its slot all zeros and is absent from Vector.Modalities; the
// final normalisation gives its weight to the present blocks. Position i of
// Values means the same thing for every item, whatever is missing. An item
// with no block present is an error, as is one missing a block listed in
// missing.required.
//
// # Behaviour features
//
// Each feature is first a raw value x in [0, 1], then standardised with the
// spec's per-feature constants:
//
//	z = clamp((x − center) / scale, −1, 1)
//
// Raw values, with α, β the smoothing prior of each rate and C = count_ref:
//
//	log_price        min(1, log1p(price) / log1p(price_ref))
//	rating           rating / rating_max; unrated (rating 0, when
//	                 rating_zero_means_unrated): the feature's center, so z = 0
//	has_rating       1 if rated, else 0
//	d.log_views      min(1, log1p(views_d) / log1p(C))   (clicks, carts, orders alike)
//	d.ctr            min(1, (clicks_d + α) / (views_d  + α + β))   ctr_prior
//	d.cart_rate      min(1, (carts_d  + α) / (clicks_d + α + β))   cart_prior
//	d.cvr            min(1, (orders_d + α) / (clicks_d + α + β))   cvr_prior
//	d.view_share     views_d / Σ views; with no views at all, the center (z = 0)
//	total.log_views, total.ctr, total.cart_rate, total.cvr
//	                 as above, on counters summed over the spec's devices
//
// for each device d of behavior.devices (v1 and v2: pc, mobile, tablet), in
// the order of Spec.BehaviorFeatureNames, where a device's counters include
// those of its aliases (see Device aliases). The smoothed rates equal the
// prior mean α/(α+β) for an item with no traffic and approach the raw rate
// as traffic grows, so a single click on a single view does not read as
// CTR 1. Later funnel stages may exceed earlier ones (clicks > views); the
// rate is then clipped to 1 and the vector carries a counters_inconsistent
// warning.
//
// Centring matters: every raw feature is non-negative, so without it all
// behaviour blocks would point into the same orthant and their cosines would
// all be high. Subtracting the centre of a typical item makes the cosine of
// two behaviour blocks say whether the items deviate from typical in the same
// way: a cold item and a best seller point in opposite directions.
//
// # How the behaviour constants were chosen
//
// v1 and v2 share them. They are set by hand from a documented typical item,
// not fitted to data (there was no catalogue sample to fit them on): price
// 50, rating 4.2, and 2000 views, 100 clicks, 20 carts, 10 orders split
// 40/50/10 over pc, mobile and tablet. Each center is the raw feature of that item, so it maps to
// (nearly) 0; has_rating's center 0.8 assumes 80% of items are rated. The
// priors are the typical rates (CTR 5% = Beta(1, 19), cart rate 20% =
// Beta(1, 4), conversion 10% = Beta(1, 9)), so a rate's center is its prior
// mean. Scales are the raw spread mapped to ±1: 0.5 for log counts (0 views to
// about 10⁶), 0.3 for log price (about 2 to 800 around 50), 0.2 for rating
// (3.2 to 5), 0.1 for CTR and conversion, 0.2 for cart rate, 0.5 for shares
// and 1 for has_rating. To refit on real data, set each center to the
// feature's catalogue mean and each scale to about two standard deviations
// (at most 1), and ship the result as a new spec version; its hash, and so
// its Space, will differ.
//
// Note that the log-count features move together, so popularity is the
// leading direction of the behaviour block. An item whose features all sit
// exactly at their centers has a zero behaviour block, which Fuse treats as
// missing.
//
// # Device aliases
//
// A feed often names devices its own way ("ios_app", "web"). The spec's
// behavior.device_aliases maps such a key to one of behavior.devices:
//
//	"device_aliases": {"ios_app": "mobile", "android_app": "mobile", "ipad_app": "tablet", "web": "pc"}
//
// An alias's counters are added to its target's before any feature is
// computed, so they count in that device's features, in its view share and
// in the totals; aliases add no features and leave the dim as it is. A key
// is not a device of the spec and not "total"; a value is a device of the
// spec. Aliases change what a vector means, so they are part of Hash and a
// spec that gains them writes to a new Space. Without aliases the field is
// left out of the canonical encoding: v1 and v2 have none and keep their
// spaces (itemvec-fusion-v1-cf45bc02, itemvec-fusion-v2-d408b43b).
//
// A key that is neither a device nor an alias is unknown. Under
// missing.unknown_devices "reject" it fails the item (CodeInvalidInput);
// under "ignore" (v1, v2) its counters count nowhere, since they cannot be
// features of a fixed layout, and the vector says so in a warning.
//
// # Warnings
//
// Input that is odd but not invalid is fused and reported in
// Vector.Warnings (Spec.BehaviorWarnings gives the same list without
// fusing), never silently: each Warning has a Code, the Field concerned and
// a Message a person can act on, and the list is sorted by field, then code.
// The codes:
//
//	unknown_device         an unknown device key with any non-zero counter,
//	                       under "ignore": its counters were left out
//	                       (field behavior.devices.<key>). With all counters
//	                       0 nothing is lost and there is no warning.
//	counters_inconsistent  a device of the spec, aliases added in, has more
//	                       clicks than views, or more carts or orders than
//	                       clicks: the rate of that pair is overstated
//	                       (field behavior.devices.<device>).
//
// For example, 100,000 views on "ios_app" under v1 give
//
//	unknown_device behavior.devices.ios_app: device "ios_app" is not in the spec (pc, mobile, tablet): its 100000 views,
//	800 clicks, 0 carts and 0 orders were left out; map it with behavior.device_aliases or add the device to a new spec
//
// What is already an error stays one: a negative counter, a bad price or
// rating, an unknown device under "reject".
//
// # Counter refresh
//
// Behaviour changes far more often than an item's image or text.
// Fuser.Refuse re-fuses an item from its stored vector and new counters:
// each embedding block of a fused vector is the block's unit input times a
// positive constant, so dividing the stored image and text slices by their
// own norms gives the unit embeddings back, and Refuse(Fuse(emb, b1).Values,
// b2) equals Fuse(emb, b2) up to float32 rounding (tested to 1e-6 per
// value). A block that was missing (all zeros) stays missing; the stored
// behaviour block and the stored vector's overall scale are ignored. The
// stored vector must be of the Fuser's spec: Refuse checks its length, but
// only the caller can check its spec hash.
//
// # Errors
//
// Every error is an *itemvec.Error whose Code is one of CodeInvalidSpec
// (kind config), CodeDimensionMismatch (config: the models and the spec
// disagree), CodeInvalidInput and CodeMissingModality (both bad input). Its
// message reads "fusion: Op: Field: <code in words>: reason", e.g.
// "fusion: Fuse: image: dimension mismatch: got 3 values, want 4", and
// FieldOf returns the offending field. None is retryable, since the same
// inputs fail the same way again.
package fusion
