package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Variant names a near-duplicate derived from a product's photo.
type Variant string

// The variants Prepare knows how to make.
const (
	// VariantCrop is the central 80% of the picture, JPEG quality 90.
	VariantCrop Variant = "crop"
	// VariantFlip is the picture mirrored left to right, JPEG quality 90.
	VariantFlip Variant = "flip"
	// VariantSmall is the picture at 60% of its size, JPEG quality 70.
	VariantSmall Variant = "small"
	// VariantJPEG is a JPEG (quality 80) of a product whose own picture is
	// kept as PNG: the same pixels in another container.
	VariantJPEG Variant = "jpeg"
)

func (v Variant) valid() bool {
	switch v {
	case VariantCrop, VariantFlip, VariantSmall, VariantJPEG:
		return true
	}
	return false
}

// Texts is the file testdata/catalog/texts.cjs writes: per photo, the product
// it stands for and the listings (title, description, language) of that
// product and of its variants.
type Texts struct {
	// Generator names what wrote the texts, e.g. "@faker-js/faker 9.9.0".
	Generator string `json:"generator"`
	// Seed is the seed faker ran with.
	Seed   int64        `json:"seed"`
	Photos []PhotoTexts `json:"photos"`
}

// PhotoTexts is one photo and the products made from it.
type PhotoTexts struct {
	// File is the photo's path relative to the photos folder, with forward
	// slashes, e.g. "skimage/coffee.png".
	File string `json:"file"`
	// Subject is the English name of the product, e.g. "Espresso Cup and
	// Saucer"; SubjectZH its Chinese name.
	Subject   string `json:"subject"`
	SubjectZH string `json:"subject_zh"`
	// Price is the band [low, high] the product's price is drawn from.
	Price [2]float64 `json:"price"`
	// KeepPNG keeps the product's own picture as PNG.
	KeepPNG bool `json:"keep_png"`
	// Variants are the near-duplicates to derive, in order.
	Variants []Variant `json:"variants"`
	// Listings are the texts of the product and then of each variant: at
	// least 1+len(Variants).
	Listings []Listing `json:"listings"`
}

// Listing is one product's texts.
type Listing struct {
	// Lang is "en" or "zh".
	Lang        string `json:"lang"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

// ReadTexts reads and checks a texts file.
func ReadTexts(path string) (*Texts, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, newError(CodeTexts, "ReadTexts", path, err)
	}
	var t Texts
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, newError(CodeTexts, "ReadTexts", path, err)
	}
	if err := t.check(); err != nil {
		return nil, newError(CodeTexts, "ReadTexts", path, err)
	}
	return &t, nil
}

// check reports the first inconsistency in t.
func (t *Texts) check() error {
	if len(t.Photos) == 0 {
		return errors.New("no photos")
	}
	stems := make(map[string]string, len(t.Photos))
	for _, p := range t.Photos {
		if !filepath.IsLocal(filepath.FromSlash(p.File)) {
			return fmt.Errorf("photo %q: not a path inside the photos folder", p.File)
		}
		ext := strings.ToLower(filepath.Ext(p.File))
		if ext != ".png" && ext != ".jpg" && ext != ".jpeg" {
			return fmt.Errorf("photo %q: want a .png, .jpg or .jpeg file", p.File)
		}
		stem := photoStem(p.File)
		if other, dup := stems[stem]; dup {
			return fmt.Errorf("photos %q and %q would both be named %q", other, p.File, stem)
		}
		stems[stem] = p.File
		if p.Subject == "" {
			return fmt.Errorf("photo %q: no subject", p.File)
		}
		if !(p.Price[0] > 0 && p.Price[0] <= p.Price[1]) {
			return fmt.Errorf("photo %q: price band %v is not 0 < low <= high", p.File, p.Price)
		}
		if p.KeepPNG && ext != ".png" {
			return fmt.Errorf("photo %q: keep_png on a photo that is not a PNG", p.File)
		}
		seen := make(map[Variant]bool, len(p.Variants))
		for _, v := range p.Variants {
			switch {
			case !v.valid():
				return fmt.Errorf("photo %q: unknown variant %q", p.File, v)
			case seen[v]:
				return fmt.Errorf("photo %q: variant %q twice", p.File, v)
			case v == VariantJPEG && !p.KeepPNG:
				return fmt.Errorf("photo %q: variant %q needs keep_png, or it would equal the product's own picture", p.File, v)
			}
			seen[v] = true
		}
		if len(p.Listings) < 1+len(p.Variants) {
			return fmt.Errorf("photo %q: %d listings for %d products", p.File, len(p.Listings), 1+len(p.Variants))
		}
		for i, l := range p.Listings[:1+len(p.Variants)] {
			if l.Title == "" {
				return fmt.Errorf("photo %q: listing %d has no title", p.File, i)
			}
		}
	}
	return nil
}

// photoStem is a photo's file name without folder and extension.
func photoStem(file string) string {
	base := filepath.Base(filepath.FromSlash(file))
	return strings.TrimSuffix(base, filepath.Ext(base))
}
