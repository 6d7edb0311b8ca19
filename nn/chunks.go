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
