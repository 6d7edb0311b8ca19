package kernels

import "fmt"

// ConvGeom is the geometry of a square convolution window sliding over NHWC
// images: the input is [batch, H, W, C], the window K x K, the step S, and
// PadTop rows and PadLeft columns of zeros come before the first input row
// and column (padding after the last is implied by OH and OW). The output
// has OH x OW pixels; output pixel (oy, ox) sees input rows
// oy*S-PadTop .. oy*S-PadTop+K-1 and the matching columns.
type ConvGeom struct {
	H, W, C         int // input height, width, channels
	K, S            int // window size and stride
	PadTop, PadLeft int // zeros before the first input row and column
	OH, OW          int // output height and width
}

// ColCols is the width of an im2col matrix: K*K*C, one column per window tap.
func (g ConvGeom) ColCols() int { return g.K * g.K * g.C }

// check panics unless x and col hold at least batch images and rows.
func (g ConvGeom) check(what string, col, x []float32, batch int) {
	if batch < 0 || len(x) < batch*g.H*g.W*g.C || len(col) < batch*g.OH*g.OW*g.ColCols() {
		panic(fmt.Sprintf("kernels: %s: %d images need x >= %d and col >= %d values, got %d and %d",
			what, batch, batch*g.H*g.W*g.C, batch*g.OH*g.OW*g.ColCols(), len(x), len(col)))
	}
}

