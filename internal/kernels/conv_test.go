package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveIm2col is Im2col's definition, one element at a time.
func naiveIm2col(x []float32, batch int, g ConvGeom) []float32 {
	col := make([]float32, batch*g.OH*g.OW*g.ColCols())
	for n := 0; n < batch; n++ {
		for oy := 0; oy < g.OH; oy++ {
			for ox := 0; ox < g.OW; ox++ {
				for di := 0; di < g.K; di++ {
					for dj := 0; dj < g.K; dj++ {
						for c := 0; c < g.C; c++ {
							iy, ix := oy*g.S+di-g.PadTop, ox*g.S+dj-g.PadLeft
							if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
								continue
							}
							col[((n*g.OH+oy)*g.OW+ox)*g.ColCols()+(di*g.K+dj)*g.C+c] = x[((n*g.H+iy)*g.W+ix)*g.C+c]
						}
					}
				}
			}
		}
	}
	return col
}

// naiveCol2im is Col2im's definition: scatter-add every in-image tap.
func naiveCol2im(col []float32, batch int, g ConvGeom) []float32 {
	x := make([]float32, batch*g.H*g.W*g.C)
	for n := 0; n < batch; n++ {
		for oy := 0; oy < g.OH; oy++ {
			for ox := 0; ox < g.OW; ox++ {
				for di := 0; di < g.K; di++ {
					for dj := 0; dj < g.K; dj++ {
						for c := 0; c < g.C; c++ {
							iy, ix := oy*g.S+di-g.PadTop, ox*g.S+dj-g.PadLeft
							if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
								continue
							}
							x[((n*g.H+iy)*g.W+ix)*g.C+c] += col[((n*g.OH+oy)*g.OW+ox)*g.ColCols()+(di*g.K+dj)*g.C+c]
						}
					}
				}
			}
		}
	}
	return x
}

// convGeoms sweeps small images, windows, strides and paddings, including
// windows that lie wholly in the padding and outputs that end before the
// input does.
func convGeoms() []ConvGeom {
	var gs []ConvGeom
	for h := 1; h <= 6; h++ {
		for _, w := range []int{h, h + 1} {
			for k := 1; k <= 4; k++ {
				for s := 1; s <= 3; s++ {
					for pad := 0; pad < k; pad++ {
						for _, c := range []int{1, 3} {
							// Output sizes: VALID-like (no padding after) and one more pixel.
							oh := max((h+pad-k)/s+1, 1)
							ow := max((w+pad-k)/s+1, 1)
							gs = append(gs,
								ConvGeom{H: h, W: w, C: c, K: k, S: s, PadTop: pad, PadLeft: pad, OH: oh, OW: ow},
								ConvGeom{H: h, W: w, C: c, K: k, S: s, PadTop: pad, PadLeft: k - 1 - pad, OH: oh + 1, OW: ow + 1})
						}
					}
				}
			}
		}
	}
	return gs
}

func junk(rng *rand.Rand, v []float32) {
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
}

// withGuard returns a buffer of n junk values followed by guard NaNs, and
// the n-value prefix to hand to the kernel.
func withGuard(rng *rand.Rand, n int) (all, buf []float32) {
	const guard = 7
	all = make([]float32, n+guard)
	junk(rng, all[:n])
	for i := n; i < len(all); i++ {
		all[i] = float32(math.NaN())
	}
	return all, all[:n]
}

func checkGuard(t *testing.T, all []float32, n int) {
	t.Helper()
	for i := n; i < len(all); i++ {
		if !math.IsNaN(float64(all[i])) {
			t.Fatalf("guard value %d past the output was overwritten: %g", i-n, all[i])
		}
	}
}

func TestIm2colCol2im(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, g := range convGeoms() {
		for _, batch := range []int{0, 1, 2} {
			name := fmt.Sprintf("%+v/batch=%d", g, batch)
			nx, ncol := batch*g.H*g.W*g.C, batch*g.OH*g.OW*g.ColCols()

			x := make([]float32, nx)
			junk(rng, x)
			colAll, col := withGuard(rng, ncol)
			Im2col(col, x, batch, g)
			checkGuard(t, colAll, ncol)
			want := naiveIm2col(x, batch, g)
			for i := range want {
				if col[i] != want[i] {
					t.Fatalf("%s: Im2col col[%d] = %g, want %g", name, i, col[i], want[i])
				}
			}

			dcol := make([]float32, ncol)
			junk(rng, dcol)
			dxAll, dx := withGuard(rng, nx)
			Col2im(dx, dcol, batch, g)
			checkGuard(t, dxAll, nx)
			wantDx := naiveCol2im(dcol, batch, g)
			for i := range wantDx {
				// Same additions in the same order as the naive loop.
				if dx[i] != wantDx[i] {
					t.Fatalf("%s: Col2im x[%d] = %g, want %g", name, i, dx[i], wantDx[i])
				}
			}

			// Adjointness: <Im2col(x), dcol> == <x, Col2im(dcol)>.
			var lhs, rhs float64
			for i := range col {
				lhs += float64(col[i]) * float64(dcol[i])
			}
			for i := range x {
				rhs += float64(x[i]) * float64(dx[i])
			}
			if math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
				t.Fatalf("%s: <Im2col(x), c> = %g but <x, Col2im(c)> = %g", name, lhs, rhs)
			}
		}
	}
}

func TestIm2colPanicsOnShortBuffers(t *testing.T) {
	g := ConvGeom{H: 4, W: 4, C: 2, K: 3, S: 1, PadTop: 1, PadLeft: 1, OH: 4, OW: 4}
	defer func() {
		if recover() == nil {
			t.Fatal("Im2col with a short col did not panic")
		}
	}()
	Im2col(make([]float32, 10), make([]float32, 32), 1, g)
}

// BenchmarkIm2colCol2im uses the tutorial's convolutions at batch 32.
func BenchmarkIm2colCol2im(b *testing.B) {
	for _, bc := range []struct {
		name string
		g    ConvGeom
	}{
		{"28x28x1", ConvGeom{H: 28, W: 28, C: 1, K: 3, S: 1, PadTop: 1, PadLeft: 1, OH: 28, OW: 28}},
		{"14x14x16", ConvGeom{H: 14, W: 14, C: 16, K: 3, S: 1, PadTop: 1, PadLeft: 1, OH: 14, OW: 14}},
		{"7x7x32", ConvGeom{H: 7, W: 7, C: 32, K: 3, S: 1, PadTop: 1, PadLeft: 1, OH: 7, OW: 7}},
	} {
		const batch = 32
		x := make([]float32, batch*bc.g.H*bc.g.W*bc.g.C)
		col := make([]float32, batch*bc.g.OH*bc.g.OW*bc.g.ColCols())
		b.Run("Im2col/"+bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Im2col(col, x, batch, bc.g)
			}
		})
		b.Run("Col2im/"+bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Col2im(x, col, batch, bc.g)
			}
		})
	}
}
