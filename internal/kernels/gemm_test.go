package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// forEachKernel runs body as one sub-test per micro-kernel, skipping those
// the CPU lacks.
func forEachKernel(t *testing.T, body func(t *testing.T, kern *gemmKernel)) {
	for _, kern := range gemmKernels {
		t.Run(kern.name, func(t *testing.T) {
			if !kern.ok {
				t.Skipf("CPU lacks the features for the %s kernel", kern.name)
			}
			body(t, kern)
		})
	}
}

var nan32 = float32(math.NaN())

// randSlice returns n values in [-1, 1) from a seeded generator.
func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*r.Float32() - 1
	}
	return s
}

// gemmCase is one product to check against sgemmNaive.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	pad            int // extra columns in lda, ldb, ldc
}

// check runs c on kern with the given thread count and compares C with
// sgemmNaive. C sits inside a NaN guard: the guard rows and the columns
// past n must stay NaN; with beta == 0, C starts as NaN.
func (tc gemmCase) check(t *testing.T, r *rand.Rand, kern *gemmKernel, threads int) {
	t.Helper()
	m, n, k := tc.m, tc.n, tc.k
	ar, ac := m, k
	if tc.transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tc.transB {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+tc.pad, bc+tc.pad, n+tc.pad
	a := randSlice(r, ar*lda)
	b := randSlice(r, br*ldb)
	const guard = 7 // NaN values before and after C
	cbuf := make([]float32, guard+m*ldc+guard)
	for i := range cbuf {
		cbuf[i] = nan32
	}
	c := cbuf[guard : guard+m*ldc]
	if tc.beta != 0 {
		for i := 0; i < m; i++ {
			copy(c[i*ldc:i*ldc+n], randSlice(r, n))
		}
	}
	want := append([]float32(nil), c...)
	sgemmNaive(tc.transA, tc.transB, m, n, k, tc.alpha, a, lda, b, ldb, tc.beta, want, ldc)
	sgemm(kern, threads, tc.transA, tc.transB, m, n, k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)

	for i := 0; i < guard; i++ {
		if !isNaN(cbuf[i]) || !isNaN(cbuf[len(cbuf)-1-i]) {
			t.Fatalf("%+v: guard value around C overwritten", tc)
		}
	}
	tol := 1e-5 * float32(k+1) * (abs32(tc.alpha) + 1)
	for i := 0; i < m; i++ {
		for j := 0; j < ldc; j++ {
			got, w := c[i*ldc+j], want[i*ldc+j]
			if j >= n {
				if !isNaN(got) {
					t.Fatalf("%+v: C[%d,%d] past n overwritten: %v", tc, i, j, got)
				}
				continue
			}
			if isNaN(got) || abs32(got-w) > tol {
				t.Fatalf("%+v: C[%d,%d] = %v, want %v (tolerance %g)", tc, i, j, got, w, tol)
			}
		}
	}
}

func isNaN(v float32) bool { return v != v }

var transCombos = [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}}

// TestSgemmSmall checks every m, n, k in 0..17 for all transpositions.
func TestSgemmSmall(t *testing.T) {
	forEachKernel(t, func(t *testing.T, kern *gemmKernel) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, tr := range transCombos {
			for m := 0; m <= 17; m++ {
				for n := 0; n <= 17; n++ {
					for k := 0; k <= 17; k++ {
						tc := gemmCase{transA: tr[0], transB: tr[1], m: m, n: n, k: k, alpha: 1, beta: 0, pad: (m + n + k) % 3}
						switch (m + 2*n + k) % 3 {
						case 1:
							tc.alpha, tc.beta = -1.5, 1
						case 2:
							tc.alpha, tc.beta = 0.5, -0.25
						}
						tc.check(t, r, kern, 1)
					}
				}
			}
		}
	})
}

// edgeSizes are sizes just around the tiles and blocks of kern.
func edgeSizes(kern *gemmKernel) (ms, ns, ks []int) {
	ms = []int{kern.mr - 1, kern.mr + 1, 2*kern.mr + 3, gemmMc - 1, gemmMc + 1, gemmMc + kern.mr + 1, 2*gemmMc + 5}
	ns = []int{kern.nr - 1, kern.nr + 1, 3*kern.nr + 5, gemmNc + 1, gemmNc + kern.nr + 3}
	ks = []int{1, 4, 6, gemmKc - 1, gemmKc + 1, 2*gemmKc + 5} // 4, 6: the unrolled k-loop with 0 and 2 left over
	return ms, ns, ks
}

