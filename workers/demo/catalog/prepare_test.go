package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/workers"
)

// testdata/texts.json is made from testdata/subjects.json with
//
//	node testdata/catalog/texts.cjs .deps/npm/faker/package/dist/index.cjs \
//	    workers/demo/catalog/testdata/subjects.json > workers/demo/catalog/testdata/texts.json
//
// run from the repository root. It names five photos: coffee.png (kept as PNG,
// variants jpeg and crop), horse.png (PNG with alpha, flip), camera.png
// (grayscale, small), retina.jpg (larger than MaxSide, crop) and
// nagasaki-boats.jpg (no variant).
const fixtureTexts = "testdata/texts.json"

// photosDir is the folder of photos make setup fetched, $ITEMVEC_DEPS/photos
// or <root>/.deps/photos, when it has every photo texts names. Otherwise the
// test is skipped, or fails when ITEMVEC_REQUIRE_DEPS=1.
func photosDir(t *testing.T, texts *Texts) string {
	t.Helper()
	rel := make([]string, len(texts.Photos))
	for i, p := range texts.Photos {
		rel[i] = "photos/" + p.File
	}
	testdeps.Require(t, rel...)
	return filepath.Join(testdeps.Dir(t), "photos")
}

func prepareFixture(t *testing.T, seed int64) (string, *Summary) {
	t.Helper()
	texts, err := ReadTexts(fixtureTexts)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	sum, err := Prepare(context.Background(), PrepareConfig{
		PhotosDir: photosDir(t, texts),
		TextsPath: fixtureTexts,
		OutDir:    out,
		Seed:      seed,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, sum
}

func TestPrepareIsDeterministic(t *testing.T) {
	a, _ := prepareFixture(t, DefaultSeed)
	b, _ := prepareFixture(t, DefaultSeed)
	other, _ := prepareFixture(t, DefaultSeed+1)

	files := []string{ManifestFile, CatalogFile}
	entries, err := os.ReadDir(filepath.Join(a, ImagesDir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		files = append(files, filepath.Join(ImagesDir, e.Name()))
	}
	for _, f := range files {
		if !bytes.Equal(readFile(t, filepath.Join(a, f)), readFile(t, filepath.Join(b, f))) {
			t.Errorf("%s differs between two runs with the same seed", f)
		}
		sameSeedOnly := f == ManifestFile || f == CatalogFile
		if equal := bytes.Equal(readFile(t, filepath.Join(a, f)), readFile(t, filepath.Join(other, f))); equal == sameSeedOnly {
			t.Errorf("%s: equal across seeds = %v, want %v (the seed drives behaviour only)", f, equal, !sameSeedOnly)
		}
	}
}

func TestPrepareFixture(t *testing.T) {
	dir, sum := prepareFixture(t, DefaultSeed)
	want := Summary{Products: 10, Originals: 5, Variants: 5, Groups: 4, PNG: 2}
	got := *sum
	got.ImageBytes, got.Manifest, got.Catalog = 0, "", ""
	if got != want {
		t.Errorf("summary = %+v, want %+v", got, want)
	}
	if s := sum.String(); !strings.HasPrefix(s, "10 products (5 photos, 5 near-duplicate variants in 4 groups; 2 PNG") {
		t.Errorf("String() = %q", s)
	}

	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	wantGroups := [][]string{
		{"sku-0001", "sku-0006", "sku-0007"},
		{"sku-0002", "sku-0008"},
		{"sku-0003", "sku-0009"},
		{"sku-0004", "sku-0010"},
	}
	if !reflect.DeepEqual(c.Groups, wantGroups) {
		t.Errorf("groups = %v, want %v", c.Groups, wantGroups)
	}
	wantPairs := [][2]string{
		{"sku-0001", "sku-0006"}, {"sku-0001", "sku-0007"}, {"sku-0006", "sku-0007"},
		{"sku-0002", "sku-0008"}, {"sku-0003", "sku-0009"}, {"sku-0004", "sku-0010"},
	}
	if got := c.NearDuplicatePairs(); !reflect.DeepEqual(got, wantPairs) {
		t.Errorf("pairs = %v, want %v", got, wantPairs)
	}

	manifest := readFile(t, filepath.Join(dir, ManifestFile))
	if got := bytes.Join(c.Lines, []byte("\n")); !bytes.Equal(append(got, '\n'), manifest) {
		t.Error("Lines do not reproduce the manifest")
	}
	byID := make(map[string]workers.Item)
	for i, line := range c.Lines {
		var it workers.Item
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&it); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		checkItem(t, c, it)
		byID[it.ID] = it
	}

	products := make(map[string]Product)
	for _, p := range c.Products {
		products[p.ID] = p
	}
	for _, pair := range c.NearDuplicatePairs() {
		a, b := products[pair[0]], products[pair[1]]
		if a.Source != b.Source {
			t.Errorf("%v: sources %s and %s differ", pair, a.Source, b.Source)
		}
		if a.Title == b.Title {
			t.Errorf("%v: both titled %q; a variant should read like another listing", pair, a.Title)
		}
		if reflect.DeepEqual(byID[a.ID].Behavior, byID[b.ID].Behavior) {
			t.Errorf("%v: identical behaviour", pair)
		}
		if bytes.Equal(readFile(t, c.Images[a.Key]), readFile(t, c.Images[b.Key])) {
			t.Errorf("%v: identical pictures", pair)
		}
	}
}

// checkItem checks one manifest item against its product and picture.
func checkItem(t *testing.T, c *Catalog, it workers.Item) {
	t.Helper()
	if len(it.Images) != 1 || !strings.HasPrefix(it.Images[0], "s3://"+DefaultBucket+"/"+DefaultKeyPrefix) {
		t.Errorf("%s: images = %v", it.ID, it.Images)
		return
	}
	key := strings.TrimPrefix(it.Images[0], "s3://"+DefaultBucket+"/")
	if _, ok := c.Images[key]; !ok {
		t.Errorf("%s: no picture for key %s", it.ID, key)
	}
	if it.Text == nil || it.Text.Title == "" || it.Text.Description == "" {
		t.Errorf("%s: text = %+v", it.ID, it.Text)
	}
	b := it.Behavior
	if b == nil {
		t.Errorf("%s: no behaviour", it.ID)
		return
	}
	if b.Price <= 0 {
		t.Errorf("%s: price %v", it.ID, b.Price)
	}
	if b.Rating != 0 && (b.Rating < 3 || b.Rating > 5) {
		t.Errorf("%s: rating %v, want 0 or within [3, 5]", it.ID, b.Rating)
	}
	var keys []string
	for k, d := range b.Devices {
		keys = append(keys, k)
		if d.Orders > d.Carts || d.Carts > d.Clicks || d.Clicks > d.Views || d.Orders < 0 {
			t.Errorf("%s %s: funnel %+v does not narrow", it.ID, k, d)
		}
	}
	slices.Sort(keys)
	if want := []string{"mobile", "pc", "tablet"}; !slices.Equal(keys, want) {
		t.Errorf("%s: devices %v, want %v", it.ID, keys, want)
	}
}

func TestPreparePictures(t *testing.T) {
	dir, _ := prepareFixture(t, DefaultSeed)
	tests := []struct {
		file          string
		format        string
		width, height int
		whiteCorner   bool
	}{
		{file: "coffee.png", format: "png", width: 600, height: 400},
		{file: "coffee-jpeg.jpg", format: "jpeg", width: 600, height: 400},
		{file: "coffee-crop.jpg", format: "jpeg", width: 480, height: 320},
		{file: "horse.png", format: "png", width: 400, height: 328},
		{file: "horse-flip.jpg", format: "jpeg", width: 400, height: 328, whiteCorner: true},
		{file: "camera.jpg", format: "jpeg", width: 512, height: 512},
		{file: "camera-small.jpg", format: "jpeg", width: 307, height: 307},
		{file: "retina.jpg", format: "jpeg", width: MaxSide, height: MaxSide},
		{file: "retina-crop.jpg", format: "jpeg", width: 819, height: 819},
		{file: "nagasaki-boats.jpg", format: "jpeg", width: 1024, height: 819},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			img, format, err := image.Decode(bytes.NewReader(readFile(t, filepath.Join(dir, ImagesDir, tt.file))))
			if err != nil {
				t.Fatal(err)
			}
			b := img.Bounds()
			if format != tt.format || b.Dx() != tt.width || b.Dy() != tt.height {
				t.Errorf("got %s %dx%d, want %s %dx%d", format, b.Dx(), b.Dy(), tt.format, tt.width, tt.height)
			}
			if tt.whiteCorner {
				if r, g, bl, _ := img.At(b.Min.X, b.Min.Y).RGBA(); r < 0xf000 || g < 0xf000 || bl < 0xf000 {
					t.Errorf("corner is %v, want white: transparency must become white in a JPEG", img.At(b.Min.X, b.Min.Y))
				}
			}
		})
	}
	// The grayscale photo stays a one-component JPEG.
	if _, ok := mustDecode(t, filepath.Join(dir, ImagesDir, "camera.jpg")).(*image.Gray); !ok {
		t.Error("camera.jpg is not a grayscale JPEG")
	}
}

