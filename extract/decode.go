package extract

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"unicode/utf8"

	"golang.org/x/image/webp"

	"github.com/itemvec/itemvec"
)

// imageFormat is one supported container: how to recognise it and how to
// decode its header and its pixels.
type imageFormat struct {
	name         string
	match        func(data []byte) bool
	decodeConfig func(r io.Reader) (image.Config, error)
	decode       func(r io.Reader) (image.Image, error)
}

// imageFormats are tried in order by their magic bytes. The package calls the
// decoders directly instead of going through image.Decode, so what it accepts
// does not depend on which other packages registered a format.
var imageFormats = []imageFormat{
	{"JPEG", func(d []byte) bool { return bytes.HasPrefix(d, []byte{0xFF, 0xD8}) }, jpeg.DecodeConfig, jpeg.Decode},
	{"PNG", func(d []byte) bool { return bytes.HasPrefix(d, []byte("\x89PNG\r\n\x1a\n")) }, png.DecodeConfig, png.Decode},
	// gif.Decode returns the first frame only and stops reading after it.
	{"GIF", func(d []byte) bool {
		return bytes.HasPrefix(d, []byte("GIF87a")) || bytes.HasPrefix(d, []byte("GIF89a"))
	}, gif.DecodeConfig, gif.Decode},
	{"WebP", func(d []byte) bool {
		return len(d) >= 12 && string(d[:4]) == "RIFF" && string(d[8:12]) == "WEBP"
	}, webp.DecodeConfig, webp.Decode},
}

// DecodeImage decodes a JPEG, PNG, GIF (first frame) or WebP image and
// returns it upright and opaque:
//
//   - the input is refused with an [*itemvec.Error] of kind bad input
//     (its Code says why), before any pixel data is decompressed, when it
//     is empty, longer than lim.MaxBytes, not one of the four formats, or
//     its header declares a zero side or more than lim.MaxPixels pixels;
//   - a JPEG's EXIF orientation (1–8) is applied, so the result looks the
//     way a photo viewer shows it;
//   - CMYK and YCCK JPEGs are converted to RGB;
//   - transparent and translucent pixels (PNG, GIF, WebP) are composited
//     onto white, the background product photos are shot against, so a
//     transparent background never turns into black.
//
// Grayscale, 16-bit and paletted images are returned in their own color
// model; every color model converts to RGB with R=G=B for gray. A GIF's
// first frame keeps its own rectangle, which need not start at (0, 0).
// EXIF in PNG and WebP files is not read.
func DecodeImage(data []byte, lim Limits) (image.Image, error) {
	lim = lim.WithDefaults()
	if len(data) == 0 {
		return nil, badImage(CodeEmpty, "image is empty (0 bytes)", nil)
	}
	if n := int64(len(data)); n > lim.MaxBytes {
		return nil, badImage(CodeTooLarge,
			fmt.Sprintf("image is %s, over the %s limit", formatBytes(n), formatBytes(lim.MaxBytes)), nil)
	}
	f, ok := sniffFormat(data)
	if !ok {
		return nil, badImage(CodeUnsupportedFormat,
			fmt.Sprintf("unsupported image format (%s); supported: JPEG, PNG, GIF, WebP", describeUnknown(data)), nil)
	}

	var cfg image.Config
	err := guardDecoder(f.name, func() (err error) {
		cfg, err = f.decodeConfig(bytes.NewReader(data))
		return err
	})
	if err != nil {
		return nil, corrupt(f.name, "header", len(data), err, false)
	}
	if err := checkSize(f.name, cfg.Width, cfg.Height, lim); err != nil {
		return nil, err
	}

	var img image.Image
	err = guardDecoder(f.name, func() (err error) {
		img, err = f.decode(bytes.NewReader(data))
		return err
	})
	if err != nil {
		return nil, corrupt(f.name, "data", len(data), err, f.name == "JPEG" && !hasJPEGEnd(data))
	}
	// The header was checked above; check what the decoder actually
	// produced too, in case the two disagree.
	b := img.Bounds()
	if err := checkSize(f.name, b.Dx(), b.Dy(), lim); err != nil {
		return nil, err
	}

	img = flatten(img)
	if f.name == "JPEG" {
		img = applyOrientation(img, jpegOrientation(data))
	}
	return img, nil
}

func sniffFormat(data []byte) (imageFormat, bool) {
	for _, f := range imageFormats {
		if f.match(data) {
			return f, true
		}
	}
	return imageFormat{}, false
}

// guardDecoder runs one decoder call. The standard decoders are written not
// to panic on any input, and the checks before each call (magic bytes, size
// limits) are the real defence. This recover is a last line of defence: a
// decoder bug must turn one bad image into one error, not take down a
// worker that is processing many.
func guardDecoder(format string, call func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s decoder panicked: %v", format, p)
		}
	}()
	return call()
}

// corrupt describes a decoder failure. It says "truncated" when the decoder
// ran out of bytes or, for a JPEG, when the end-of-image marker is missing:
// image/jpeg reports a cut inside the entropy-coded data as "short Huffman
// data", not as an EOF.
func corrupt(format, part string, n int, err error, cut bool) *itemvec.Error {
	if cut || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return badImage(CodeCorrupt, fmt.Sprintf("truncated %s: %s ends after %d bytes", format, part, n), err)
	}
	return badImage(CodeCorrupt, fmt.Sprintf("corrupt %s %s (%d bytes)", format, part, n), err)
}

