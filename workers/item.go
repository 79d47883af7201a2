package workers

import "github.com/itemvec/itemvec/fusion"

// Item is one product as catalog ingestion names it: where its pictures and
// texts are and how shoppers behaved around it. It is the unit of work of an
// itemvec:embed task and one line of an enqueue manifest (JSON lines).
type Item struct {
	// ID is the product's identifier in the catalog, e.g. "sku-1". It names
	// the Redis hash the item's vector is written to.
	ID string `json:"id"`
	// Images are s3://bucket/key URIs; the first one that decodes is embedded.
	Images []string `json:"images,omitempty"`
	// Text holds the product's texts. The text block of the fused vector stays
	// empty until a text encoder is configured.
	Text *Text `json:"text,omitempty"`
	// Behavior holds price, rating and per-device counters.
	Behavior *fusion.Behavior `json:"behavior,omitempty"`
}

// Text is a product's human-readable description.
type Text struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
}
