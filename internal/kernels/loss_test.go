package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// lossSizes are every small length and lengths just past the chunk edges.
func lossSizes() []int {
	var ns []int
	for n := 0; n <= 40; n++ {
		ns = append(ns, n)
	}
	return append(ns, lossChunk-1, lossChunk, lossChunk+1, 2*lossChunk+5, 7*lossChunk+1, 32*784)
}

// bceRef is BCE in float64, one term at a time (both logs always, as
// Keras), with the gradient scaled by scale, and for each gradient the size
// of the two products it is the difference of (float32 rounding of those
// bounds its error).
func bceRef(pred, target []float32, scale float64) (sum float64, grad, mag []float64) {
	const eps = float64(float32(BCEEpsilon))
	grad, mag = make([]float64, len(pred)), make([]float64, len(pred))
	for i, p := range pred {
		t := float64(target[i])
		pc := math.Min(math.Max(float64(p), eps), float64(bceOneMinus))
		a, b := pc+eps, 1-pc+eps
		sum += -(t*math.Log(a) + (1-t)*math.Log(b))
		if pc == float64(p) {
			grad[i] = ((1-t)*a - t*b) / (a * b) * scale
			mag[i] = ((1-t)*a + t*b) / (a * b) * scale
		}
	}
	return sum, grad, mag
}

// lossInputs returns deterministic predictions (some clipped: 0, 1, and
// values within eps of them) and targets (mostly exact 0s and 1s).
func lossInputs(n int) (pred, target []float32) {
	pred, target = make([]float32, n), make([]float32, n)
	for i := range pred {
		pred[i] = float32((i*7919)%1000) / 999
		switch i % 5 {
		case 0, 1:
			target[i] = 0
		case 2, 3:
			target[i] = 1
		default:
			target[i] = float32((i*31)%100) / 99
		}
	}
	return pred, target
}

// TestBCE checks BCE against a float64 reference (float32 terms: about
// 1e-7 relative), and that the result is bit-identical for 1, 2 and 3
// threads and writes nothing past grad.
func TestBCE(t *testing.T) {
	defer SetThreads(Threads())
	for _, n := range lossSizes() {
		pred, target := lossInputs(n)
		scale := 1 / float64(max(n, 1))
		want, wantGrad, mag := bceRef(pred, target, scale)
		var first float64
		for _, threads := range []int{1, 2, 3} {
			SetThreads(threads)
			buf := make([]float32, n+2)
			for i := range buf {
				buf[i] = float32(math.NaN()) // junk, and the guard after grad
			}
			grad := buf[:n]
			got := BCE(pred, target, grad, scale)
			if math.Abs(got-want) > 1e-6*math.Abs(want) {
				t.Fatalf("n=%d threads=%d: BCE = %v, want %v", n, threads, got, want)
			}
			if threads == 1 {
				first = got
			} else if math.Float64bits(got) != math.Float64bits(first) {
				t.Fatalf("n=%d threads=%d: BCE = %v, threads=1 gave %v", n, threads, got, first)
			}
			for i := range grad {
				if d := math.Abs(float64(grad[i]) - wantGrad[i]); d > 1e-6*mag[i] || mag[i] == 0 && grad[i] != 0 {
					t.Fatalf("n=%d threads=%d: grad[%d] = %v, want %v (pred %v target %v)", n, threads, i, grad[i], wantGrad[i], pred[i], target[i])
				}
			}
			for _, g := range buf[n:] {
				if !math.IsNaN(float64(g)) {
					t.Fatalf("n=%d threads=%d: guard after grad overwritten: %v", n, threads, g)
				}
			}
		}
	}
}

// TestBCELanes checks the AVX-512 BCE against its Go twin bit for bit (lane
// sums and gradients) for lengths 0..40, 100 and lossChunk, on random
// predictions including clipped ones, +-Inf and -0.
func TestBCELanes(t *testing.T) {
	if !hasBCEAVX512 {
		t.Skip("no AVX-512 BCE on this CPU or build")
	}
	rng := rand.New(rand.NewPCG(21, 22))
	special := []float32{0, float32(math.Copysign(0, -1)), 1, 1e-8, 1 - 1e-8, float32(math.Inf(1)), float32(math.Inf(-1)), -3, 7}
	for _, n := range append(seq(0, 40), 100, lossChunk) {
		pred, target := make([]float32, n), make([]float32, n)
		for i := range pred {
			pred[i] = rng.Float32()
			if rng.IntN(4) == 0 {
				pred[i] = special[rng.IntN(len(special))]
			}
			target[i] = float32(rng.IntN(3)) / 2
		}
		var want, got [16]float64
		wantGrad := make([]float32, n)
		bceLanesGo(pred, target, wantGrad, 0.37, &want)
		buf := make([]float32, n+1)
		buf[n] = float32(math.NaN())
		bceLanes(pred, target, buf[:n], 0.37, &got)
		if !math.IsNaN(float64(buf[n])) {
			t.Fatalf("n=%d: guard after grad overwritten", n)
		}
		for l := range got {
			if math.Float64bits(got[l]) != math.Float64bits(want[l]) {
				t.Fatalf("n=%d: lane %d = %v, Go twin %v", n, l, got[l], want[l])
			}
		}
		for i := range wantGrad {
			if math.Float32bits(buf[i]) != math.Float32bits(wantGrad[i]) {
				t.Fatalf("n=%d: grad[%d] = %v, Go twin %v (pred %v target %v)", n, i, buf[i], wantGrad[i], pred[i], target[i])
			}
		}
	}
}

