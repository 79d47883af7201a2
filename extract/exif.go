package extract

import (
	"bytes"
	"encoding/binary"
	"image"

	"github.com/disintegration/imaging"
)

// EXIF orientation values (TIFF tag 0x0112). Each names where the stored
// image's first row and first column belong when the picture is shown.
const (
	orientNormal     = 1 // row 0 top, column 0 left
	orientFlipH      = 2 // row 0 top, column 0 right
	orientRotate180  = 3 // row 0 bottom, column 0 right
	orientFlipV      = 4 // row 0 bottom, column 0 left
	orientTranspose  = 5 // row 0 left, column 0 top
	orientRotate90CW = 6 // row 0 right, column 0 top: turn 90° clockwise to view
	orientTransverse = 7 // row 0 right, column 0 bottom
	orientRotate90CC = 8 // row 0 left, column 0 bottom: turn 90° counter-clockwise to view
)

const tagOrientation = 0x0112

// jpegOrientation returns the EXIF orientation (1–8) of a JPEG, or 1 when it
// has none. Every offset and length read from the file is bounds-checked; a
// malformed marker, segment, TIFF header or IFD means "no orientation", never
// a panic and never an error, since the pixels themselves may still be fine.
func jpegOrientation(data []byte) int {
	if len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8 {
		return orientNormal
	}
	i := 2
	for {
		if i >= len(data) || data[i] != 0xFF {
			return orientNormal
		}
		for i < len(data) && data[i] == 0xFF { // fill bytes before a marker
			i++
		}
		if i >= len(data) {
			return orientNormal
		}
		marker := data[i]
		i++
		switch {
		case marker == 0xD8, marker == 0x01, marker >= 0xD0 && marker <= 0xD7:
			continue // markers without a length
		case marker == 0xDA, marker == 0xD9, marker == 0x00:
			// Start of scan or end of image: EXIF comes before the pixel
			// data, so there is none. 0xFF00 is not a header marker.
			return orientNormal
		}
		if i+2 > len(data) {
			return orientNormal
		}
		n := int(binary.BigEndian.Uint16(data[i:])) // includes its own two bytes
		if n < 2 || n > len(data)-i {
			return orientNormal
		}
		segment := data[i+2 : i+n]
		i += n
		if marker == 0xE1 && bytes.HasPrefix(segment, []byte("Exif\x00\x00")) {
			if o, ok := tiffOrientation(segment[6:]); ok {
				return o
			}
		}
	}
}

// tiffOrientation reads tag 0x0112 from IFD0 of a TIFF structure (the body
// of an EXIF APP1 segment). Offsets are relative to the start of t.
func tiffOrientation(t []byte) (int, bool) {
	if len(t) < 8 {
		return 0, false
	}
	var order binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 0, false
	}
	if order.Uint16(t[2:]) != 42 {
		return 0, false
	}
	ifd := uint64(order.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > uint64(len(t)) {
		return 0, false
	}
	count := int(order.Uint16(t[ifd:]))
	entries := t[ifd+2:]
	for k := range count {
		if (k+1)*12 > len(entries) {
			return 0, false
		}
		e := entries[k*12 : (k+1)*12]
		if order.Uint16(e) != tagOrientation {
			continue
		}
		typ, n := order.Uint16(e[2:]), order.Uint32(e[4:])
		if n != 1 {
			return 0, false
		}
		var v uint32
		switch typ {
		case 3: // SHORT, the type the EXIF standard prescribes
			v = uint32(order.Uint16(e[8:]))
		case 4: // LONG, written by a few broken encoders
			v = order.Uint32(e[8:])
		default:
			return 0, false
		}
		if v < orientNormal || v > orientRotate90CC {
			return 0, false
		}
		return int(v), true
	}
	return 0, false
}

// applyOrientation turns a stored image into the way it should be shown.
// imaging's Rotate90 and Rotate270 turn counter-clockwise.
func applyOrientation(img image.Image, o int) image.Image {
	switch o {
	case orientFlipH:
		return imaging.FlipH(img)
	case orientRotate180:
		return imaging.Rotate180(img)
	case orientFlipV:
		return imaging.FlipV(img)
	case orientTranspose:
		return imaging.Transpose(img)
	case orientRotate90CW:
		return imaging.Rotate270(img)
	case orientTransverse:
		return imaging.Transverse(img)
	case orientRotate90CC:
		return imaging.Rotate90(img)
	}
	return img
}