// span returns the window taps dj in [lo, hi) that fall inside a row of the
// input for the window starting at input column ix0 (which may be negative).
func (g ConvGeom) span(ix0 int) (lo, hi int) {
	lo, hi = max(0, -ix0), min(g.K, g.W-ix0)
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// Im2col copies the windows of the NHWC images x ([batch, H, W, C]) into the
// rows of col ([batch*OH*OW, K*K*C]), one row per output pixel, its columns
// ordered (di, dj, c) like a [K, K, C, filters] kernel, with zeros where the
// window hangs over the padding:
//
//	col[(n*OH+oy)*OW+ox][(di*K+dj)*C+c] = x[n][oy*S+di-PadTop][ox*S+dj-PadLeft][c]
//
// The K taps of one window row (fixed di) are contiguous in both x and col,
// so each window row is one copy of up to K*C values.
//
// Images are split over Threads() goroutines when there is enough work.
func Im2col(col, x []float32, batch int, g ConvGeom) {
	g.check("Im2col", col, x, batch)
	forImages(batchJob{kind: jobIm2col, col: col, x: x, g: g}, batch, batch*g.OH*g.OW*g.ColCols())
}

// im2col is Im2col for images n0..n1-1. It goes one output row and window
// row (oy, di) at a time, so that the input row is loaded once for the
// whole output row; windows wholly inside the image (most of them) take
// one plain copy.
func im2col(col, x []float32, n0, n1 int, g ConvGeom) {
	if g.C == 1 {
		im2col1(col, x, n0, n1, g)
		return
	}
	rowLen, kkc := g.K*g.C, g.ColCols()
	for n := n0; n < n1; n++ {
		img := x[n*g.H*g.W*g.C : (n+1)*g.H*g.W*g.C]
		for oy := 0; oy < g.OH; oy++ {
			out := col[(n*g.OH+oy)*g.OW*kkc : (n*g.OH+oy+1)*g.OW*kkc]
			for di := 0; di < g.K; di++ {
				iy := oy*g.S + di - g.PadTop
				if iy < 0 || iy >= g.H {
					for ox := 0; ox < g.OW; ox++ {
						clear(out[ox*kkc+di*rowLen:][:rowLen])
					}
					continue
				}
				src := img[iy*g.W*g.C : (iy+1)*g.W*g.C]
				for ox := 0; ox < g.OW; ox++ {
					dst := out[ox*kkc+di*rowLen:][:rowLen]
					ix0 := ox*g.S - g.PadLeft
					if ix0 >= 0 && ix0+g.K <= g.W {
						copyShort(dst, src[ix0*g.C:][:rowLen])
						continue
					}
					lo, hi := g.span(ix0)
					if lo == hi { // all on the padding
						clear(dst)
						continue
					}
					clear(dst[:lo*g.C])
					copyShort(dst[lo*g.C:hi*g.C], src[(ix0+lo)*g.C:(ix0+hi)*g.C])
					clear(dst[hi*g.C:])
				}
			}
		}
	}
}

// im2col1 is im2col for one channel, where a window row is a few single
// values: each is written directly (zero on the padding), with no copy
// calls and no per-window bookkeeping.
func im2col1(col, x []float32, n0, n1 int, g ConvGeom) {
	k, kk := g.K, g.K*g.K
	for n := n0; n < n1; n++ {
		img := x[n*g.H*g.W : (n+1)*g.H*g.W]
		for oy := 0; oy < g.OH; oy++ {
			out := col[(n*g.OH+oy)*g.OW*kk : (n*g.OH+oy+1)*g.OW*kk]
			for di := 0; di < k; di++ {
				iy := oy*g.S + di - g.PadTop
				if iy < 0 || iy >= g.H {
					for o := di * k; o < len(out); o += kk {
						clear(out[o : o+k])
					}
					continue
				}
				src := img[iy*g.W : (iy+1)*g.W]
				o := di * k
				for ox := 0; ox < g.OW; ox, o = ox+1, o+kk {
					dst := out[o : o+k]
					ix0 := ox*g.S - g.PadLeft
					for dj := range dst {
						var v float32
						if ix := ix0 + dj; uint(ix) < uint(len(src)) {
							v = src[ix]
						}
						dst[dj] = v
					}
				}
			}
		}
	}
}

// copyShort is copy(dst, src) for len(dst) == len(src), inline for the few
// values (3 taps of 1 channel, say) for which a call to memmove costs more.
func copyShort(dst, src []float32) {
	if len(src) > 16 {
		copy(dst, src)
		return
	}
	for i, v := range src {
		dst[i] = v
	}
}

// Col2im is the adjoint of Im2col: it sets x ([batch, H, W, C]) to the sum,
// over every row of col ([batch*OH*OW, K*K*C]) and every tap, of the values
// whose window position falls inside the image; taps on the padding are
// dropped:
//
//	x[n][iy][ix][c] = sum over oy*S+di-PadTop == iy, ox*S+dj-PadLeft == ix
//	                  of col[(n*OH+oy)*OW+ox][(di*K+dj)*C+c]
//
// It is the input gradient of a convolution (dx from dcol) and the forward
// pass of a transposed convolution.
//
// Images are split over Threads() goroutines when there is enough work;
// each image's sums are done in the same order however it is split.
func Col2im(x, col []float32, batch int, g ConvGeom) {
	g.check("Col2im", col, x, batch)
	forImages(batchJob{kind: jobCol2im, col: col, x: x, g: g}, batch, batch*g.OH*g.OW*g.ColCols())
}

// col2im is Col2im for images n0..n1-1, one output row and window row
// (oy, di) at a time like im2col.
func col2im(x, col []float32, n0, n1 int, g ConvGeom) {
	rowLen, kkc := g.K*g.C, g.ColCols()
	clear(x[n0*g.H*g.W*g.C : n1*g.H*g.W*g.C])
	for n := n0; n < n1; n++ {
		img := x[n*g.H*g.W*g.C : (n+1)*g.H*g.W*g.C]
		for oy := 0; oy < g.OH; oy++ {
			in := col[(n*g.OH+oy)*g.OW*kkc : (n*g.OH+oy+1)*g.OW*kkc]
			for di := 0; di < g.K; di++ {
				iy := oy*g.S + di - g.PadTop
				if iy < 0 || iy >= g.H {
					continue
				}
				dstRow := img[iy*g.W*g.C : (iy+1)*g.W*g.C]
				for ox := 0; ox < g.OW; ox++ {
					src := in[ox*kkc+di*rowLen:][:rowLen]
					ix0 := ox*g.S - g.PadLeft
					lo, hi := 0, g.K
					if ix0 < 0 || ix0+g.K > g.W {
						if lo, hi = g.span(ix0); lo == hi {
							continue
						}
					}
					addShort(dstRow[(ix0+lo)*g.C:(ix0+hi)*g.C], src[lo*g.C:hi*g.C])
				}
			}
		}
	}
}

// addShort sets dst[i] += src[i] (len(dst) == len(src)): in vectors for a
// vector or more, inline for a few values.
func addShort(dst, src []float32) {
	if len(src) >= 16 {
		actImpl.addBias(dst, src) // dst plus one "bias" row
		return
	}
	for i, v := range src {
		dst[i] += v
	}
}
