package viz

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"github.com/autoenc/autoenc/internal/atomicfile"
	"github.com/autoenc/autoenc/tensor"
)

const (
	// Scale is how many PNG pixels wide and high one image pixel is drawn.
	Scale = 3
	// Gap is the width, in PNG pixels, of the gray border around and
	// between the images.
	Gap = 2
	// gapGray is the border's gray level: visible beside both dark and
	// bright images.
	gapGray = 128
)

// WriteReconstructions writes a PNG file with the first n images of top
// (originals or noisy inputs) in one row above the first n images of bottom
// (their reconstructions). See Reconstructions for the accepted shapes. The
// file is written atomically: on error no partial file is left.
func WriteReconstructions(path string, top, bottom *tensor.Tensor, n int) error {
	img, err := Reconstructions(top, bottom, n)
	if err != nil {
		return fmt.Errorf("cannot draw %s: %w", path, err)
	}
	return WritePNG(path, img)
}

// Reconstructions draws the first n images of top in one row above the
// first n images of bottom; bottom may be nil for a single row.
// See Grid for the accepted shapes and the drawing.
func Reconstructions(top, bottom *tensor.Tensor, n int) (*image.Gray, error) {
	rows := []*tensor.Tensor{top}
	if bottom != nil {
		rows = append(rows, bottom)
	}
	return Grid(rows, n)
}

// Grid draws the first n images of each tensor of rows as one row of a
// grid. Each tensor is a batch of grayscale images of one size, shaped
// [batch, h, w], [batch, h, w, 1] or [batch, h*w] with h == w (a flattened
// square image, such as 784 = 28x28). Values are intensities in [0, 1]
// (black to white); values outside are clipped and NaN is drawn black.
// Each image pixel becomes a Scale x Scale block, and the images are framed
// by Gap pixels of gray: the grid is Gap + n*(w*Scale+Gap) pixels wide and
// Gap + len(rows)*(h*Scale+Gap) high.
func Grid(rows []*tensor.Tensor, n int) (*image.Gray, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("no rows of images to draw")
	}
	if n <= 0 {
		return nil, fmt.Errorf("number of images per row must be positive, got %d", n)
	}
	var h, w int
	for r, t := range rows {
		if t == nil {
			return nil, fmt.Errorf("row %d: no images (nil tensor)", r+1)
		}
		batch, th, tw, err := imageShape(t)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", r+1, err)
		}
		if batch < n {
			return nil, fmt.Errorf("row %d: %d images requested, the tensor %v holds %d", r+1, n, t.Shape, batch)
		}
		if r == 0 {
			h, w = th, tw
		} else if th != h || tw != w {
			return nil, fmt.Errorf("row %d: images are %dx%d, expected %dx%d as in row 1", r+1, th, tw, h, w)
		}
	}
	cellW, cellH := w*Scale+Gap, h*Scale+Gap
	img := image.NewGray(image.Rect(0, 0, Gap+n*cellW, Gap+len(rows)*cellH))
	for i := range img.Pix {
		img.Pix[i] = gapGray
	}
	for r, t := range rows {
		for k := range n {
			x0, y0 := Gap+k*cellW, Gap+r*cellH
			pix := t.Data[k*h*w : (k+1)*h*w]
			for y := range h {
				for x := range w {
					g := color.Gray{Y: gray(pix[y*w+x])}
					for dy := range Scale {
						for dx := range Scale {
							img.SetGray(x0+x*Scale+dx, y0+y*Scale+dy, g)
						}
					}
				}
			}
		}
	}
	return img, nil
}

// WritePNG writes img as a PNG file, atomically.
func WritePNG(path string, img image.Image) error {
	return atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// imageShape returns the batch size and image height and width of t.
func imageShape(t *tensor.Tensor) (batch, h, w int, err error) {
	s := t.Shape
	switch {
	case len(s) == 3:
		return s[0], s[1], s[2], nil
	case len(s) == 4 && s[3] == 1:
		return s[0], s[1], s[2], nil
	case len(s) == 4:
		return 0, 0, 0, fmt.Errorf("images %v have %d channels, expected 1 (grayscale)", s, s[3])
	case len(s) == 2:
		side := int(math.Round(math.Sqrt(float64(s[1]))))
		if side*side != s[1] {
			return 0, 0, 0, fmt.Errorf("cannot lay out %d values per image as a square; expected shape [n, h, w], [n, h, w, 1] or [n, h*h], got %v", s[1], s)
		}
		return s[0], side, side, nil
	}
	return 0, 0, 0, fmt.Errorf("tensor of shape %v is not a batch of images; expected [n, h, w], [n, h, w, 1] or [n, h*h]", s)
}

// gray maps an intensity in [0, 1] to a gray level, clipping outside values
// and drawing NaN black.
func gray(v float32) uint8 {
	switch {
	case !(v > 0): // also NaN
		return 0
	case v >= 1:
		return 255
	}
	return uint8(v*255 + 0.5)
}
