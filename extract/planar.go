package extract

// yuvPlanes is a JPEG's pixels the way libjpeg stores them: a Y plane
// and, unless the JPEG is grayscale, Cb and Cr planes with one sample per
// hf×vf Y samples, all in buf. Plane i starts at off[i] and has stride[i]
// bytes per row; libjpeg pads it to pw[i]×ph[i] (whole MCUs), of which
// the image is the top left w×h of the Y plane and, for a chroma plane,
// the samples Y pixel (x, y) takes its colour from: (x/hf, y/vf), as
// libjpeg's simple (replicating) upsampling reads them.
type yuvPlanes struct {
	buf         []byte
	w, h        int
	gray        bool
	hf, vf      int
	off, stride [3]int
	pw, ph      [3]int
}