// TestLog32 checks log32 against math.Log to within 1 ulp of float32 on
// BCE's whole input range [2e-7, 1+1e-7] and beyond.
func TestLog32(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	check := func(x float32) {
		got, want := float64(log32(x)), math.Log(float64(x))
		ulp := float64(math.Nextafter32(float32(math.Abs(want)), float32(math.Inf(1)))) - math.Abs(float64(float32(want)))
		if math.Abs(got-want) > ulp {
			t.Fatalf("log32(%v) = %v, want %v (1 ulp = %g)", x, got, want, ulp)
		}
	}
	for x := float32(2e-7); x <= 1.0000001; x = math.Nextafter32(x, 2) * 1.0001 {
		check(x)
	}
	for range 100000 {
		check(float32(math.Exp(rng.Float64()*160 - 80)))
	}
	check(1)
	check(math.Nextafter32(1, 0))
	check(math.Nextafter32(1, 2))
}

// TestBCENaN checks that a NaN prediction gives a NaN loss, so that
// training notices divergence, for any thread count and in any chunk.
func TestBCENaN(t *testing.T) {
	defer SetThreads(Threads())
	n := 3*lossChunk + 7
	for _, at := range []int{0, lossChunk - 1, 2*lossChunk + 3, n - 1} {
		for _, threads := range []int{1, 2, 3} {
			SetThreads(threads)
			pred, target := lossInputs(n)
			pred[at] = float32(math.NaN())
			if got := BCE(pred, target, make([]float32, n), 1); !math.IsNaN(got) {
				t.Errorf("NaN at %d, threads=%d: BCE = %v, want NaN", at, threads, got)
			}
		}
	}
}

func TestSGD(t *testing.T) {
	defer SetThreads(Threads())
	sizes := []int{0, 1, 2, 3, 17, optGrain - 1, optGrain, 2*optGrain + 5, 100352}
	for _, n := range sizes {
		for _, c := range []struct {
			name     string
			momentum bool
			nesterov bool
		}{{"plain", false, false}, {"momentum", true, false}, {"nesterov", true, true}} {
			for _, threads := range []int{1, 2, 3} {
				SetThreads(threads)
				const lr, m = float32(0.1), float32(0.9)
				w, g, v := make([]float32, n+1), make([]float32, n+1), make([]float32, n+1)
				wantW, wantV := make([]float32, n), make([]float32, n)
				for i := range n {
					w[i] = float32(i%13) - 6
					g[i] = float32(i%7)/7 - 0.5
					v[i] = float32(i%5) / 10
					// The update in float32, value by value.
					gi, vi := g[i], v[i]
					if !c.momentum {
						wantW[i] = w[i] - lr*gi
						continue
					}
					vi = m*vi - lr*gi
					wantV[i] = vi
					if c.nesterov {
						wantW[i] = w[i] + (m*vi - lr*gi)
					} else {
						wantW[i] = w[i] + vi
					}
				}
				nan := float32(math.NaN())
				w[n], g[n], v[n] = nan, nan, nan // guards
				var vs []float32
				if c.momentum {
					vs = v[:n]
				}
				SGD(w[:n], g[:n], vs, lr, m, c.nesterov)
				for i := range n {
					if w[i] != wantW[i] || g[i] != 0 || (c.momentum && v[i] != wantV[i]) {
						t.Fatalf("%s n=%d threads=%d: at %d w=%v g=%v v=%v, want w=%v g=0 v=%v", c.name, n, threads, i, w[i], g[i], v[i], wantW[i], wantV[i])
					}
				}
				if !math.IsNaN(float64(w[n])) || !math.IsNaN(float64(g[n])) || !math.IsNaN(float64(v[n])) {
					t.Fatalf("%s n=%d threads=%d: guard overwritten", c.name, n, threads)
				}
			}
		}
	}
}

func TestLossAllocs(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(2)
	n := 32 * 784
	pred, target := lossInputs(n)
	grad := make([]float32, n)
	w, g, v := make([]float32, 100352), make([]float32, 100352), make([]float32, 100352)
	BCE(pred, target, grad, 1) // sizes the per-chunk sums
	if a := testing.AllocsPerRun(20, func() { BCE(pred, target, grad, 1) }); a != 0 {
		t.Errorf("BCE: %v allocations per call, want 0", a)
	}
	if a := testing.AllocsPerRun(20, func() { SGD(w, g, v, 0.1, 0.9, false) }); a != 0 {
		t.Errorf("SGD: %v allocations per call, want 0", a)
	}
}

func BenchmarkBCE(b *testing.B) {
	defer SetThreads(Threads())
	n := 32 * 784
	pred, target := lossInputs(n)
	grad := make([]float32, n)
	for _, threads := range []int{1, 2} {
		b.Run("threads="+string(rune('0'+threads)), func(b *testing.B) {
			SetThreads(threads)
			b.ReportAllocs()
			b.SetBytes(int64(12 * n))
			for b.Loop() {
				BCE(pred, target, grad, 1)
			}
		})
	}
}

func BenchmarkSGD(b *testing.B) {
	defer SetThreads(Threads())
	n := 784 * 128
	w, g := make([]float32, n), make([]float32, n)
	for _, threads := range []int{1, 2} {
		b.Run("threads="+string(rune('0'+threads)), func(b *testing.B) {
			SetThreads(threads)
			b.ReportAllocs()
			b.SetBytes(int64(8 * n))
			for b.Loop() {
				SGD(w, g, nil, 0.1, 0, false)
			}
		})
	}
}
