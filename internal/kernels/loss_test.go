package kernels

import (
	"math"
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

// bceRef is BCE in float64, one term at a time, summed chunk by chunk as
// BCE documents; its gradient is scaled by scale.
func bceRef(pred, target []float32, scale float64) (float64, []float32) {
	const eps = 1e-7
	grad := make([]float32, len(pred))
	var total, sum float64
	for i, p := range pred {
		if i%lossChunk == 0 {
			total += sum
			sum = 0
		}
		t := float64(target[i])
		pc := math.Min(math.Max(float64(p), eps), 1-eps)
		if t != 0 {
			sum += -t * math.Log(pc+eps)
		}
		if t != 1 {
			sum += -(1 - t) * math.Log(1-pc+eps)
		}
		if pc == float64(p) {
			// -(t/(p+eps) - (1-t)/(1-p+eps)), written as BCE writes it.
			a, b := pc+eps, 1-pc+eps
			grad[i] = float32(((1-t)*a - t*b) / (a * b) * scale)
		}
	}
	return total + sum, grad
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

func TestBCE(t *testing.T) {
	defer SetThreads(Threads())
	for _, n := range lossSizes() {
		pred, target := lossInputs(n)
		scale := 1 / float64(max(n, 1))
		want, wantGrad := bceRef(pred, target, scale)
		var first float64
		for _, threads := range []int{1, 2, 3} {
			SetThreads(threads)
			buf := make([]float32, n+2)
			for i := range buf {
				buf[i] = float32(math.NaN()) // junk, and the guard after grad
			}
			grad := buf[:n]
			got := BCE(pred, target, grad, scale)
			if math.Abs(got-want) > 1e-12*math.Abs(want) {
				t.Fatalf("n=%d threads=%d: BCE = %v, want %v", n, threads, got, want)
			}
			if threads == 1 {
				first = got
			} else if math.Float64bits(got) != math.Float64bits(first) {
				t.Fatalf("n=%d threads=%d: BCE = %v, threads=1 gave %v", n, threads, got, first)
			}
			for i := range grad {
				if math.Float32bits(grad[i]) != math.Float32bits(wantGrad[i]) {
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