func TestPrepareErrors(t *testing.T) {
	photos := t.TempDir()
	writePNG(t, filepath.Join(photos, "a.png"))
	if err := os.WriteFile(filepath.Join(photos, "not-an-image.png"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	listings := func(n int) []Listing {
		var ls []Listing
		for i := range n {
			ls = append(ls, Listing{Lang: "en", Title: "Title " + string(rune('A'+i)), Description: "d"})
		}
		return ls
	}
	photo := func(edit func(*PhotoTexts)) Texts {
		p := PhotoTexts{File: "a.png", Subject: "Thing", Price: [2]float64{5, 10}, KeepPNG: true,
			Variants: []Variant{VariantJPEG, VariantFlip}, Listings: listings(3)}
		if edit != nil {
			edit(&p)
		}
		return Texts{Seed: 1, Photos: []PhotoTexts{p}}
	}
	tests := []struct {
		name     string
		texts    *Texts // nil: no texts file
		want     string // code; "": success
		notExist bool
	}{
		{name: "valid", texts: ptr(photo(nil))},
		{name: "no texts file", want: CodeTexts, notExist: true},
		{name: "no photos", texts: &Texts{}, want: CodeTexts},
		{name: "unknown variant", texts: ptr(photo(func(p *PhotoTexts) { p.Variants[1] = "sepia" })), want: CodeTexts},
		{name: "variant twice", texts: ptr(photo(func(p *PhotoTexts) { p.Variants[1] = VariantJPEG })), want: CodeTexts},
		{name: "jpeg variant of a jpeg", texts: ptr(photo(func(p *PhotoTexts) { p.KeepPNG = false })), want: CodeTexts},
		{name: "too few listings", texts: ptr(photo(func(p *PhotoTexts) { p.Listings = p.Listings[:2] })), want: CodeTexts},
		{name: "untitled listing", texts: ptr(photo(func(p *PhotoTexts) { p.Listings[2].Title = "" })), want: CodeTexts},
		{name: "price band upside down", texts: ptr(photo(func(p *PhotoTexts) { p.Price = [2]float64{10, 5} })), want: CodeTexts},
		{name: "path outside photos", texts: ptr(photo(func(p *PhotoTexts) { p.File = "../a.png" })), want: CodeTexts},
		{name: "not a picture name", texts: ptr(photo(func(p *PhotoTexts) { p.File = "a.gif" })), want: CodeTexts},
		{name: "missing photo", texts: ptr(photo(func(p *PhotoTexts) { p.File = "b.png" })), want: CodePhoto, notExist: true},
		{name: "photo does not decode", texts: ptr(photo(func(p *PhotoTexts) { p.File = "not-an-image.png" })), want: CodePhoto},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			textsPath := filepath.Join(dir, "texts.json")
			if tt.texts != nil {
				writeJSON(t, textsPath, tt.texts)
			}
			// A manifest from an earlier run: a failed run must not leave it.
			out := filepath.Join(dir, "out")
			if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(out, ManifestFile), []byte(`{"id":"old"}`+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Prepare(context.Background(), PrepareConfig{PhotosDir: photos, TextsPath: textsPath, OutDir: out})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := Load(out); err != nil {
					t.Fatal(err)
				}
				return
			}
			if itemvec.CodeOf(err) != tt.want || itemvec.KindOf(err) != itemvec.KindBadInput || !strings.HasPrefix(err.Error(), "catalog: ") {
				t.Fatalf("err = %v (kind %v, code %q), want a catalog bad-input error of code %q", err, itemvec.KindOf(err), itemvec.CodeOf(err), tt.want)
			}
			if itemvec.IsRetryable(err) {
				t.Error("retryable")
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tt.notExist {
				t.Errorf("errors.Is(err, fs.ErrNotExist) = %v, want %v", got, tt.notExist)
			}
			if _, statErr := os.Stat(filepath.Join(out, ManifestFile)); statErr == nil {
				t.Error("a failed Prepare left a manifest")
			}
		})
	}
}

func TestPrepareCanceled(t *testing.T) {
	photos := t.TempDir()
	writePNG(t, filepath.Join(photos, "a.png"))
	textsPath := filepath.Join(t.TempDir(), "texts.json")
	writeJSON(t, textsPath, Texts{Photos: []PhotoTexts{{File: "a.png", Subject: "Thing", Price: [2]float64{1, 2}, Listings: []Listing{{Title: "T"}}}}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Prepare(ctx, PrepareConfig{PhotosDir: photos, TextsPath: textsPath, OutDir: t.TempDir()}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestPrepareBucketAndPrefix(t *testing.T) {
	photos := t.TempDir()
	writePNG(t, filepath.Join(photos, "a.png"))
	textsPath := filepath.Join(t.TempDir(), "texts.json")
	writeJSON(t, textsPath, Texts{Photos: []PhotoTexts{{File: "a.png", Subject: "Thing", Price: [2]float64{1, 2}, Listings: []Listing{{Title: "T"}}}}})
	out := t.TempDir()
	if _, err := Prepare(context.Background(), PrepareConfig{PhotosDir: photos, TextsPath: textsPath, OutDir: out, Bucket: "shop", KeyPrefix: "pics/v1"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Items[0].Images[0], "s3://shop/pics/v1/a.jpg"; got != want {
		t.Errorf("image URI = %s, want %s", got, want)
	}
	if _, ok := c.Images["pics/v1/a.jpg"]; !ok || c.Bucket != "shop" {
		t.Errorf("bucket %q, images %v", c.Bucket, c.Images)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
	}{
		{name: "no manifest", damage: func(t *testing.T, dir string) { remove(t, filepath.Join(dir, ManifestFile)) }},
		{name: "no catalog.json", damage: func(t *testing.T, dir string) { remove(t, filepath.Join(dir, CatalogFile)) }},
		{name: "no picture", damage: func(t *testing.T, dir string) { remove(t, filepath.Join(dir, ImagesDir, "a-flip.jpg")) }},
		{name: "manifest line not JSON", damage: func(t *testing.T, dir string) { appendFile(t, filepath.Join(dir, ManifestFile), "{\n") }},
		{name: "extra manifest line", damage: func(t *testing.T, dir string) { appendFile(t, filepath.Join(dir, ManifestFile), `{"id":"x"}`+"\n") }},
		{name: "lines out of order", damage: func(t *testing.T, dir string) {
			m := filepath.Join(dir, ManifestFile)
			lines := bytes.SplitAfter(readFile(t, m), []byte("\n"))
			lines[0], lines[1] = lines[1], lines[0]
			if err := os.WriteFile(m, bytes.Join(lines, nil), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "dup_of names no product", damage: func(t *testing.T, dir string) {
			c := filepath.Join(dir, CatalogFile)
			if err := os.WriteFile(c, bytes.ReplaceAll(readFile(t, c), []byte(`"dup_of": "sku-0001"`), []byte(`"dup_of": "sku-9999"`)), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			photos := t.TempDir()
			writePNG(t, filepath.Join(photos, "a.png"))
			textsPath := filepath.Join(t.TempDir(), "texts.json")
			writeJSON(t, textsPath, Texts{Photos: []PhotoTexts{{File: "a.png", Subject: "Thing", Price: [2]float64{1, 2},
				Variants: []Variant{VariantFlip}, Listings: []Listing{{Title: "T"}, {Title: "U"}}}}})
			out := t.TempDir()
			if _, err := Prepare(context.Background(), PrepareConfig{PhotosDir: photos, TextsPath: textsPath, OutDir: out}); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(out); err != nil {
				t.Fatalf("intact catalog: %v", err)
			}
			tt.damage(t, out)
			if _, err := Load(out); itemvec.CodeOf(err) != CodeCatalog || itemvec.KindOf(err) != itemvec.KindBadInput {
				t.Fatalf("err = %v, want code %q", err, CodeCatalog)
			}
		})
	}
}

// TestSampleSubjects checks testdata/catalog/subjects.json, from which make
// setup writes the texts of the catalog itemvec run ships.
func TestSampleSubjects(t *testing.T) {
	var subjects struct {
		Photos []PhotoTexts `json:"photos"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(testdeps.Root(t), "testdata", "catalog", "subjects.json")), &subjects); err != nil {
		t.Fatal(err)
	}
	texts := Texts{Photos: subjects.Photos}
	products := 0
	for i := range texts.Photos {
		p := &texts.Photos[i]
		if p.SubjectZH == "" {
			t.Errorf("%s: no Chinese subject", p.File)
		}
		products += 1 + len(p.Variants)
		// Listings come from texts.cjs; stand in for them here.
		for range 1 + len(p.Variants) {
			p.Listings = append(p.Listings, Listing{Title: p.Subject})
		}
	}
	if err := texts.check(); err != nil {
		t.Fatal(err)
	}
	if products < 40 || products > 55 {
		t.Errorf("%d products, want 40 to 55", products)
	}
	photosDir(t, &texts)
}

func ptr[T any](v T) *T { return &v }

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustDecode(t *testing.T, name string) image.Image {
	t.Helper()
	img, err := imaging.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func writeJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writePNG writes a small opaque gradient, different enough left to right
// that a flip changes it.
func writePNG(t *testing.T, name string) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	for y := range 30 {
		for x := range 40 {
			img.Set(x, y, color.NRGBA{R: uint8(6 * x), G: uint8(8 * y), B: 100, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, name string) {
	t.Helper()
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, name, s string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
