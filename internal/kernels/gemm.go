// Package kernels holds the numerical inner loops of autoenc: SGEMM and the
// helpers the layers build on it.
package kernels

import "fmt"

// Blocking of the packed SGEMM (Goto/BLIS loop nest). The textbook symbols:
//
//	for jc := 0; jc < n; jc += nc        // Nc-wide column block of B and C
//	  for pc := 0; pc < k; pc += kc      // Kc-deep slice: pack B[pc:pc+kc, jc:jc+nc]
//	    for ic := 0; ic < m; ic += mc    // Mc-tall row block of A (stays in L2)
//	      for jr := 0; jr < nc; jr += nr //   one packed kc x nr micro-panel of B (L1)
//	        for ir := 0; ir < mc; ir += mr
//	          micro-kernel: C[ir:ir+mr, jr:jr+nr] (+)= A[ir:ir+mr, pc:pc+kc] * Bpanel
//
// The reduction over k runs in kc-deep slices in increasing k, whatever
// the thread count, so results do not depend on how many threads ran.
const (
	gemmKc = 256  // Kc: depth of a packed B panel; kc*nr floats sit in L1/L2
	gemmMc = 192  // Mc: rows of A per block, mc*kc floats sit in L2 (multiple of every mr)
	gemmNc = 2048 // Nc: columns of B per packed block, kc*nc floats sit in L2/L3

	gemmDirectRows = 64 // up to this many rows of C, kernels that can read B in place do
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C on row-major matrices, where
// op(A) is A ([m,k], leading dimension lda) or A^T (A stored [k,m]) when
// transA is set, and likewise op(B) is [k,n] or B^T (B stored [n,k]).
// C is [m,n] with leading dimension ldc. With beta == 0, C is not read
// (it may hold NaN).
//
// It runs a packed, blocked algorithm on the fastest micro-kernel the CPU
// supports, on up to Threads() goroutines for products big enough to pay
// for it. Results are bit-identical for any thread count.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(bestKernel, Threads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmNaive is the reference: a triple loop with float32 accumulation in k order.
func sgemmNaive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}

// gemmKernel is one micro-kernel and its register tile.
type gemmKernel struct {
	name    string
	mr, nr  int  // Mr x Nr: the tile of C the kernel keeps in registers
	packA   bool // the kernel reads A only from packed panels (rsA == 1, csA == mr)
	partial bool // the kernel stores partial tiles itself (mh < mr, nw < nr) and reads B in place
	ok      bool // the CPU runs it
	// fn computes, for i < mr and j < nr,
	//
	//	C[i*ldc+j] = alpha * sum_{p<k} A[i*rsA+p*csA] * B[p*ldb+j] + beta*C[i*ldc+j]
	//
	// reading C only when beta != 0. B is a packed kc x nr micro-panel
	// (ldb == nr). Kernels with partial set touch only rows i < mh and
	// columns j < nw of C and B, so B may also be op(B) in place; the
	// others are called with mh == mr and nw == nr on packed B.
	fn func(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, mh, nw int)
}

// gemmKernels lists every micro-kernel built into this binary, portable
// first; bestKernel is the last one the CPU runs.
var (
	gemmKernels = append([]*gemmKernel{&kernelGo}, archKernels...)
	bestKernel  = pickKernel()
)

func pickKernel() *gemmKernel {
	best := &kernelGo
	for _, k := range gemmKernels {
		if k.ok {
			best = k
		}
	}
	return best
}

// checkGemm panics with a clear message on inconsistent arguments.
func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: Sgemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	need := func(what string, s []float32, rows, cols, ld int) {
		if rows == 0 || cols == 0 {
			return
		}
		if ld < cols {
			panic(fmt.Sprintf("kernels: Sgemm: %s: leading dimension %d < %d columns", what, ld, cols))
		}
		if len(s) < (rows-1)*ld+cols {
			panic(fmt.Sprintf("kernels: Sgemm: %s: [%d,%d] with leading dimension %d needs %d values, got %d",
				what, rows, cols, ld, (rows-1)*ld+cols, len(s)))
		}
	}
	if transA {
		need("A", a, k, m, lda)
	} else {
		need("A", a, m, k, lda)
	}
	if transB {
		need("B", b, n, k, ldb)
	} else {
		need("B", b, k, n, ldb)
	}
	need("C", c, m, n, ldc)
}

// sgemm is Sgemm on the given micro-kernel and thread count.
func sgemm(kern *gemmKernel, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	job := gemmJob{
		kern: kern, transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
	}
	job.split(threads)
	if job.parts == 1 {
		buf := getGemmBuf()
		job.run(0, buf)
		putGemmBuf(buf)
		return
	}
	runParallel(&job)
}

// scaleC sets C = beta*C (C = 0 when beta == 0, without reading C).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		if beta == 1 {
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// gemmParallelFlops is the work (2*m*n*k) below which Sgemm stays on the
// calling goroutine: about 8 us on one core, against about 1 us for handing
// a part to a polling worker (pool.go). 32x128x400 (the LSTM's step) goes
// from 162 to 264 GFLOP/s on two threads with the split.
const gemmParallelFlops = 1 << 20

