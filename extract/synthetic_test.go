package extract

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/itemvec/itemvec"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// gradient is a deterministic test picture: red grows left to right, green
// top to bottom, blue follows a checkerboard, so every pixel differs from its
// neighbours and any transposition, flip or channel swap shows.
func gradient(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, color.NRGBA{
				R: uint8(x * 255 / max(w-1, 1)),
				G: uint8(y * 255 / max(h-1, 1)),
				B: uint8(40 + 160*((x/2+y/2)%2)),
				A: 0xFF,
			})
		}
	}
	return m
}

// filled returns a w×h image of one color.
func filled(w, h int, c color.Color) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, c)
		}
	}
	return m
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeGIF(t testing.TB, frames ...*image.Paletted) []byte {
	t.Helper()
	var buf bytes.Buffer
	g := &gif.GIF{Image: frames, Delay: make([]int, len(frames))}
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// byteOrder is binary.LittleEndian or binary.BigEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// exifSegment builds a JPEG APP1 segment holding a TIFF structure whose
// IFD0 has the given entries (tag, type, count, 4-byte value field).
func exifSegment(order byteOrder, entries ...[12]byte) []byte {
	var tiff []byte
	if order == binary.LittleEndian {
		tiff = append(tiff, 'I', 'I')
	} else {
		tiff = append(tiff, 'M', 'M')
	}
	tiff = order.AppendUint16(tiff, 42)
	tiff = order.AppendUint32(tiff, 8)
	tiff = order.AppendUint16(tiff, uint16(len(entries)))
	for _, e := range entries {
		tiff = append(tiff, e[:]...)
	}
	tiff = order.AppendUint32(tiff, 0) // no next IFD
	return app1(append([]byte("Exif\x00\x00"), tiff...))
}

// ifdEntry encodes one IFD entry whose value fits the 4-byte value field.
func ifdEntry(order byteOrder, tag, typ uint16, count, value uint32) [12]byte {
	var e [12]byte
	order.PutUint16(e[0:], tag)
	order.PutUint16(e[2:], typ)
	order.PutUint32(e[4:], count)
	if typ == 3 {
		order.PutUint16(e[8:], uint16(value))
	} else {
		order.PutUint32(e[8:], value)
	}
	return e
}

func orientationEntry(order byteOrder, o uint16) [12]byte {
	return ifdEntry(order, tagOrientation, 3, 1, uint32(o))
}

func app1(body []byte) []byte {
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(body)+2))
	return append(seg, body...)
}

// insertAfterSOI puts segments right after a JPEG's SOI marker, where an
// EXIF APP1 segment lives.
func insertAfterSOI(jpg []byte, segments ...[]byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	for _, s := range segments {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

// pngChunk encodes one PNG chunk with a correct CRC.
func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// pngHeaderOnly is a PNG signature and an IHDR declaring w×h 8-bit RGB, with
// no pixel data: what a decompression bomb looks like up to its first IDAT.
func pngHeaderOnly(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // depth 8, truecolor, deflate, filter 0, no interlace
	out := append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
	return append(out, pngChunk("IEND", nil)...)
}

// jpegWithSize rewrites the frame size in a JPEG's SOF0 segment.
func jpegWithSize(t testing.TB, jpg []byte, w, h uint16) []byte {
	t.Helper()
	out := append([]byte{}, jpg...)
	i := bytes.Index(out, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0 segment")
	}
	binary.BigEndian.PutUint16(out[i+5:], h)
	binary.BigEndian.PutUint16(out[i+7:], w)
	return out
}

// webpVP8XHeader is a WebP whose VP8X chunk declares a w×h canvas.
func webpVP8XHeader(w, h uint32) []byte {
	vp8x := make([]byte, 10)
	vp8x[4], vp8x[5], vp8x[6] = byte(w-1), byte((w-1)>>8), byte((w-1)>>16)
	vp8x[7], vp8x[8], vp8x[9] = byte(h-1), byte((h-1)>>8), byte((h-1)>>16)
	body := append([]byte("WEBPVP8X"), binary.LittleEndian.AppendUint32(nil, uint32(len(vp8x)))...)
	body = append(body, vp8x...)
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

// gifScreen is a GIF header with a w×h logical screen and a 2-color table
// but no frames.
func gifScreen(w, h uint16) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, w)
	b = binary.LittleEndian.AppendUint16(b, h)
	b = append(b, 0x80, 0, 0) // global color table of 2 entries
	b = append(b, 0, 0, 0, 255, 255, 255)
	return append(b, 0x3B) // trailer
}

// asError unwraps err into the *itemvec.Error this package made, or fails
// the test.
func asError(t testing.TB, err error) *itemvec.Error {
	t.Helper()
	e, ok := errors.AsType[*itemvec.Error](err)
	if !ok {
		t.Fatalf("error %v (%T) is not an *itemvec.Error", err, err)
	}
	if _, ok := e.Err.(*itemvec.Cause); !ok {
		t.Fatalf("error %v (%T) is not an error of package extract", err, e.Err)
	}
	return e
}

// rgbAt reads the composited 8-bit RGB of img at (x, y).
func rgbAt(img image.Image, x, y int) [3]uint8 {
	c := color.NRGBAModel.Convert(img.At(img.Bounds().Min.X+x, img.Bounds().Min.Y+y)).(color.NRGBA)
	return [3]uint8{overWhite(c.R, c.A), overWhite(c.G, c.A), overWhite(c.B, c.A)}
}

// near reports whether two colors differ by at most tol in every channel.
func near(a, b [3]uint8, tol int) bool {
	for c := range a {
		if d := int(a[c]) - int(b[c]); d > tol || d < -tol {
			return false
		}
	}
	return true
}