// TestSgemmEdges checks sizes just past each tile and block edge, with
// alpha/beta variants, padded leading dimensions and all transpositions.
func TestSgemmEdges(t *testing.T) {
	forEachKernel(t, func(t *testing.T, kern *gemmKernel) {
		r := rand.New(rand.NewPCG(3, 4))
		ms, ns, ks := edgeSizes(kern)
		ab := [][2]float32{{1, 0}, {0.75, 1}, {-2, 0.5}}
		i := 0
		for _, tr := range transCombos {
			for _, m := range ms {
				for _, n := range ns {
					for _, k := range ks {
						if m*n*k > 3e6 {
							continue // the naive reference is slow
						}
						i++
						tc := gemmCase{transA: tr[0], transB: tr[1], m: m, n: n, k: k,
							alpha: ab[i%3][0], beta: ab[i%3][1], pad: i % 4}
						tc.check(t, r, kern, 1+i%3)
					}
				}
			}
		}
	})
}

// TestSgemmAlphaZero checks C = beta*C when alpha or k is 0.
func TestSgemmAlphaZero(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []gemmCase{
		{m: 5, n: 7, k: 0, alpha: 1, beta: 0, pad: 2},
		{m: 5, n: 7, k: 0, alpha: 1, beta: 2, pad: 1},
		{m: 5, n: 7, k: 3, alpha: 0, beta: 0.5},
		{m: 5, n: 7, k: 3, alpha: 0, beta: 0},
	} {
		tc.check(t, r, bestKernel, 1)
	}
}

// TestSgemmThreads checks that the threaded product is bit-identical across
// runs and across thread counts, on shapes cut along M and along N.
func TestSgemmThreads(t *testing.T) {
	forEachKernel(t, func(t *testing.T, kern *gemmKernel) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, s := range []struct {
			transA, transB bool
			m, k, n        int
		}{
			{false, false, 517, 300, 45}, // cut along M
			{false, true, 32, 100, 785},  // cut along N
			{true, false, 144, 1500, 33}, // long k
			{true, true, 100, 77, 300},
		} {
			ar, ac := s.m, s.k
			if s.transA {
				ar, ac = s.k, s.m
			}
			br, bc := s.k, s.n
			if s.transB {
				br, bc = s.n, s.k
			}
			a, b := randSlice(r, ar*ac), randSlice(r, br*bc)
			c0 := randSlice(r, s.m*s.n)
			var ref []float32
			for _, th := range []int{1, 2, 3, 2, 4, 1} {
				c := append([]float32(nil), c0...)
				sgemm(kern, th, s.transA, s.transB, s.m, s.n, s.k, 1.25, a, ac, b, bc, 0.5, c, s.n)
				if ref == nil {
					ref = c
					continue
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(ref[i]) {
						t.Fatalf("%dx%dx%d with %d threads: C[%d] = %v, with 1 thread %v", s.m, s.k, s.n, th, i, c[i], ref[i])
					}
				}
			}
		}
	})
}

// TestSgemmAllocs checks that Sgemm allocates nothing in steady state,
// single-threaded and threaded.
func TestSgemmAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	m, k, n := 300, 200, 100
	a, b, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	for _, th := range []int{1, 2} {
		t.Run(fmt.Sprintf("threads=%d", th), func(t *testing.T) {
			allocs := testing.AllocsPerRun(20, func() {
				sgemm(bestKernel, th, false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			})
			if allocs != 0 {
				t.Errorf("Sgemm with %d threads: %v allocations per call, want 0", th, allocs)
			}
		})
	}
}

func TestSetThreads(t *testing.T) {
	old := Threads()
	defer SetThreads(old)
	SetThreads(3)
	if got := Threads(); got != 3 {
		t.Errorf("after SetThreads(3), Threads() = %d", got)
	}
	SetThreads(0)
	if got := Threads(); got < 1 {
		t.Errorf("after SetThreads(0), Threads() = %d, want GOMAXPROCS", got)
	}
}

// TestTranspose16 checks the block transpose used to pack B^T against its
// Go twin, with leading dimensions wider than the block.
func TestTranspose16(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	src := randSlice(r, 15*19+16)
	want := make([]float32, 15*21+16)
	got := make([]float32, len(want))
	transpose16x16Go(want, 21, src, 19)
	transpose16(got, 21, src, 19)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("dst[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

// TestSgemmConcurrent runs threaded products from several goroutines at
// once: they share the worker pool and must not disturb each other.
func TestSgemmConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	m, k, n := 200, 150, 120
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	want := make([]float32, m*n)
	sgemm(bestKernel, 1, false, false, m, n, k, 1, a, k, b, n, 0, want, n)
	var wg sync.WaitGroup
	errs := make([]string, 4)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := make([]float32, m*n)
			for range 20 {
				sgemm(bestKernel, 2, false, false, m, n, k, 1, a, k, b, n, 0, c, n)
				for i := range c {
					if c[i] != want[i] {
						errs[g] = fmt.Sprintf("goroutine %d: C[%d] = %v, want %v", g, i, c[i], want[i])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
}
