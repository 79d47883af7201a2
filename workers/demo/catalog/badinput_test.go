package catalog

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg"
	"net/http"
	"strings"
	"testing"
)

func TestBadItems(t *testing.T) {
	items, objects := BadItems("shop")
	tests := []struct {
		id       string
		key      string
		present  bool
		sniffed  string
		decodeOK bool
	}{
		{id: BadCorruptJPEG, key: "bad/corrupt.jpg", present: true, sniffed: "image/jpeg"},
		{id: BadZeroBytes, key: "bad/zero-bytes.jpg", present: true},
		{id: BadMissingKey, key: "bad/missing-key.jpg"},
	}
	if len(items) != len(tests) {
		t.Fatalf("%d items, want %d", len(items), len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			it := items[i]
			if it.ID != tt.id || len(it.Images) != 1 || it.Images[0] != "s3://shop/"+tt.key {
				t.Fatalf("item = %+v, want id %s, image s3://shop/%s", it, tt.id, tt.key)
			}
			if it.Text == nil || it.Behavior == nil {
				t.Error("want texts and behaviour, so that only the picture is bad")
			}
			data, ok := objects[tt.key]
			if ok != tt.present {
				t.Fatalf("object present = %v, want %v", ok, tt.present)
			}
			if !ok {
				return
			}
			if tt.sniffed != "" && http.DetectContentType(data) != tt.sniffed {
				t.Errorf("sniffed as %s, want %s", http.DetectContentType(data), tt.sniffed)
			}
			if _, _, err := image.Decode(bytes.NewReader(data)); err == nil {
				t.Error("decodes; want an error")
			}
		})
	}
	if len(objects) != 2 {
		t.Errorf("%d objects, want 2", len(objects))
	}
}

func TestCorruptJPEGHeaderIsValid(t *testing.T) {
	_, objects := BadItems("b")
	cfg, format, err := image.DecodeConfig(bytes.NewReader(objects["bad/corrupt.jpg"]))
	if err != nil || format != "jpeg" || cfg.Width != 16 || cfg.Height != 16 {
		t.Fatalf("DecodeConfig = %+v, %q, %v; want a readable 16x16 JPEG header", cfg, format, err)
	}
	if bytes.Contains(objects["bad/corrupt.jpg"][len(objects["bad/corrupt.jpg"])-4096:], []byte{0xFF}) {
		t.Error("the garbage body holds a 0xFF byte, which a decoder could take for a marker")
	}
}

func ExampleBadItems() {
	items, objects := BadItems("itemvec-sample")
	for _, it := range items {
		data, ok := objects[strings.TrimPrefix(it.Images[0], "s3://itemvec-sample/")]
		fmt.Println(it.ID, it.Images[0], ok, len(data) > 0)
	}
	// Output:
	// bad-corrupt-jpeg s3://itemvec-sample/bad/corrupt.jpg true true
	// bad-zero-bytes s3://itemvec-sample/bad/zero-bytes.jpg true false
	// bad-missing-key s3://itemvec-sample/bad/missing-key.jpg false false
}
