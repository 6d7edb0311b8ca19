package viz

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoenc/autoenc/tensor"
)

// ramp returns n images of h x w whose pixel i of image k is
// (k*h*w + i) / (n*h*w): every value distinct, all in [0, 1).
func ramp(n, h, w int) *tensor.Tensor {
	t := tensor.New(n, h, w)
	for i := range t.Data {
		t.Data[i] = float32(i) / float32(len(t.Data))
	}
	return t
}

func TestReconstructions(t *testing.T) {
	top := ramp(4, 28, 28)
	bottom := tensor.New(4, 28, 28, 1)
	bottom.Data[0] = 2                   // clipped to white
	bottom.Data[1] = -1                  // clipped to black
	bottom.Data[2] = float32(math.NaN()) // black
	bottom.Data[3] = 0.5
	img, err := Reconstructions(top, bottom, 3)
	if err != nil {
		t.Fatal(err)
	}
	// 3 images of 28*3 = 84 pixels with 2-pixel gaps around and between.
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 2+3*(84+2) || h != 2+2*(84+2) {
		t.Fatalf("size %dx%d, want 260x174", w, h)
	}
	for _, tc := range []struct {
		x, y int
		want uint8
	}{
		{0, 0, gapGray},      // corner: border
		{2, 2, 0},            // top row, image 0, pixel (0,0): 0
		{2 + 84, 2, gapGray}, // gap between images
		{2 + 3*1 + 2, 2 + 3*2 + 1, gray(top.Data[2*28+1])},      // image 0, pixel (row 2, col 1), inside its block
		{2 + 86 + 3*27, 2 + 3*27, gray(top.Data[784+27*28+27])}, // image 1, last pixel
		{2, 2 + 86, 255},                    // bottom row, image 0, pixel 0: 2 clipped
		{2 + 3, 2 + 86 + 2, 0},              // pixel 1: -1 clipped
		{2 + 6, 2 + 86, 0},                  // pixel 2: NaN
		{2 + 9 + 2, 2 + 86 + 2, 128},        // pixel 3: 0.5 -> 127.5 rounds to 128
		{2 + 86*3 - 1, 2 + 86 + 1, gapGray}, // right border
		{5, 2 + 86*2 - 1, gapGray},          // bottom border
	} {
		if got := img.GrayAt(tc.x, tc.y).Y; got != tc.want {
			t.Errorf("pixel (%d, %d) = %d, want %d", tc.x, tc.y, got, tc.want)
		}
	}
	if gray(top.Data[2*28+1]) == 0 {
		t.Fatal("test pixel is black: it would not tell tiles apart")
	}
}

func TestGridShapes(t *testing.T) {
	flat := tensor.New(2, 784)
	flat.Data[784+28] = 1 // image 1, pixel (1, 0)
	img, err := Reconstructions(flat, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 2+2*86 || h != 2+86 {
		t.Errorf("size %dx%d, want 174x88", w, h)
	}
	if got := img.GrayAt(2+86, 2+3).Y; got != 255 {
		t.Errorf("flattened pixel drawn as %d, want 255", got)
	}
	if img, err := Reconstructions(tensor.New(5, 4, 6), tensor.New(5, 4, 6, 1), 5); err != nil {
		t.Error(err)
	} else if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 2+5*(18+2) || h != 2+2*(12+2) {
		t.Errorf("non-square images: size %dx%d", w, h)
	}

	for _, tc := range []struct {
		name        string
		top, bottom *tensor.Tensor
		n           int
		want        string
	}{
		{"too many", tensor.New(2, 28, 28), tensor.New(5, 28, 28), 3, "row 1: 3 images requested, the tensor [2 28 28] holds 2"},
		{"zero", tensor.New(2, 28, 28), nil, 0, "number of images per row must be positive, got 0"},
		{"rgb", tensor.New(2, 28, 28, 3), nil, 1, "row 1: images [2 28 28 3] have 3 channels, expected 1 (grayscale)"},
		{"not square", tensor.New(2, 780), nil, 1, "row 1: cannot lay out 780 values per image as a square"},
		{"rank 1", tensor.New(784), nil, 1, "row 1: tensor of shape [784] is not a batch of images"},
		{"sizes differ", tensor.New(2, 28, 28), tensor.New(2, 27, 28), 1, "row 2: images are 27x28, expected 28x28 as in row 1"},
	} {
		_, err := Reconstructions(tc.top, tc.bottom, tc.n)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want prefix %q", tc.name, err, tc.want)
		}
	}
}

func TestWriteReconstructions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "recon.png")
	x := ramp(3, 28, 28)
	if err := WriteReconstructions(path, x, x, 3); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 260 || b.Dy() != 174 {
		t.Errorf("PNG is %v", b)
	}
}

func TestWriteReconstructionsErrors(t *testing.T) {
	dir := t.TempDir()
	x := ramp(3, 28, 28)

	bad := filepath.Join(dir, "missing", "recon.png")
	err := WriteReconstructions(bad, x, x, 3)
	if err == nil || !strings.HasPrefix(err.Error(), "cannot write "+bad+": ") {
		t.Errorf("bad path: error %v", err)
	}
	shape := filepath.Join(dir, "recon.png")
	err = WriteReconstructions(shape, x, x, 4)
	if want := "cannot draw " + shape + ": row 1: 4 images requested, the tensor [3 28 28] holds 3"; err == nil || err.Error() != want {
		t.Errorf("bad n: error %v, want %q", err, want)
	}
	// A directory in the way of the file: nothing written, no temp files left.
	os.Mkdir(filepath.Join(dir, "taken.png"), 0o755)
	if err := WriteReconstructions(filepath.Join(dir, "taken.png"), x, x, 3); err == nil {
		t.Error("writing over a directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "taken.png" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v after failed writes, want only taken.png", names)
	}
}
