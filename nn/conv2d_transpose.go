package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoenc/autoenc/internal/kernels"
	"github.com/autoenc/autoenc/tensor"
)

// Conv2DTranspose is Keras's transposed convolution over NHWC images: the
// input gradient of a Conv2D whose input has this layer's output size.
// Every input pixel scatters its kernel-weighted values over a k x k window:
//
//	y[n][i*s+di-pad][j*s+dj-pad][f] += x[n][i][j][c] * kernel[di][dj][f][c]
//
// then y = act(y + bias), dropping what falls outside the output.
// Output size: VALID in*s + max(k-s, 0) (that is (in-1)*s + k for k >= s),
// SAME in*s. pad is TensorFlow's: that of the forward SAME convolution from
// the output size back to the input size, max((in-1)*s + k - out, 0)/2. For
// k = 3, s = 2, SAME it is 0: of the 2n+1 rows the window reaches,
// TensorFlow keeps the first 2n (PyTorch's padding=1, output_padding=1
// would keep the last 2n).
//
// It runs as one GEMM col = x*kernel^T, [batch*h*w, cin] x [cin, k*k*filters],
// then Col2im of col into y.
//
// Parameters: kernel [k, k, filters, cin] (Keras's layout; glorot_uniform
// with Keras's fans for that shape, fan_in = k*k*filters,
// fan_out = k*k*cin) and bias [filters] (zeros).
type Conv2DTranspose struct {
	filters, kernelSize, strides int
	padding                      Padding
	activation                   Activation

	cin int
	// g is the geometry of the matching forward convolution, from the
	// output [OH', OW', filters] (g.H, g.W, g.C) to the input (g.OH, g.OW).
	g kernels.ConvGeom

	chunkedConv // buffers, Backward and Params
}

// NewConv2DTranspose returns an unbuilt Conv2DTranspose with square kernels
// and strides.
func NewConv2DTranspose(filters, kernelSize, strides int, padding Padding, activation Activation) *Conv2DTranspose {
	return &Conv2DTranspose{filters: filters, kernelSize: kernelSize, strides: strides, padding: padding, activation: activation}
}

// deconvOut is Keras's output size of a transposed convolution (its
// deconv_output_length without output_padding) and TensorFlow's leading
// padding for it.
func deconvOut(in, k, s int, p Padding) (out, pad int) {
	if p == Same {
		out = in * s
	} else {
		out = in*s + max(k-s, 0)
	}
	return out, max((in-1)*s+k-out, 0) / 2
}

// Build creates the kernel and bias for input [h, w, cin].
func (l *Conv2DTranspose) Build(in []int, rng *rand.Rand) ([]int, error) {
	h, w, c, err := imageShape("Conv2DTranspose", in)
	if err != nil {
		return nil, err
	}
	k, s := l.kernelSize, l.strides
	oh, padTop := deconvOut(h, k, s, l.padding)
	ow, padLeft := deconvOut(w, k, s, l.padding)
	l.cin = c
	l.g = kernels.ConvGeom{H: oh, W: ow, C: l.filters, K: k, S: s, PadTop: padTop, PadLeft: padLeft, OH: h, OW: w}
	l.kernel = newParam("kernel", k, k, l.filters, c)
	l.bias = newParam("bias", l.filters)
	glorotUniform(rng, l.kernel.Value.Data, k*k*l.filters, k*k*c)
	l.fwd.run, l.bwd.run = l.forwardChunk, l.backwardChunk
	return []int{oh, ow, l.filters}, nil
}

func (l *Conv2DTranspose) checkInput(x *tensor.Tensor) {
	g := l.g
	if len(x.Shape) != 4 || x.Shape[1] != g.OH || x.Shape[2] != g.OW || x.Shape[3] != l.cin {
		panic(fmt.Sprintf("nn: Conv2DTranspose built for [batch %d %d %d] got input %v", g.OH, g.OW, l.cin, x.Shape))
	}
}

// Forward computes y = act(col2im(x*kernel^T) + bias), chunk by chunk
// (see imageChunk).
func (l *Conv2DTranspose) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.checkInput(x)
	g, n := l.g, x.Shape[0]
	return l.forward(x, n*g.OH*g.OW, g.ColCols(), n, g.H, g.W, l.filters)
}

// forwardChunk is Forward on images [i0, i1).
func (l *Conv2DTranspose) forwardChunk(_, i0, i1 int) {
	g := l.g
	pix, kkf := g.OH*g.OW, g.ColCols()
	r0, r1 := i0*pix, i1*pix
	col := l.col.Data[r0*kkf : r1*kkf]
	// col = x*kernel^T: [rows, cin] x [cin, k*k*filters].
	kernels.Sgemm(false, true, r1-r0, kkf, l.cin, 1, l.x.Data[r0*l.cin:r1*l.cin], l.cin, l.kernel.Value.Data, l.cin, 0, col, kkf)
	img := g.H * g.W * g.C
	y := l.y.Data[i0*img : i1*img]
	kernels.Col2im(y, col, i1-i0, g)
	l.activation.BiasApply(y, l.bias.Value.Data) // y = f(y + bias)
}

// backwardChunk is Backward on images [i0, i1), chunk c: it writes the
// chunk's weight gradients into l.grads.chunk(c).
func (l *Conv2DTranspose) backwardChunk(c, i0, i1 int) {
	dk, db := l.grads.chunk(c)
	g := l.g
	pix, kkf := g.OH*g.OW, g.ColCols()
	r0, r1 := i0*pix, i1*pix
	rows := r1 - r0
	img := g.H * g.W * g.C
	dz := l.dy.Data[i0*img : i1*img]
	l.activation.Backward(dz, l.y.Data[i0*img:i1*img]) // dz = dy * f'(z)
	// dbias_c = sum over the chunk's output pixels of dz.
	clear(db)
	sumRows(db, dz)
	// dcol = im2col(dz): the gradient of every scattered value.
	dcol := l.col.Data[r0*kkf : r1*kkf]
	kernels.Im2col(dcol, dz, i1-i0, g)
	// dkernel_c = dcol^T x: [k*k*filters, rows] x [rows, cin].
	x := l.x.Data[r0*l.cin : r1*l.cin]
	kernels.Sgemm(true, false, kkf, l.cin, rows, 1, dcol, kkf, x, l.cin, 0, dk, l.cin)
	if l.noDx {
		return
	}
	// dx = dcol kernel: [rows, k*k*filters] x [k*k*filters, cin].
	kernels.Sgemm(false, false, rows, l.cin, kkf, 1, dcol, kkf, l.kernel.Value.Data, l.cin, 0, l.dx.Data[r0*l.cin:r1*l.cin], l.cin)
}