// gemmJob is one Sgemm call, cut into parts along M (mr-tiles) or N
// (nr-panels). Parts own disjoint tiles of C on the kernel's tile grid, and
// each tile is computed the same way whichever part holds it.
type gemmJob struct {
	kern           *gemmKernel
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	parts          int  // how many pieces the job is cut into
	splitM         bool // cut along M (mr-tiles) rather than N (nr-panels)
}

// split chooses the number of parts and the dimension to cut.
func (g *gemmJob) split(threads int) {
	mt := (g.m + g.kern.mr - 1) / g.kern.mr
	nt := (g.n + g.kern.nr - 1) / g.kern.nr
	g.parts = 1
	if threads <= 1 || 2*float64(g.m)*float64(g.n)*float64(g.k) < gemmParallelFlops {
		return
	}
	g.splitM = mt >= nt || mt >= 4*threads
	tiles := nt
	if g.splitM {
		tiles = mt
	}
	g.parts = min(threads, tiles)
}

// partRange is the tile range [t0, t1) of part i out of the given tiles.
func partRange(i, parts, tiles int) (t0, t1 int) {
	return i * tiles / parts, (i + 1) * tiles / parts
}

// run computes part i of the job.
func (g *gemmJob) run(i int, buf *gemmBuf) {
	m0, m1, n0, n1 := 0, g.m, 0, g.n
	if g.parts > 1 {
		if g.splitM {
			mt := (g.m + g.kern.mr - 1) / g.kern.mr
			t0, t1 := partRange(i, g.parts, mt)
			m0, m1 = t0*g.kern.mr, min(t1*g.kern.mr, g.m)
		} else {
			nt := (g.n + g.kern.nr - 1) / g.kern.nr
			t0, t1 := partRange(i, g.parts, nt)
			n0, n1 = t0*g.kern.nr, min(t1*g.kern.nr, g.n)
		}
	}
	if m0 < m1 && n0 < n1 {
		g.blocked(buf, m0, m1, n0, n1)
	}
}

// blocked runs the loop nest described at gemmKc over C[m0:m1, n0:n1].
func (g *gemmJob) blocked(buf *gemmBuf, m0, m1, n0, n1 int) {
	kern := g.kern
	mr, nr := kern.mr, kern.nr
	for jc := n0; jc < n1; jc += gemmNc {
		nb := min(gemmNc, n1-jc)
		npan := (nb + nr - 1) / nr
		// K in equal slices of at most gemmKc (784 = 4 x 196, not
		// 3 x 256 + 16: a thin last slice costs a pass over C for little).
		kc := (g.k + (g.k+gemmKc-1)/gemmKc - 1) / ((g.k + gemmKc - 1) / gemmKc)
		for pc := 0; pc < g.k; pc += kc {
			kb := min(kc, g.k-pc)
			// Packing B pays when its panels serve many mr-tiles; for a
			// few, partial kernels read op(B) = B in place.
			direct := kern.partial && !g.transB && m1-m0 <= gemmDirectRows
			if !direct {
				packB(buf.b[:npan*kb*nr], g.transB, g.b, g.ldb, pc, kb, jc, nb, nr)
			}
			beta := g.beta
			if pc > 0 {
				beta = 1 // later k-slices accumulate onto the first
			}
			for ic := m0; ic < m1; ic += gemmMc {
				mb := min(gemmMc, m1-ic)
				full := mb / mr * mr // rows in whole mr-tiles
				if kern.packA {
					packA(buf.a[:(mb+mr-1)/mr*mr*kb], g.transA, g.a, g.lda, ic, mb, pc, kb, mr)
				} else if full < mb {
					packA(buf.edge[:mr*kb], g.transA, g.a, g.lda, ic+full, mb-full, pc, kb, mr)
				}
				for jr := 0; jr < npan; jr++ {
					j0 := jc + jr*nr
					nw := min(nr, n1-j0)
					bp, ldb := buf.b[jr*kb*nr:(jr+1)*kb*nr], nr
					if direct {
						bp, ldb = g.b[pc*g.ldb+j0:], g.ldb
					}
					for ir := 0; ir < mb; ir += mr {
						var ap []float32
						rs, cs := 1, mr
						switch {
						case kern.packA:
							ap = buf.a[ir*kb : (ir+mr)*kb]
						case ir >= full:
							ap = buf.edge[:mr*kb]
						case g.transA:
							ap, rs, cs = g.a[pc*g.lda+ic+ir:], 1, g.lda
						default:
							ap, rs, cs = g.a[(ic+ir)*g.lda+pc:], g.lda, 1
						}
						mh := min(mr, mb-ir)
						ci := (ic+ir)*g.ldc + j0
						if kern.partial || mh == mr && nw == nr {
							kern.fn(kb, ap, rs, cs, bp, ldb, g.c[ci:], g.ldc, g.alpha, beta, mh, nw)
							continue
						}
						// Edge tile: compute the whole tile aside, then
						// C = alpha*T + beta*C on the part inside C.
						t := buf.t[:mr*nr]
						kern.fn(kb, ap, rs, cs, bp, ldb, t, nr, 1, 0, mr, nr)
						for i := 0; i < mh; i++ {
							crow := g.c[ci+i*g.ldc : ci+i*g.ldc+nw]
							trow := t[i*nr : i*nr+nw]
							if beta == 0 {
								for j, v := range trow {
									crow[j] = g.alpha * v
								}
							} else {
								for j, v := range trow {
									crow[j] = g.alpha*v + beta*crow[j]
								}
							}
						}
					}
				}
			}
		}
	}
}

