package extract

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"testing"
)

// orientedPicture is 64×32 as stored: a red block in the top-left corner, a
// green block in the top-right corner, blue elsewhere. No two corners look
// alike and the picture is not square, so each of the eight orientations
// puts the blocks in a different place or changes the size.
func orientedPicture() *image.NRGBA {
	m := filled(64, 32, color.NRGBA{0, 0, 255, 255})
	for y := range 16 {
		for x := range 16 {
			m.SetNRGBA(x, y, color.NRGBA{255, 0, 0, 255})
			m.SetNRGBA(48+x, y, color.NRGBA{0, 255, 0, 255})
		}
	}
	return m
}

func TestEXIFOrientation(t *testing.T) {
	red, green, blue := [3]uint8{255, 0, 0}, [3]uint8{0, 255, 0}, [3]uint8{0, 0, 255}
	type corners struct{ tl, tr, bl, br [3]uint8 }
	// Where the stored top-left (red) and top-right (green) corners must be
	// when the picture is shown, from the EXIF 2.3 definition of tag 0x0112.
	tests := []struct {
		orientation uint16
		size        image.Point
		want        corners
	}{
		{1, image.Pt(64, 32), corners{tl: red, tr: green, bl: blue, br: blue}},
		{2, image.Pt(64, 32), corners{tl: green, tr: red, bl: blue, br: blue}}, // mirrored
		{3, image.Pt(64, 32), corners{tl: blue, tr: blue, bl: green, br: red}}, // upside down
		{4, image.Pt(64, 32), corners{tl: blue, tr: blue, bl: red, br: green}}, // mirrored upside down
		{5, image.Pt(32, 64), corners{tl: red, tr: blue, bl: green, br: blue}}, // transposed
		{6, image.Pt(32, 64), corners{tl: blue, tr: red, bl: blue, br: green}}, // turned 90° clockwise
		{7, image.Pt(32, 64), corners{tl: blue, tr: green, bl: blue, br: red}}, // transversed
		{8, image.Pt(32, 64), corners{tl: green, tr: blue, bl: red, br: blue}}, // turned 90° counter-clockwise
	}
	plain := encodeJPEG(t, orientedPicture())
	for _, order := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%v/%d", order, tt.orientation), func(t *testing.T) {
				jpg := insertAfterSOI(plain, exifSegment(order,
					ifdEntry(order, 0x010F, 2, 4, 0), // Make, an entry before the one we want
					orientationEntry(order, tt.orientation)))
				if got := jpegOrientation(jpg); got != int(tt.orientation) {
					t.Fatalf("jpegOrientation = %d, want %d", got, tt.orientation)
				}
				img, err := DecodeImage(jpg, Limits{})
				if err != nil {
					t.Fatal(err)
				}
				if got := img.Bounds().Size(); got != tt.size {
					t.Fatalf("size = %v, want %v", got, tt.size)
				}
				w, h := tt.size.X, tt.size.Y
				got := corners{rgbAt(img, 4, 4), rgbAt(img, w-5, 4), rgbAt(img, 4, h-5), rgbAt(img, w-5, h-5)}
				for _, c := range []struct {
					name      string
					got, want [3]uint8
				}{
					{"top-left", got.tl, tt.want.tl}, {"top-right", got.tr, tt.want.tr},
					{"bottom-left", got.bl, tt.want.bl}, {"bottom-right", got.br, tt.want.br},
				} {
					if !near(c.got, c.want, 40) {
						t.Errorf("%s corner = %v, want %v", c.name, c.got, c.want)
					}
				}
			})
		}
	}
}

