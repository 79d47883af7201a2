package catalog

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"

	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/workers"
)

// IDs of the items BadItems returns.
const (
	BadCorruptJPEG = "bad-corrupt-jpeg"
	BadZeroBytes   = "bad-zero-bytes"
	BadMissingKey  = "bad-missing-key"
)

// BadItems returns items whose pictures cannot be embedded, for the
// end-to-end test, and the objects to put in bucket for them:
//
//   - BadCorruptJPEG points at bad/corrupt.jpg: a real JPEG's header up to
//     its frame header, then bytes that are no JPEG and no end-of-image
//     marker. It sniffs as image/jpeg, its size can be read, and it fails to
//     decode.
//   - BadZeroBytes points at bad/zero-bytes.jpg, an empty object.
//   - BadMissingKey points at bad/missing-key.jpg, which objects lacks.
//
// Each item also carries texts and behaviour, so only its picture is wrong.
func BadItems(bucket string) (items []workers.Item, objects map[string][]byte) {
	objects = map[string][]byte{
		"bad/corrupt.jpg":    corruptJPEG(),
		"bad/zero-bytes.jpg": {},
	}
	for _, bad := range []struct{ id, key, title string }{
		{BadCorruptJPEG, "bad/corrupt.jpg", "Corrupt JPEG Listing"},
		{BadZeroBytes, "bad/zero-bytes.jpg", "Empty Image Listing"},
		{BadMissingKey, "bad/missing-key.jpg", "Missing Image Listing"},
	} {
		items = append(items, workers.Item{
			ID:     bad.id,
			Images: []string{"s3://" + bucket + "/" + bad.key},
			Text:   &workers.Text{Title: bad.title, Description: "A listing whose picture cannot be read."},
			Behavior: &fusion.Behavior{
				Price:   9.99,
				Rating:  0,
				Devices: map[string]fusion.DeviceCounters{"mobile": {Views: 100, Clicks: 5, Carts: 1, Orders: 0}},
			},
		})
	}
	return items, objects
}

// jfifSegment is an APP0 JFIF 1.01 segment: no density unit, 1:1 pixel
// aspect, no thumbnail.
var jfifSegment = []byte{0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00}

// corruptJPEG is a real 16x16 JPEG cut after its frame header (start of
// image, JFIF segment, quantisation tables, start of frame), so that
// image.DecodeConfig
// still reports 16x16, followed by 4 KiB of bytes with no 0xFF among them, so
// no decoder finds the Huffman tables, the scan or an end of image.
func corruptJPEG() []byte {
	img := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var buf bytes.Buffer
	// Encoding an in-memory image into a buffer cannot fail.
	_ = jpeg.Encode(&buf, img, nil)
	full := buf.Bytes()
	// After the 2-byte start of image, each segment is a 2-byte marker and a
	// big-endian length that counts itself but not the marker.
	end := len(full)
	for i := 2; i+4 <= len(full); {
		seg := i + 2 + int(binary.BigEndian.Uint16(full[i+2:]))
		if full[i+1] == 0xC0 {
			end = seg
			break
		}
		i = seg
	}
	// Go's encoder writes no JFIF segment; real cameras and editors do, and
	// decoders read the frame size without looking further only with it.
	out := append([]byte{}, full[:2]...)
	out = append(out, jfifSegment...)
	out = append(out, full[2:end]...)
	x := uint32(2463534242)
	for range 4096 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		out = append(out, byte(x%255))
	}
	return out
}
