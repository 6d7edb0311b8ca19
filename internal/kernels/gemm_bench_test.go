package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchShapes are M x K x N products autoenc runs: square, conv im2col
// forward and its backward passes, LSTM and dense layers.
var benchShapes = []struct {
	transA, transB bool
	m, k, n        int
}{
	{false, false, 1024, 1024, 1024},
	{false, false, 6272, 144, 32}, // conv forward, im2col
	{false, false, 1568, 288, 64},
	{false, false, 25088, 9, 16},
	{true, false, 144, 6272, 32}, // conv kernel gradient: col^T dY
	{true, false, 288, 1568, 64},
	{false, true, 6272, 32, 144}, // conv input gradient: dY W^T
	{false, false, 32, 128, 400}, // LSTM recurrence
	{false, false, 896, 28, 400}, // LSTM input projection
	{false, true, 32, 400, 100},  // LSTM dh = dz U^T
	{false, false, 32, 400, 100}, // the same on U^T transposed once per backward pass
	{true, false, 100, 864, 400}, // LSTM recurrent kernel gradient
	{false, false, 32, 784, 100}, // dense forward
	{false, false, 32, 100, 784},
	{true, false, 784, 32, 100}, // dense kernel gradient
	{false, true, 32, 100, 784}, // dense input gradient
}

func shapeName(tA, tB bool, m, k, n int) string {
	s := fmt.Sprintf("%dx%dx%d", m, k, n)
	if tA || tB {
		s += "_"
		if tA {
			s += "T"
		} else {
			s += "N"
		}
		if tB {
			s += "T"
		} else {
			s += "N"
		}
	}
	return s
}

// BenchmarkSgemm runs each micro-kernel single-threaded and Sgemm itself
// (impl=default: best kernel, Threads() goroutines), reporting GFLOP/s.
func BenchmarkSgemm(b *testing.B) {
	type impl struct {
		name    string
		kern    *gemmKernel
		threads int
	}
	var impls []impl
	for _, k := range gemmKernels {
		impls = append(impls, impl{k.name, k, 1})
	}
	impls = append(impls, impl{"default", nil, 0})
	r := rand.New(rand.NewPCG(1, 1))
	for _, im := range impls {
		b.Run("impl="+im.name, func(b *testing.B) {
			if im.kern != nil && !im.kern.ok {
				b.Skipf("CPU lacks the features for the %s kernel", im.name)
			}
			for _, s := range benchShapes {
				b.Run(shapeName(s.transA, s.transB, s.m, s.k, s.n), func(b *testing.B) {
					lda, ldb := s.k, s.n
					if s.transA {
						lda = s.m
					}
					if s.transB {
						ldb = s.k
					}
					a, bm, c := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), make([]float32, s.m*s.n)
					kern, th := im.kern, im.threads
					if kern == nil {
						kern, th = bestKernel, Threads()
					}
					b.ReportAllocs()
					b.ResetTimer()
					for b.Loop() {
						sgemm(kern, th, s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
					}
					flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
					b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		})
	}
}
