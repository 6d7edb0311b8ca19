package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// allActKernels lists every activation implementation; those the CPU lacks
// are skipped with a reason.
func forEachActKernel(t *testing.T, f func(t *testing.T, k *actKernel)) {
	for _, k := range append([]*actKernel{&actGo}, archActKernels...) {
		t.Run(k.name, func(t *testing.T) {
			if !k.ok {
				t.Skipf("CPU lacks %s", k.name)
			}
			f(t, k)
		})
	}
}

// Naive float64 references.
func seluRef(z float64) float64 {
	if z > 0 {
		return SELUScale * z
	}
	return SELUScale * SELUAlpha * math.Expm1(z)
}
func sigmoidRef(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// actCases are the values every activation is checked on: zeros, tiny,
// around the polynomial's range edges (+-ln2/2), the clamp (-87) and beyond.
var actCases = []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1e-7, -1e-7, 1e-3, -1e-3,
	0.34, -0.34, 0.35, -0.35, 0.5, -0.5, 1, -1, 2.5, -2.5, 9, -9, 20, -20, 44, -44, 86, -86, 87.5, -87.5, 100, -100, 1e30, -1e30}

// TestActivations checks every implementation against float64 math on
// fixed and random values, for every length 0..40 and 1000 (the AVX-512
// loop's tails), with NaN guards on both sides that must stay untouched.
func TestActivations(t *testing.T) {
	fns := []struct {
		name string
		get  func(k *actKernel) func([]float32)
		ref  func(float64) float64
	}{
		{"selu", func(k *actKernel) func([]float32) { return k.selu }, seluRef},
		{"sigmoid", func(k *actKernel) func([]float32) { return k.sigmoid }, sigmoidRef},
		{"tanh", func(k *actKernel) func([]float32) { return k.tanh }, math.Tanh},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	forEachActKernel(t, func(t *testing.T, k *actKernel) {
		for _, fn := range fns {
			f := fn.get(k)
			for _, n := range append(seq(0, 40), 1000) {
				buf := make([]float32, n+2)
				x := buf[1 : n+1]
				for i := range x {
					if i < len(actCases) && n < 100 {
						x[i] = actCases[(i+n)%len(actCases)]
					} else {
						x[i] = float32(rng.NormFloat64() * 4)
					}
				}
				in := append([]float32(nil), x...)
				buf[0], buf[n+1] = float32(math.NaN()), float32(math.NaN())
				f(x)
				if !isNaN(buf[0]) || !isNaN(buf[n+1]) {
					t.Fatalf("%s n=%d: guard overwritten: %v %v", fn.name, n, buf[0], buf[n+1])
				}
				for i, v := range x {
					want := fn.ref(float64(in[i]))
					// 4e-7 relative (a few float32 ulp) or 1e-37 absolute (values the clamp at -87 rounds to 0).
					if d := math.Abs(float64(v) - want); d > 4e-7*math.Abs(want)+1e-37 || math.IsNaN(float64(v)) {
						t.Errorf("%s n=%d: f(%g) = %g, want %g (rel err %.2g)", fn.name, n, in[i], v, want, d/math.Abs(want))
					}
				}
			}
		}
	})
}

// TestActNaN checks NaN goes through every activation as NaN.
func TestActNaN(t *testing.T) {
	forEachActKernel(t, func(t *testing.T, k *actKernel) {
		for _, f := range []func([]float32){k.selu, k.sigmoid, k.tanh} {
			x := []float32{float32(math.NaN())}
			f(x)
			if !isNaN(x[0]) {
				t.Errorf("f(NaN) = %v, want NaN", x[0])
			}
		}
	})
}

// TestBiasActBackward checks BiasAct and ActBackward, split over threads
// or not, against the scalar definitions, with every activation.
func TestBiasActBackward(t *testing.T) {
	defer SetThreads(Threads())
	rng := rand.New(rand.NewPCG(3, 4))
	for _, act := range []Act{ActLinear, ActReLU, ActSigmoid, ActTanh, ActSELU} {
		for _, threads := range []int{1, 2, 3} {
			for _, shape := range [][2]int{{0, 5}, {1, 1}, {7, 3}, {3000, 17}} {
				t.Run(fmt.Sprintf("act=%d/threads=%d/%dx%d", act, threads, shape[0], shape[1]), func(t *testing.T) {
					SetThreads(threads)
					rows, cols := shape[0], shape[1]
					y, bias, dy := make([]float32, rows*cols), make([]float32, cols), make([]float32, rows*cols)
					for i := range y {
						y[i], dy[i] = float32(rng.NormFloat64()*3), float32(rng.NormFloat64())
					}
					for i := range bias {
						bias[i] = float32(rng.NormFloat64())
					}
					want, wantD := make([]float64, len(y)), make([]float64, len(y))
					for i := range y {
						z := float64(y[i]) + float64(bias[i%cols])
						switch act {
						case ActLinear:
							want[i] = z
						case ActReLU:
							want[i] = max(z, 0)
						case ActSigmoid:
							want[i] = sigmoidRef(z)
						case ActTanh:
							want[i] = math.Tanh(z)
						case ActSELU:
							want[i] = seluRef(z)
						}
					}
					BiasAct(y, bias, act)
					for i, v := range y { // f'(z) from the float32 output, as ActBackward gets it
						w, d := float64(v), 1.0
						switch act {
						case ActReLU:
							if w <= 0 {
								d = 0
							}
						case ActSigmoid:
							d = w * (1 - w)
						case ActTanh:
							d = 1 - w*w
						case ActSELU:
							if w <= 0 {
								d = w + SELUScale*SELUAlpha
							} else {
								d = SELUScale
							}
						}
						wantD[i] = float64(dy[i]) * d
					}
					ActBackward(dy, y, act)
					for i := range y {
						if d := math.Abs(float64(y[i]) - want[i]); d > 1e-6*math.Abs(want[i])+1e-6 {
							t.Fatalf("y[%d] = %g, want %g", i, y[i], want[i])
						}
						if d := math.Abs(float64(dy[i]) - wantD[i]); d > 1e-5*math.Abs(wantD[i])+1e-6 {
							t.Fatalf("dz[%d] = %g, want %g", i, dy[i], wantD[i])
						}
					}
				})
			}
		}
	}
}

func seq(lo, hi int) []int {
	var s []int
	for i := lo; i <= hi; i++ {
		s = append(s, i)
	}
	return s
}

// TestAddBias checks every addBias variant against a naive loop for bias
// widths 0..40 and 100 (the AVX-512 row tails) with a NaN guard past y.
func TestAddBias(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	forEachActKernel(t, func(t *testing.T, k *actKernel) {
		for _, w := range append(seq(0, 40), 100) {
			for _, rows := range []int{0, 1, 3} {
				bias := make([]float32, w)
				for i := range bias {
					bias[i] = float32(rng.NormFloat64())
				}
				buf := make([]float32, rows*w+1)
				y := buf[:rows*w]
				for i := range y {
					y[i] = float32(rng.NormFloat64())
				}
				buf[rows*w] = float32(math.NaN())
				want := make([]float32, len(y))
				for i := range y {
					want[i] = y[i] + bias[i%w]
				}
				k.addBias(y, bias)
				if !isNaN(buf[rows*w]) {
					t.Fatalf("w=%d rows=%d: guard overwritten", w, rows)
				}
				for i := range y {
					if y[i] != want[i] {
						t.Fatalf("w=%d rows=%d: y[%d] = %v, want %v", w, rows, i, y[i], want[i])
					}
				}
			}
		}
	})
}

// TestActBackwardKernels checks every backward variant against the Go twin
// bit for bit, and the Go twin against a float64 reference, for lengths
// 0..40 and 100 (the AVX-512 tails), with a NaN guard past dy.
func TestActBackwardKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	forEachActKernel(t, func(t *testing.T, k *actKernel) {
		for _, fn := range []struct {
			name     string
			get      func(*actKernel) func(dy, y []float32)
			y        func(z float64) float64 // an output of f, from a pre-activation z
			derivRef func(y float64) float64 // f' from the output
		}{
			{"selu", func(k *actKernel) func(dy, y []float32) { return k.seluBack }, seluRef, func(y float64) float64 {
				if y > 0 {
					return SELUScale
				}
				return y + SELUScale*SELUAlpha
			}},
			{"sigmoid", func(k *actKernel) func(dy, y []float32) { return k.sigmoidBack }, sigmoidRef, func(y float64) float64 { return y * (1 - y) }},
			{"tanh", func(k *actKernel) func(dy, y []float32) { return k.tanhBack }, math.Tanh, func(y float64) float64 { return 1 - y*y }},
		} {
			for _, n := range append(seq(0, 40), 100) {
				y := make([]float32, n)
				for i := range y {
					y[i] = float32(fn.y(rng.NormFloat64() * 3))
				}
				if n > 3 {
					y[0], y[1] = 0, float32(math.Copysign(0, -1)) // f' at the SELU kink: the z <= 0 side
				}
				buf := make([]float32, n+1)
				dy := buf[:n]
				for i := range dy {
					dy[i] = float32(rng.NormFloat64())
				}
				buf[n] = float32(math.NaN())
				orig := append([]float32(nil), dy...)
				want := append([]float32(nil), dy...)
				fn.get(&actGo)(want, y)
				fn.get(k)(dy, y)
				if !isNaN(buf[n]) {
					t.Fatalf("%s n=%d: guard overwritten", fn.name, n)
				}
				for i := range dy {
					if math.Float32bits(dy[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s n=%d: dz[%d] = %v, Go twin %v", fn.name, n, i, dy[i], want[i])
					}
					ref := float64(orig[i]) * fn.derivRef(float64(y[i]))
					if math.Abs(float64(want[i])-ref) > 1e-6*math.Abs(ref)+1e-7 {
						t.Fatalf("%s n=%d: Go twin dz[%d] = %v, want %v", fn.name, n, i, want[i], ref)
					}
				}
			}
		}
	})
}
