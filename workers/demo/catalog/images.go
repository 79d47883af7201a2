package catalog

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"

	"github.com/disintegration/imaging"
)

// MaxSide is the longest side, in pixels, of a product picture.
const MaxSide = 1024

// JPEG qualities: products' own pictures, the PNG re-encode variant and the
// smaller, lower-quality variant.
const (
	qualityProduct  = 90
	qualityReencode = 80
	qualitySmall    = 70
)

// Shares of the original picture the crop and small variants keep.
const (
	cropShare  = 0.8
	smallShare = 0.6
)

// openPhoto decodes a photo and fits it within MaxSide.
func openPhoto(path string) (image.Image, error) {
	img, err := imaging.Open(path)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	if b.Dx() > MaxSide || b.Dy() > MaxSide {
		img = imaging.Fit(img, MaxSide, MaxSide, imaging.Lanczos)
	}
	return img, nil
}

// productPicture encodes a product's own picture: PNG when keepPNG, else
// JPEG. A grayscale photo stays a grayscale JPEG.
func productPicture(img image.Image, keepPNG bool) ([]byte, error) {
	if keepPNG {
		return encodePNG(img)
	}
	return encodeJPEG(img, qualityProduct)
}

// variantPicture derives and encodes the picture of variant v of img.
func variantPicture(img image.Image, v Variant) ([]byte, error) {
	b := img.Bounds()
	switch v {
	case VariantCrop:
		w := int(float64(b.Dx())*cropShare + 0.5)
		h := int(float64(b.Dy())*cropShare + 0.5)
		return encodeJPEG(imaging.CropCenter(img, w, h), qualityProduct)
	case VariantFlip:
		return encodeJPEG(imaging.FlipH(img), qualityProduct)
	case VariantSmall:
		w := int(float64(b.Dx())*smallShare + 0.5)
		return encodeJPEG(imaging.Resize(img, w, 0, imaging.Lanczos), qualitySmall)
	case VariantJPEG:
		return encodeJPEG(img, qualityReencode)
	}
	return nil, fmt.Errorf("unknown variant %q", v)
}

func encodeJPEG(img image.Image, quality int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, onWhite(img), &jpeg.Options{Quality: quality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// onWhite composes a picture with transparent parts onto white, as a shop
// shows it; JPEG has no alpha, and dropping it would turn transparent pixels
// black (the horse silhouette would vanish into its background).
func onWhite(img image.Image) image.Image {
	if o, ok := img.(interface{ Opaque() bool }); ok && o.Opaque() {
		return img
	}
	b := img.Bounds()
	bg := imaging.New(b.Dx(), b.Dy(), color.White)
	return imaging.Overlay(bg, img, image.Point{}, 1)
}