// packB copies op(B)[pc:pc+kb, jc:jc+nb] into nr-wide micro-panels: panel q
// holds columns jc+q*nr.. as dst[q*kb*nr + p*nr + j], zero-padded past nb.
func packB(dst []float32, transB bool, b []float32, ldb, pc, kb, jc, nb, nr int) {
	for q := 0; q*nr < nb; q++ {
		panel := dst[q*kb*nr : (q+1)*kb*nr]
		j0 := jc + q*nr
		w := min(nr, jc+nb-j0)
		if !transB {
			// op(B)[p, j] = b[p*ldb + j]: rows are contiguous, and so is
			// the whole panel when B is exactly one panel wide.
			if w == nr && ldb == nr {
				copy(panel, b[pc*ldb+j0:(pc+kb)*ldb])
				continue
			}
			for p := 0; p < kb; p++ {
				d := panel[p*nr : p*nr+nr]
				copy(d, b[(pc+p)*ldb+j0:(pc+p)*ldb+j0+w])
				clear(d[w:])
			}
			continue
		}
		// op(B)[p, j] = b[j*ldb + p]: transpose 16x16 blocks, then gather
		// the rest four columns at a time.
		j := 0
		for ; j+16 <= w; j += 16 {
			p := 0
			for ; p+16 <= kb; p += 16 {
				transpose16(panel[p*nr+j:], nr, b[(j0+j)*ldb+pc+p:], ldb)
			}
			for jj := j; jj < j+16; jj++ {
				s := b[(j0+jj)*ldb+pc+p : (j0+jj)*ldb+pc+kb]
				for pp, v := range s {
					panel[(p+pp)*nr+jj] = v
				}
			}
		}
		for ; j+4 <= w; j += 4 {
			s0 := b[(j0+j)*ldb+pc : (j0+j)*ldb+pc+kb]
			s1 := b[(j0+j+1)*ldb+pc : (j0+j+1)*ldb+pc+kb]
			s2 := b[(j0+j+2)*ldb+pc : (j0+j+2)*ldb+pc+kb]
			s3 := b[(j0+j+3)*ldb+pc : (j0+j+3)*ldb+pc+kb]
			d := panel[j:]
			for p := range s0 {
				o := d[p*nr : p*nr+4 : p*nr+4]
				o[0], o[1], o[2], o[3] = s0[p], s1[p], s2[p], s3[p]
			}
		}
		for ; j < w; j++ {
			s := b[(j0+j)*ldb+pc : (j0+j)*ldb+pc+kb]
			for p, v := range s {
				panel[p*nr+j] = v
			}
		}
		if w < nr {
			for p := 0; p < kb; p++ {
				clear(panel[p*nr+w : p*nr+nr])
			}
		}
	}
}

// packA copies op(A)[ic:ic+mb, pc:pc+kb] into mr-tall micro-panels: panel q
// holds rows ic+q*mr.. as dst[q*kb*mr + p*mr + i], zero-padded past mb.
func packA(dst []float32, transA bool, a []float32, lda, ic, mb, pc, kb, mr int) {
	for q := 0; q*mr < mb; q++ {
		panel := dst[q*kb*mr : (q+1)*kb*mr]
		i0 := ic + q*mr
		h := min(mr, ic+mb-i0)
		if transA {
			// op(A)[i, p] = a[p*lda + i]: columns of op(A) are contiguous,
			// and short (mr values): copied inline, cheaper than memmove.
			for p := 0; p < kb; p++ {
				d := panel[p*mr : p*mr+mr]
				src := a[(pc+p)*lda+i0:][:h]
				for i, v := range src {
					d[i] = v
				}
				for i := h; i < mr; i++ {
					d[i] = 0
				}
			}
			continue
		}
		for i := 0; i < h; i++ {
			s := a[(i0+i)*lda+pc : (i0+i)*lda+pc+kb]
			for p, v := range s {
				panel[p*mr+i] = v
			}
		}
		if h < mr {
			for p := 0; p < kb; p++ {
				clear(panel[p*mr+h : p*mr+mr])
			}
		}
	}
}

// transpose16x16Go sets dst[p*ldd+j] = src[j*lds+p] for p, j < 16.
func transpose16x16Go(dst []float32, ldd int, src []float32, lds int) {
	for j := 0; j < 16; j++ {
		row := src[j*lds : j*lds+16]
		for p, v := range row {
			dst[p*ldd+j] = v
		}
	}
}
