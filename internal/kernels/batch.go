package kernels

import "sync"

// batchJob is per-image work (im2col, col2im, max-pooling) split over the
// worker pool by whole images: each image is done by one goroutine, in the
// same order as without the split, so results do not depend on Threads().
type batchJob struct {
	kind         int
	col, x, y    []float32
	arg          []int32
	g            ConvGeom
	pool         int // max-pool window (and stride)
	batch, parts int
}

const (
	jobIm2col = iota
	jobCol2im
	jobMaxPool
	jobMaxPoolBack
)

var batchJobs = sync.Pool{New: func() any { return new(batchJob) }}

// forImages runs job over images [0, batch) of which work counts the
// values touched, on the caller alone when that is small.
func forImages(job batchJob, batch, work int) {
	parts := min(Threads(), batch, work/actGrain)
	if parts <= 1 {
		job.runImages(0, batch)
		return
	}
	j := batchJobs.Get().(*batchJob)
	*j = job
	j.batch, j.parts = batch, parts
	RunParts(j, parts)
	*j = batchJob{}
	batchJobs.Put(j)
}

func (j *batchJob) RunPart(i int) {
	n0, n1 := partRange(i, j.parts, j.batch)
	j.runImages(n0, n1)
}

func (j *batchJob) runImages(n0, n1 int) {
	switch j.kind {
	case jobIm2col:
		im2col(j.col, j.x, n0, n1, j.g)
	case jobCol2im:
		col2im(j.x, j.col, n0, n1, j.g)
	case jobMaxPool:
		maxPool(j.y, j.arg, j.x, n0, n1, j.g, j.pool)
	case jobMaxPoolBack:
		maxPoolBack(j.x, j.y, j.arg, n0, n1, j.g, j.pool)
	}
}

// MaxPool2D sets y ([batch, H/p, W/p, C]) to the maximum of each p x p
// window (stride p) of x ([batch, H, W, C], NHWC) and arg to the index in x
// of that maximum; ties keep the first in window order (row, then column).
// g gives H, W, C; rows and columns past the last whole window are unused.
func MaxPool2D(y []float32, arg []int32, x []float32, batch, p int, g ConvGeom) {
	oh, ow := g.H/p, g.W/p
	if len(x) < batch*g.H*g.W*g.C || len(y) < batch*oh*ow*g.C || len(arg) < batch*oh*ow*g.C {
		panic("kernels: MaxPool2D: buffers too small")
	}
	forImages(batchJob{kind: jobMaxPool, y: y, arg: arg, x: x, g: g, pool: p}, batch, batch*g.H*g.W*g.C)
}

// MaxPool2DBackward is MaxPool2D's backward pass: it sets dx ([batch, H,
// W, C]) to zero and adds each dy ([batch, H/p, W/p, C]) value at the index
// arg (from MaxPool2D) names:
//
//	dx[arg[o]] += dy[o]
//
// Images are split over Threads() goroutines when there is enough work
// (every window lies in one image, so the sums do not depend on the split).
func MaxPool2DBackward(dx, dy []float32, arg []int32, batch, p int, g ConvGeom) {
	oh, ow := g.H/p, g.W/p
	if len(dx) < batch*g.H*g.W*g.C || len(dy) < batch*oh*ow*g.C || len(arg) < batch*oh*ow*g.C {
		panic("kernels: MaxPool2DBackward: buffers too small")
	}
	forImages(batchJob{kind: jobMaxPoolBack, y: dy, arg: arg, x: dx, g: g, pool: p}, batch, batch*g.H*g.W*g.C)
}

// maxPoolBack is MaxPool2DBackward for images n0..n1-1.
func maxPoolBack(dx, dy []float32, arg []int32, n0, n1 int, g ConvGeom, p int) {
	img, out := g.H*g.W*g.C, (g.H/p)*(g.W/p)*g.C
	dx = dx[n0*img : n1*img]
	clear(dx)
	base := int32(n0 * img)
	for o, v := range dy[n0*out : n1*out] {
		dx[arg[n0*out+o]-base] += v
	}
}

// maxPool is MaxPool2D for images n0..n1-1.
func maxPool(y []float32, arg []int32, x []float32, n0, n1 int, g ConvGeom, p int) {
	oh, ow, c := g.H/p, g.W/p, g.C
	if p == 2 {
		maxPool2(y, arg, x, n0, n1, g)
		return
	}
	for b := n0; b < n1; b++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				o := ((b*oh+oy)*ow + ox) * c
				out, am := y[o:o+c], arg[o:o+c]
				for di := 0; di < p; di++ {
					for dj := 0; dj < p; dj++ {
						i := ((b*g.H+oy*p+di)*g.W + ox*p + dj) * c
						in := x[i : i+c]
						if di == 0 && dj == 0 {
							copy(out, in)
							for ch := range am {
								am[ch] = int32(i + ch)
							}
							continue
						}
						// Written without a branch on the data (random
						// inputs mispredict): strict >, so ties keep the first.
						for ch, v := range in {
							o, a := out[ch], am[ch]
							if v > o {
								a = int32(i + ch)
							}
							out[ch], am[ch] = max(o, v), a
						}
					}
				}
			}
		}
	}
}

// maxPool2 is maxPool for 2x2 windows, one output row at a time on
// poolRow (AVX-512 when the CPU has it and c is a multiple of 16).
func maxPool2(y []float32, arg []int32, x []float32, n0, n1 int, g ConvGeom) {
	oh, ow, c := g.H/2, g.W/2, g.C
	row := maxPool2RowGo
	if c%16 == 0 && poolRow != nil {
		row = poolRow
	}
	for b := n0; b < n1; b++ {
		for oy := 0; oy < oh; oy++ {
			o := (b*oh + oy) * ow * c
			row(y[o:o+ow*c], arg[o:o+ow*c], x, (b*g.H+2*oy)*g.W*c, ow, c, g.W*c)
		}
	}
}

// maxPool2RowGo is one output row of a 2x2, stride-2 max-pool: for each
// output pixel ox < ow and channel ch < c, the taps at index
// i00 + 2*ox*c + {0, c, wc, wc+c} + ch of x are compared in that order in
// registers, strict > so ties keep the first (max keeps NaN, as maxPool
// does), and y[ox*c+ch], arg[ox*c+ch] get the maximum and its index.
func maxPool2RowGo(y []float32, arg []int32, x []float32, i00, ow, c, wc int) {
	for ox := 0; ox < ow; ox++ {
		p00 := i00 + 2*ox*c
		p01, p10 := p00+c, p00+wc
		p11 := p10 + c
		out, am := y[ox*c:ox*c+c], arg[ox*c:ox*c+c]
		r00, r01, r10, r11 := x[p00:p00+c], x[p01:p01+c], x[p10:p10+c], x[p11:p11+c]
		for ch := range out {
			// Branch-free (conditional moves): random data mispredicts.
			best, at := r00[ch], int32(p00+ch)
			v, a := r01[ch], int32(p01+ch)
			if v > best {
				at = a
			}
			best = max(best, v)
			v, a = r10[ch], int32(p10+ch)
			if v > best {
				at = a
			}
			best = max(best, v)
			v, a = r11[ch], int32(p11+ch)
			if v > best {
				at = a
			}
			best = max(best, v)
			out[ch], am[ch] = best, at
		}
	}
}
