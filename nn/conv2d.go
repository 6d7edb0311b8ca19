package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoenc/autoenc/internal/kernels"
	"github.com/autoenc/autoenc/tensor"
)

// Conv2D is Keras's 2-D convolution over NHWC images:
//
//	y[n][oy][ox][f] = act(bias[f] + sum_{di,dj,c} x[n][oy*s+di-pad][ox*s+dj-pad][c] * kernel[di][dj][c][f])
//
// with zeros outside the image. It runs as im2col into col
// [batch*oh*ow, k*k*cin] and one GEMM with the kernel seen as a
// [k*k*cin, filters] matrix.
//
// Parameters: kernel [k, k, cin, filters] (glorot_uniform, fan_in = k*k*cin,
// fan_out = k*k*filters) and bias [filters] (zeros).
type Conv2D struct {
	filters, kernelSize, strides int
	padding                      Padding
	activation                   Activation

	g kernels.ConvGeom // input [H, W, C] -> output [OH, OW, filters]

	chunkedConv // buffers, Backward and Params
}

// NewConv2D returns an unbuilt Conv2D with square kernels and strides.
func NewConv2D(filters, kernelSize, strides int, padding Padding, activation Activation) *Conv2D {
	return &Conv2D{filters: filters, kernelSize: kernelSize, strides: strides, padding: padding, activation: activation}
}

// convOut is TensorFlow's output size and leading padding for a convolution
// of window k and stride s along an axis of size in:
//
//	SAME:  out = ceil(in/s), pad = max((out-1)*s + k - in, 0) / 2 (the rest after)
//	VALID: out = (in-k)/s + 1, pad = 0
//
// ok is false if a VALID window does not fit.
func convOut(in, k, s int, p Padding) (out, pad int, ok bool) {
	if p == Same {
		out = (in + s - 1) / s
		return out, max((out-1)*s+k-in, 0) / 2, true
	}
	if in < k {
		return 0, 0, false
	}
	return (in-k)/s + 1, 0, true
}

// imageShape checks that in is [h, w, channels] with positive sizes.
func imageShape(layer string, in []int) (h, w, c int, err error) {
	if len(in) != 3 || in[0] <= 0 || in[1] <= 0 || in[2] <= 0 {
		return 0, 0, 0, fmt.Errorf("%s: input must be [h, w, channels], got %v", layer, in)
	}
	return in[0], in[1], in[2], nil
}

// Build creates the kernel and bias for input [h, w, cin].
func (l *Conv2D) Build(in []int, rng *rand.Rand) ([]int, error) {
	h, w, c, err := imageShape("Conv2D", in)
	if err != nil {
		return nil, err
	}
	k, s := l.kernelSize, l.strides
	oh, padTop, okH := convOut(h, k, s, l.padding)
	ow, padLeft, okW := convOut(w, k, s, l.padding)
	if !okH || !okW {
		return nil, fmt.Errorf("Conv2D: input %dx%d is smaller than the %dx%d kernel with padding %q", h, w, k, k, l.padding)
	}
	l.g = kernels.ConvGeom{H: h, W: w, C: c, K: k, S: s, PadTop: padTop, PadLeft: padLeft, OH: oh, OW: ow}
	l.kernel = newParam("kernel", k, k, c, l.filters)
	l.bias = newParam("bias", l.filters)
	glorotUniform(rng, l.kernel.Value.Data, k*k*c, k*k*l.filters)
	l.fwd.run, l.bwd.run = l.forwardChunk, l.backwardChunk
	return []int{oh, ow, l.filters}, nil
}

func (l *Conv2D) checkInput(x *tensor.Tensor) {
	g := l.g
	if len(x.Shape) != 4 || x.Shape[1] != g.H || x.Shape[2] != g.W || x.Shape[3] != g.C {
		panic(fmt.Sprintf("nn: Conv2D built for [batch %d %d %d] got input %v", g.H, g.W, g.C, x.Shape))
	}
}

// Forward computes y = act(im2col(x)*kernel + bias), chunk by chunk
// (see imageChunk).
func (l *Conv2D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.checkInput(x)
	g, n := l.g, x.Shape[0]
	return l.forward(x, n*g.OH*g.OW, g.ColCols(), n, g.OH, g.OW, l.filters)
}

// forwardChunk is Forward on images [i0, i1).
func (l *Conv2D) forwardChunk(_, i0, i1 int) {
	g := l.g
	pix, kkc := g.OH*g.OW, g.ColCols()
	r0, r1 := i0*pix, i1*pix
	col := l.col.Data[r0*kkc : r1*kkc]
	y := l.y.Data[r0*l.filters : r1*l.filters]
	img := g.H * g.W * g.C
	kernels.Im2col(col, l.x.Data[i0*img:i1*img], i1-i0, g)
	// y = col*kernel: [rows, k*k*cin] x [k*k*cin, filters].
	kernels.Sgemm(false, false, r1-r0, l.filters, kkc, 1, col, kkc, l.kernel.Value.Data, l.filters, 0, y, l.filters)
	l.activation.BiasApply(y, l.bias.Value.Data) // y = f(y + bias)
}

// backwardChunk is Backward on images [i0, i1), chunk c: it writes the
// chunk's weight gradients into l.grads.chunk(c).
func (l *Conv2D) backwardChunk(c, i0, i1 int) {
	dk, db := l.grads.chunk(c)
	g := l.g
	pix, kkc := g.OH*g.OW, g.ColCols()
	r0, r1 := i0*pix, i1*pix
	rows := r1 - r0
	col := l.col.Data[r0*kkc : r1*kkc]
	dz := l.dy.Data[r0*l.filters : r1*l.filters]
	l.activation.Backward(dz, l.y.Data[r0*l.filters:r1*l.filters]) // dz = dy * f'(z)
	// dkernel_c = col^T dz: [k*k*cin, rows] x [rows, filters].
	kernels.Sgemm(true, false, kkc, l.filters, rows, 1, col, kkc, dz, l.filters, 0, dk, l.filters)
	// dbias_c = sum over the chunk's output pixels of dz.
	clear(db)
	sumRows(db, dz)
	if l.noDx {
		return
	}
	// dcol = dz kernel^T: [rows, filters] x [filters, k*k*cin], over col
	// (no longer needed).
	kernels.Sgemm(false, true, rows, kkc, l.filters, 1, dz, l.filters, l.kernel.Value.Data, l.filters, 0, col, kkc)
	// dx = col2im(dcol): each input pixel sums the taps that read it.
	img := g.H * g.W * g.C
	kernels.Col2im(l.dx.Data[i0*img:i1*img], col, i1-i0, g)
}
