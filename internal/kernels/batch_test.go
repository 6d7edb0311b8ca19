package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestBatchSplit checks that Im2col, Col2im, MaxPool2D and MaxPool2DBackward give bit-identical
// results however the images are split over goroutines.
func TestBatchSplit(t *testing.T) {
	defer SetThreads(Threads())
	rng := rand.New(rand.NewPCG(5, 6))
	g := ConvGeom{H: 14, W: 14, C: 16, K: 3, S: 2, PadTop: 0, PadLeft: 0, OH: 7, OW: 7} // big enough to split
	for _, batch := range []int{0, 1, 2, 7, 32} {
		x := make([]float32, batch*g.H*g.W*g.C)
		col := make([]float32, batch*g.OH*g.OW*g.ColCols())
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i := range col {
			col[i] = float32(rng.NormFloat64())
		}
		ny := batch * 7 * 7 * g.C
		var ref [4][]float32
		var refArg []int32
		for _, threads := range []int{1, 2, 3, 5} {
			SetThreads(threads)
			c, xi := slices.Clone(col), slices.Clone(x)
			Im2col(c, x, batch, g)
			Col2im(xi, col, batch, g)
			y, arg := make([]float32, ny), make([]int32, ny)
			MaxPool2D(y, arg, x, batch, 2, g)
			dx := slices.Clone(x) // junk that MaxPool2DBackward must overwrite
			MaxPool2DBackward(dx, y, arg, batch, 2, g)
			got := [4][]float32{c, xi, y, dx}
			if threads == 1 {
				ref, refArg = got, arg
				continue
			}
			for k, name := range []string{"Im2col", "Col2im", "MaxPool2D", "MaxPool2DBackward"} {
				if !slices.Equal(math32bits(got[k]), math32bits(ref[k])) {
					t.Errorf("batch %d threads %d: %s differs from 1 thread", batch, threads, name)
				}
			}
			if !slices.Equal(arg, refArg) {
				t.Errorf("batch %d threads %d: MaxPool2D argmax differs from 1 thread", batch, threads)
			}
		}
	}
}

// TestMaxPool2D checks MaxPool2D against a naive reference for small
// shapes, odd sizes (a last row/column no window covers), ties (first
// wins), and guard values past y and arg.
func TestMaxPool2D(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, p := range []int{1, 2, 3} {
		for _, hw := range [][2]int{{1, 1}, {2, 2}, {3, 5}, {7, 7}, {8, 6}} {
			for _, c := range []int{1, 3, 16, 32} {
				t.Run(fmt.Sprintf("p%d/%dx%dx%d", p, hw[0], hw[1], c), func(t *testing.T) {
					const batch = 2
					g := ConvGeom{H: hw[0], W: hw[1], C: c}
					oh, ow := g.H/p, g.W/p
					x := make([]float32, batch*g.H*g.W*c)
					for i := range x {
						x[i] = float32(rng.IntN(4)) // small integers: many ties
					}
					n := batch * oh * ow * c
					y, arg := make([]float32, n+1), make([]int32, n+1)
					for i := range y {
						y[i], arg[i] = float32(math.NaN()), -7 // junk, and the guard at [n]
					}
					MaxPool2D(y[:n], arg[:n], x, batch, p, g)
					if !isNaN(y[n]) || arg[n] != -7 {
						t.Fatalf("guard overwritten")
					}
					for b := range batch {
						for oy := range oh {
							for ox := range ow {
								for ch := range c {
									best, at := float32(math.Inf(-1)), -1
									for di := range p {
										for dj := range p {
											i := ((b*g.H+oy*p+di)*g.W+ox*p+dj)*c + ch
											if x[i] > best {
												best, at = x[i], i
											}
										}
									}
									o := ((b*oh+oy)*ow+ox)*c + ch
									if y[o] != best || int(arg[o]) != at {
										t.Fatalf("y[%d] = %v at %d, want %v at %d", o, y[o], arg[o], best, at)
									}
								}
							}
						}
					}
					// Backward: dx is dy at each argmax, 0 elsewhere (junk-filled, NaN guard after).
					dy := make([]float32, n)
					for i := range dy {
						dy[i] = float32(i + 1)
					}
					want := make([]float32, len(x))
					for o, v := range dy {
						want[arg[o]] += v
					}
					dx := make([]float32, len(x)+1)
					for i := range dx {
						dx[i] = float32(math.NaN())
					}
					MaxPool2DBackward(dx[:len(x)], dy, arg[:n], batch, p, g)
					if !isNaN(dx[len(x)]) {
						t.Fatalf("backward: guard overwritten")
					}
					if !slices.Equal(math32bits(dx[:len(x)]), math32bits(want)) {
						t.Fatalf("backward: dx %v, want %v", dx[:len(x)], want)
					}
				})
			}
		}
	}
}

func math32bits(v []float32) []uint32 {
	out := make([]uint32, len(v))
	for i, f := range v {
		out[i] = math.Float32bits(f)
	}
	return out
}

// TestMaxPool2Row runs every 2x2 pooling row variant against the Go one on
// rows of 0..9 pixels with 16..64 channels, many ties, and a guard past
// the row that must stay untouched.
func TestMaxPool2Row(t *testing.T) {
	variants := map[string]func(y []float32, arg []int32, x []float32, i00, ow, c, wc int){"avx512": poolRow}
	rng := rand.New(rand.NewPCG(9, 10))
	for name, f := range variants {
		t.Run(name, func(t *testing.T) {
			if f == nil {
				t.Skip("CPU lacks AVX-512 (or purego build)")
			}
			for _, c := range []int{16, 32, 64} {
				for ow := 0; ow <= 9; ow++ {
					wc := (2*ow + 1) * c // an odd input width: one unused column
					x := make([]float32, 3*wc)
					for i := range x {
						x[i] = float32(rng.IntN(3))
					}
					i00 := wc / 2 / c * c // start mid-array, at a pixel
					i00 = min(i00, wc-(2*ow+1)*c)
					want, wantArg := make([]float32, ow*c), make([]int32, ow*c)
					maxPool2RowGo(want, wantArg, x, i00, ow, c, wc)
					y, arg := make([]float32, ow*c+1), make([]int32, ow*c+1)
					y[ow*c], arg[ow*c] = float32(math.NaN()), -7
					f(y[:ow*c], arg[:ow*c], x, i00, ow, c, wc)
					if !isNaN(y[ow*c]) || arg[ow*c] != -7 {
						t.Fatalf("c=%d ow=%d: guard overwritten", c, ow)
					}
					if !slices.Equal(y[:ow*c], want) || !slices.Equal(arg[:ow*c], wantArg) {
						t.Fatalf("c=%d ow=%d: differs from maxPool2RowGo", c, ow)
					}
				}
			}
		})
	}
}