// Malformed EXIF must never panic and never fail the decode: the pixels are
// fine, so the image is used as stored.
func TestJPEGOrientationMalformed(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	plain := encodeJPEG(t, orientedPicture())
	withSeg := func(seg []byte) []byte { return insertAfterSOI(plain, seg) }
	tiffWith := func(tiff []byte) []byte { return withSeg(app1(append([]byte("Exif\x00\x00"), tiff...))) }
	valid := exifSegment(le, orientationEntry(le, 6))

	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"no exif", plain, 1},
		{"valid, for comparison", withSeg(valid), 6},
		{"orientation as LONG", withSeg(exifSegment(be, ifdEntry(be, tagOrientation, 4, 1, 8))), 8},
		{"orientation 0", withSeg(exifSegment(le, orientationEntry(le, 0))), 1},
		{"orientation 9", withSeg(exifSegment(le, orientationEntry(le, 9))), 1},
		{"orientation 0xFFFF", withSeg(exifSegment(be, orientationEntry(be, 0xFFFF))), 1},
		{"orientation as ASCII", withSeg(exifSegment(le, ifdEntry(le, tagOrientation, 2, 1, 6))), 1},
		{"orientation count 2", withSeg(exifSegment(le, ifdEntry(le, tagOrientation, 3, 2, 6))), 1},
		{"no orientation tag", withSeg(exifSegment(le, ifdEntry(le, 0x010F, 2, 4, 0))), 1},
		{"xmp app1, not exif", withSeg(app1([]byte("http://ns.adobe.com/xap/1.0/\x00<x/>"))), 1},
		{"bad byte order", tiffWith([]byte("IM\x2a\x00\x08\x00\x00\x00\x00\x00")), 1},
		{"bad magic", tiffWith([]byte("II\x2b\x00\x08\x00\x00\x00\x00\x00")), 1},
		{"tiff header cut", tiffWith([]byte("II\x2a\x00\x08")), 1},
		{"ifd offset past end", tiffWith([]byte("II\x2a\x00\xff\xff\xff\xff\x00\x00")), 1},
		{"ifd offset inside header", tiffWith([]byte("II\x2a\x00\x02\x00\x00\x00\x00\x00")), 1},
		{"ifd offset at last byte", tiffWith([]byte("II\x2a\x00\x09\x00\x00\x00\x00\x00")), 1},
		{"entry count past end", tiffWith([]byte("II\x2a\x00\x08\x00\x00\x00\xff\xff\x12\x01\x03\x00")), 1},
		{"entry cut short", tiffWith([]byte("II\x2a\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x06")), 1},
		{"exif header only", withSeg(app1([]byte("Exif\x00\x00"))), 1},
		{"segment length 0", insertAfterSOI(plain, []byte{0xFF, 0xE1, 0x00, 0x00}), 1},
		{"segment length past end", append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF}, valid[4:]...), 1},
		{"segment length cut", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00}, 1},
		{"only SOI", []byte{0xFF, 0xD8}, 1},
		{"SOI then fill bytes", []byte{0xFF, 0xD8, 0xFF, 0xFF, 0xFF}, 1},
		{"not a marker", []byte{0xFF, 0xD8, 0x12, 0x34}, 1},
		{"stuffed zero marker", []byte{0xFF, 0xD8, 0xFF, 0x00, 0x00, 0x04}, 1},
		{"fill bytes and restart markers before exif", append([]byte{0xFF, 0xD8, 0xFF, 0xFF, 0xD0}, valid...), 6},
		{"exif after start of scan is ignored", append([]byte{0xFF, 0xD8, 0xFF, 0xDA}, valid...), 1},
		{"second exif segment used when first is bad", withSeg(append(app1([]byte("Exif\x00\x00MM")), valid...)), 6},
		{"not a jpeg", []byte("\x89PNG"), 1},
		{"empty", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jpegOrientation(tt.data); got != tt.want {
				t.Errorf("jpegOrientation = %d, want %d", got, tt.want)
			}
		})
	}

	// A decodable JPEG with broken EXIF still decodes, as stored.
	for _, name := range []string{"ifd offset past end", "entry count past end", "orientation 9"} {
		found := 0
		for _, tt := range tests {
			if tt.name != name {
				continue
			}
			found++
			img, err := DecodeImage(tt.data, Limits{})
			if err != nil {
				t.Fatalf("%s: DecodeImage: %v", name, err)
			}
			if got := img.Bounds().Size(); got != image.Pt(64, 32) {
				t.Errorf("%s: size = %v, want the stored 64×32", name, got)
			}
		}
		if found != 1 {
			t.Errorf("%d cases named %q, want 1: the table changed", found, name)
		}
	}
}