// hasJPEGEnd reports whether data ends with the EOI marker, allowing for the
// padding some encoders put after it.
func hasJPEGEnd(data []byte) bool {
	return bytes.HasSuffix(bytes.TrimRight(data, "\x00\r\n"), []byte{0xFF, 0xD9})
}

func checkSize(format string, w, h int, lim Limits) error {
	if w <= 0 || h <= 0 {
		return badImage(CodeZeroSize, fmt.Sprintf("%s image is %d×%d: it has no pixels", format, w, h), nil)
	}
	if px := int64(w) * int64(h); px > lim.MaxPixels {
		return badImage(CodeTooManyPixels,
			fmt.Sprintf("image is %d×%d = %s, over the %s limit", w, h, formatMP(px), formatMP(lim.MaxPixels)), nil)
	}
	return nil
}

// badImage is the error of DecodeImage refusing its input for code.
func badImage(code, msg string, err error) *itemvec.Error {
	return newError("extract.DecodeImage", code, msg, err)
}

// flatten returns img in a color model the resizer reads quickly and without
// transparency: CMYK becomes RGB, and anything that is not fully opaque is
// composited onto white. Opaque RGB, YCbCr and gray images are returned as
// they are.
func flatten(img image.Image) image.Image {
	b := img.Bounds()
	if m, ok := img.(*image.CMYK); ok {
		return cmykToNRGBA(m)
	}
	if o, ok := img.(interface{ Opaque() bool }); ok && o.Opaque() {
		return img
	}
	if m, ok := img.(*image.NRGBA); ok {
		return nrgbaOverWhite(m)
	}
	dst := image.NewNRGBA(b)
	draw.Draw(dst, b, image.White, image.Point{}, draw.Src)
	draw.Draw(dst, b, img, b.Min, draw.Over)
	return dst
}

// nrgbaOverWhite is draw.Draw of m Over a white *image.NRGBA, in one
// pass: for a destination that is not an *image.RGBA, draw takes its
// generic path (RGBA64At, SetRGBA64 per pixel), whose arithmetic this
// does on the bytes. m's colour c with alpha a, premultiplied to 16 bits
// (c·0x101 · a·0x101 / 0xffff), over white (0xffff, weighed by 0xffff −
// a·0x101) sums to a 16-bit value with alpha 0xffff, of which the
// opaque pixel keeps the high byte.
func nrgbaOverWhite(m *image.NRGBA) *image.NRGBA {
	b := m.Bounds()
	dst := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		src := m.Pix[m.PixOffset(b.Min.X, y):]
		out := dst.Pix[dst.PixOffset(b.Min.X, y):]
		for x := 0; x < b.Dx(); x++ {
			s := src[4*x : 4*x+4 : 4*x+4]
			d := out[4*x : 4*x+4 : 4*x+4]
			sa := uint32(s[3]) * 0x101
			for i := range 3 {
				d[i] = uint8(((0xffff - sa) + uint32(s[i])*0x101*sa/0xffff) >> 8)
			}
			d[3] = 0xFF
		}
	}
	return dst
}

func cmykToNRGBA(m *image.CMYK) *image.NRGBA {
	b := m.Bounds()
	dst := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		src := m.Pix[m.PixOffset(b.Min.X, y):]
		out := dst.Pix[dst.PixOffset(b.Min.X, y):]
		for x := 0; x < b.Dx(); x++ {
			s := src[4*x : 4*x+4 : 4*x+4]
			r, g, bl := color.CMYKToRGB(s[0], s[1], s[2], s[3])
			d := out[4*x : 4*x+4 : 4*x+4]
			d[0], d[1], d[2], d[3] = r, g, bl, 0xFF
		}
	}
	return dst
}

// describeUnknown names what unsupported bytes look like, so the error tells
// a human what they uploaded.
func describeUnknown(data []byte) string {
	head := data[:min(len(data), 512)]
	switch {
	case bytes.HasPrefix(head, []byte("BM")):
		return "looks like BMP"
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return "looks like TIFF"
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return fmt.Sprintf("looks like HEIF/AVIF/MP4, brand %q", head[8:12])
	case bytes.HasPrefix(head, []byte("%PDF")):
		return "looks like PDF"
	case bytes.HasPrefix(head, []byte("RIFF")):
		return "RIFF container that is not WebP"
	case looksLikeText(head):
		return "looks like text, not an image"
	}
	return fmt.Sprintf("starts with % x", head[:min(len(head), 8)])
}

func looksLikeText(b []byte) bool {
	// A cut through a multi-byte rune at the end is still text.
	for i := 0; i < utf8.UTFMax-1 && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	if len(b) == 0 || !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

func formatBytes(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

func formatMP(px int64) string {
	if px < 100_000 {
		return fmt.Sprintf("%d pixels", px)
	}
	return fmt.Sprintf("%.1f MP", float64(px)/1e6)
}
