package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/workers"
)

// Defaults of PrepareConfig.
const (
	DefaultBucket    = "itemvec-sample"
	DefaultKeyPrefix = "images/"
	DefaultSeed      = 20260611
)

// File names inside a catalog folder.
const (
	ManifestFile = "manifest.jsonl"
	CatalogFile  = "catalog.json"
	ImagesDir    = "images"
)

// PrepareConfig says where Prepare reads and writes.
type PrepareConfig struct {
	// PhotosDir holds the photos the texts name, e.g. .deps/photos with
	// skimage/ and stdlib/ below it.
	PhotosDir string
	// TextsPath is the JSON file testdata/catalog/texts.cjs wrote.
	TextsPath string
	// OutDir receives images/, manifest.jsonl and catalog.json. It is
	// created if need be. Files of an earlier run are overwritten; pictures
	// no product names any more stay, unused (Load goes by catalog.json).
	OutDir string
	// Seed seeds the behaviour counters. Every value, 0 included, is a seed;
	// the CLI defaults to DefaultSeed.
	Seed int64
	// Bucket is the S3 bucket the manifest's image URIs name; "" means
	// DefaultBucket.
	Bucket string
	// KeyPrefix is the folder of the object keys: a picture's key is
	// path.Join(KeyPrefix, file name). "" means DefaultKeyPrefix.
	KeyPrefix string
}

// Summary counts what Prepare wrote.
type Summary struct {
	// Products is Originals + Variants: the manifest's line count.
	Products  int
	Originals int
	Variants  int
	// Groups is the number of near-duplicate groups: originals that have at
	// least one variant.
	Groups int
	// PNG is the number of pictures kept as PNG; the rest are JPEG.
	PNG int
	// ImageBytes is the size of all pictures together.
	ImageBytes int64
	// Manifest and Catalog are the paths of the files written.
	Manifest string
	Catalog  string
}

// String is a one-line account for the CLI.
func (s *Summary) String() string {
	return fmt.Sprintf("%d products (%d photos, %d near-duplicate variants in %d groups; %d PNG, the rest JPEG), %.1f MiB of pictures; manifest %s",
		s.Products, s.Originals, s.Variants, s.Groups, s.PNG, float64(s.ImageBytes)/(1<<20), s.Manifest)
}

// Product is one entry of catalog.json.
type Product struct {
	// ID is the manifest item's id, e.g. "sku-0001".
	ID    string `json:"id"`
	Title string `json:"title"`
	// Lang is the language of the texts: "en" or "zh".
	Lang string `json:"lang"`
	// Image is the picture's file name under images/; Key its object key.
	Image string `json:"image"`
	Key   string `json:"key"`
	// Source is the photo the picture was made from, relative to the photos
	// folder.
	Source string `json:"source"`
	// Variant is how the picture was derived from the original product's;
	// empty for an original.
	Variant Variant `json:"variant,omitempty"`
	// DupOf is the id of the original product a variant duplicates.
	DupOf string `json:"dup_of,omitempty"`
}

// catalogJSON is the layout of catalog.json.
type catalogJSON struct {
	// Texts names what wrote the texts, Seed the behaviour seed.
	Texts    string    `json:"texts"`
	Seed     int64     `json:"seed"`
	Bucket   string    `json:"bucket"`
	Products []Product `json:"products"`
}

