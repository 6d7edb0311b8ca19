package nn

import (
	"github.com/autoenc/autoenc/internal/kernels"
	"github.com/autoenc/autoenc/tensor"
)

// imageChunk is how many images a convolution layer treats as one piece
// of work. A layer runs each chunk from start to end (im2col, GEMM, bias and
// activation; or the whole backward pass) on one goroutine while the chunk's
// buffers are still in cache, and the chunks of a batch are shared out over
// the kernels' worker pool: one hand-over per pass instead of one per kernel
// call. The chunk size is fixed, not derived from the thread count, so
// per-chunk partial sums (weight gradients) are added in the same order
// whatever Threads() is, and results do not depend on it.
const imageChunk = 4

// batchChunks runs a layer's per-chunk function over a batch on the worker
// pool. A layer keeps one per pass, with run set once, so a step
// allocates nothing.
type batchChunks struct {
	// run does images [i0, i1), which are chunk c of the batch.
	run func(c, i0, i1 int)

	n, chunks, parts int
}

// numChunks is the number of chunks of a batch of n images.
func numChunks(n int) int { return (n + imageChunk - 1) / imageChunk }

// do runs every chunk of a batch of n images and returns when all are done.
func (b *batchChunks) do(n int) {
	b.n, b.chunks = n, numChunks(n)
	b.parts = min(kernels.Threads(), b.chunks)
	kernels.RunParts(b, b.parts)
}

// RunPart runs part p's contiguous share of the chunks, in order.
func (b *batchChunks) RunPart(p int) {
	c0, c1 := p*b.chunks/b.parts, (p+1)*b.chunks/b.parts
	for c := c0; c < c1; c++ {
		i0 := c * imageChunk
		b.run(c, i0, min(i0+imageChunk, b.n))
	}
}

// chunkedConv is what Conv2D and Conv2DTranspose share: their buffers,
// and forward and backward passes that run the layer's forwardChunk and
// backwardChunk (set as fwd.run and bwd.run by Build) over the batch.
type chunkedConv struct {
	kernel, bias *Param

	x     *tensor.Tensor // last input
	col   *tensor.Tensor // the layer's column matrix, reused by Backward
	y, dx *tensor.Tensor
	dy    *tensor.Tensor // during Backward

	grads    chunkGrads // per-chunk weight gradients
	fwd, bwd batchChunks

	noDx bool // Backward skips dx (first layer of a Model)
}

// forward sizes col ([colRows, colCols]) and y (yShape) for x and runs
// every chunk's forward pass.
func (l *chunkedConv) forward(x *tensor.Tensor, colRows, colCols int, yShape ...int) *tensor.Tensor {
	l.x = x
	l.col = tensor.Resize(l.col, colRows, colCols)
	l.y = tensor.Resize(l.y, yShape...)
	l.fwd.do(x.Shape[0])
	return l.y
}

func (l *chunkedConv) skipInputGrad() { l.noDx = true }

// Backward turns dy into dz in place, accumulates the parameter gradients
// and returns dx (nil once skipInputGrad was called), chunk by chunk.
func (l *chunkedConv) Backward(dy *tensor.Tensor) *tensor.Tensor {
	n := l.x.Shape[0]
	l.grads.resize(n, l.kernel, l.bias)
	if !l.noDx {
		l.dx = tensor.Resize(l.dx, l.x.Shape...)
	}
	l.dy = dy
	l.bwd.do(n)
	l.dy = nil
	l.grads.addTo(l.kernel, l.bias)
	if l.noDx {
		return nil
	}
	return l.dx
}

// Params returns kernel and bias, or nil before Build.
func (l *chunkedConv) Params() []*Param {
	if l.kernel == nil {
		return nil
	}
	return []*Param{l.kernel, l.bias}
}

// chunkGrads holds a convolution layer's weight gradients per chunk of a
// batch: dk [chunks, len(kernel)] and db [chunks, len(bias)], written by
// the chunks' backward passes and then added in chunk order.
type chunkGrads struct {
	dk, db *tensor.Tensor
}

// resize makes room for the chunks of a batch of n images.
func (g *chunkGrads) resize(n int, kernel, bias *Param) {
	g.dk = tensor.Resize(g.dk, numChunks(n), kernel.Grad.Len())
	g.db = tensor.Resize(g.db, numChunks(n), bias.Grad.Len())
}

// chunk returns chunk c's rows of dk and db.
func (g *chunkGrads) chunk(c int) (dk, db []float32) {
	wk, wb := g.dk.Shape[1], g.db.Shape[1]
	return g.dk.Data[c*wk : (c+1)*wk], g.db.Data[c*wb : (c+1)*wb]
}

// addTo adds every chunk's gradients into kernel.Grad and bias.Grad.
func (g *chunkGrads) addTo(kernel, bias *Param) {
	addChunks(kernel.Grad.Data, g.dk.Data)
	addChunks(bias.Grad.Data, g.db.Data)
}

// addChunks adds the chunks' partial sums, parts[c*len(dst):(c+1)*len(dst)]
// for c = 0, 1, ..., into dst, as dst += ones * parts, a [1, chunks] x
// [chunks, len(dst)] product (in groups of len(ones) chunks): that sums
// each column in chunk order, whatever the thread count, with vector code.
func addChunks(dst, parts []float32) {
	w := len(dst)
	for c0 := 0; c0 < len(parts)/w; c0 += len(ones) {
		k := min(len(ones), len(parts)/w-c0)
		kernels.Sgemm(false, false, 1, w, k, 1, ones[:k], k, parts[c0*w:], w, 1, dst, w)
	}
}

// ones is a row of ones for addChunks.
var ones = func() (o [64]float32) {
	for i := range o {
		o[i] = 1
	}
	return o
}()