// Prepare builds the sample catalog in cfg.OutDir from the photos and texts
// cfg names: one product per photo, then one per variant. Products are
// numbered sku-0001... in that order, so a variant's id does not give away
// which original it duplicates. The manifest of an earlier run is removed
// first and the new one written last, through a temporary file, so its
// presence means the catalog is complete.
func Prepare(ctx context.Context, cfg PrepareConfig) (*Summary, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultBucket
	}
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = DefaultKeyPrefix
	}
	sum := &Summary{
		Manifest: filepath.Join(cfg.OutDir, ManifestFile),
		Catalog:  filepath.Join(cfg.OutDir, CatalogFile),
	}
	// A manifest left by an earlier run would make a failed or half-rewritten
	// folder look complete.
	if err := os.Remove(sum.Manifest); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, newError(CodeWrite, "Prepare", sum.Manifest, err)
	}
	texts, err := ReadTexts(cfg.TextsPath)
	if err != nil {
		return nil, err
	}
	imagesDir := filepath.Join(cfg.OutDir, ImagesDir)
	if err := os.MkdirAll(imagesDir, 0o755); err != nil {
		return nil, newError(CodeWrite, "Prepare", imagesDir, err)
	}
	var originals, variants []Product
	var items, variantItems []workers.Item
	for i, p := range texts.Photos {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		src := filepath.Join(cfg.PhotosDir, filepath.FromSlash(p.File))
		img, err := openPhoto(src)
		if err != nil {
			return nil, newError(CodePhoto, "Prepare", src, err)
		}
		stem := photoStem(p.File)
		r := rng(cfg.Seed, p.File)
		shop := newShopper(r, p.Price)

		name := stem + ".jpg"
		if p.KeepPNG {
			name = stem + ".png"
			sum.PNG++
		}
		orig := Product{ID: productID(i + 1), Source: p.File}
		data, err := productPicture(img, p.KeepPNG)
		if err != nil {
			return nil, newError(CodePhoto, "Prepare", src, err)
		}
		if err := cfg.writePicture(sum, &orig, name, p.Listings[0], data); err != nil {
			return nil, err
		}
		originals = append(originals, orig)
		items = append(items, cfg.item(orig, p.Listings[0], shop.behavior(r)))

		if len(p.Variants) > 0 {
			sum.Groups++
		}
		for k, v := range p.Variants {
			vr := rng(cfg.Seed, p.File+"#"+string(v))
			vp := Product{
				ID:      productID(len(texts.Photos) + len(variants) + 1),
				Source:  p.File,
				Variant: v,
				DupOf:   orig.ID,
			}
			data, err := variantPicture(img, v)
			if err != nil {
				return nil, newError(CodePhoto, "Prepare", src, fmt.Errorf("variant %s: %w", v, err))
			}
			if err := cfg.writePicture(sum, &vp, stem+"-"+string(v)+".jpg", p.Listings[1+k], data); err != nil {
				return nil, err
			}
			variants = append(variants, vp)
			variantItems = append(variantItems, cfg.item(vp, p.Listings[1+k], shop.resold(vr).behavior(vr)))
		}
	}
	products := append(originals, variants...)
	items = append(items, variantItems...)
	sum.Originals, sum.Variants, sum.Products = len(originals), len(variants), len(products)

	cat, err := json.MarshalIndent(catalogJSON{
		Texts:    texts.Generator,
		Seed:     cfg.Seed,
		Bucket:   cfg.Bucket,
		Products: products,
	}, "", "  ")
	if err != nil {
		return nil, newError(CodeWrite, "Prepare", sum.Catalog, err)
	}
	if err := os.WriteFile(sum.Catalog, append(cat, '\n'), 0o644); err != nil {
		return nil, newError(CodeWrite, "Prepare", sum.Catalog, err)
	}
	var manifest bytes.Buffer
	for _, it := range items {
		line, err := json.Marshal(it)
		if err != nil {
			return nil, newError(CodeWrite, "Prepare", sum.Manifest, fmt.Errorf("item %s: %w", it.ID, err))
		}
		manifest.Write(line)
		manifest.WriteByte('\n')
	}
	if err := writeAtomic(sum.Manifest, manifest.Bytes()); err != nil {
		return nil, newError(CodeWrite, "Prepare", sum.Manifest, err)
	}
	return sum, nil
}

// writePicture writes a product's picture under images/ and fills in the
// product's picture and text fields.
func (cfg PrepareConfig) writePicture(sum *Summary, p *Product, name string, l Listing, data []byte) error {
	dst := filepath.Join(cfg.OutDir, ImagesDir, name)
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		return newError(CodeWrite, "Prepare", dst, err)
	}
	sum.ImageBytes += int64(len(data))
	p.Image = name
	p.Key = path.Join(cfg.KeyPrefix, name)
	p.Title = l.Title
	p.Lang = l.Lang
	return nil
}

// item is the manifest line of product p.
func (cfg PrepareConfig) item(p Product, l Listing, b *fusion.Behavior) workers.Item {
	return workers.Item{
		ID:       p.ID,
		Images:   []string{"s3://" + cfg.Bucket + "/" + p.Key},
		Text:     &workers.Text{Title: l.Title, Description: l.Description},
		Behavior: b,
	}
}

func productID(n int) string { return fmt.Sprintf("sku-%04d", n) }

// writeAtomic writes data to name through a temporary file in the same
// folder, so that readers never see a partial file.
func writeAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
