package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoenc/autoenc/internal/kernels"
	"github.com/autoenc/autoenc/tensor"
)

// Dense is Keras's fully connected layer, y = f(x*kernel + bias). It acts on
// the last axis: x [batch, ..., in] is treated as a [rows, in] matrix, so a
// sequence [batch, time, in] maps every time step (TimeDistributed(Dense)).
//
// Parameters: kernel [in, units] (glorot_uniform, fan_in = in,
// fan_out = units) and bias [units] (zeros).
type Dense struct {
	units      int
	activation Activation

	in           int
	kernel, bias *Param

	x      *tensor.Tensor // last input, kept for dK
	y, dx  *tensor.Tensor
	yShape []int // scratch: x's shape with the last axis set to units

	noDx bool // Backward skips dx (first layer of a Model)
}

// NewDense returns an unbuilt Dense layer of the given width and activation.
func NewDense(units int, activation Activation) *Dense {
	return &Dense{units: units, activation: activation}
}

// Build creates kernel [in, units] and bias [units] for input [..., in].
func (l *Dense) Build(in []int, rng *rand.Rand) ([]int, error) {
	if len(in) == 0 || in[len(in)-1] <= 0 {
		return nil, fmt.Errorf("Dense: input must be [..., features] with features > 0, got %v", in)
	}
	l.in = in[len(in)-1]
	l.kernel = newParam("kernel", l.in, l.units)
	l.bias = newParam("bias", l.units)
	glorotUniform(rng, l.kernel.Value.Data, l.in, l.units)
	out := append([]int(nil), in...)
	out[len(out)-1] = l.units
	return out, nil
}

// Forward computes y = f(x*kernel + bias) row by row.
func (l *Dense) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	if len(x.Shape) < 2 || x.Shape[len(x.Shape)-1] != l.in {
		panic(fmt.Sprintf("nn: Dense built for %d features got input %v", l.in, x.Shape))
	}
	rows := len(x.Data) / l.in
	l.yShape = append(l.yShape[:0], x.Shape...)
	l.yShape[len(l.yShape)-1] = l.units
	l.y = tensor.Resize(l.y, l.yShape...)
	l.x = x
	// y = x*kernel: [rows, in] x [in, units].
	kernels.Sgemm(false, false, rows, l.units, l.in, 1, x.Data, l.in, l.kernel.Value.Data, l.units, 0, l.y.Data, l.units)
	l.activation.BiasApply(l.y.Data, l.bias.Value.Data) // y = f(y + bias)
	return l.y
}

func (l *Dense) skipInputGrad() { l.noDx = true }

// Backward turns dy into dz = dL/d(x*kernel+bias) in place, accumulates the
// parameter gradients and returns dx (nil once skipInputGrad was called).
func (l *Dense) Backward(dy *tensor.Tensor) *tensor.Tensor {
	rows := len(dy.Data) / l.units
	dz := dy.Data
	l.activation.Backward(dz, l.y.Data) // dz = dy * f'(z)
	// dkernel += x^T dz: [in, rows] x [rows, units].
	kernels.Sgemm(true, false, l.in, l.units, rows, 1, l.x.Data, l.in, dz, l.units, 1, l.kernel.Grad.Data, l.units)
	// dbias += sum over rows of dz.
	sumRows(l.bias.Grad.Data, dz)
	if l.noDx {
		return nil
	}
	// dx = dz kernel^T: [rows, units] x [units, in].
	l.dx = tensor.Resize(l.dx, l.x.Shape...)
	kernels.Sgemm(false, true, rows, l.in, l.units, 1, dz, l.units, l.kernel.Value.Data, l.units, 0, l.dx.Data, l.in)
	return l.dx
}

// Params returns kernel and bias, or nil before Build.
func (l *Dense) Params() []*Param {
	if l.kernel == nil {
		return nil
	}
	return []*Param{l.kernel, l.bias}
}

// sumRows adds every row of the row-major matrix dz (rows len(db) wide) into db:
// the bias gradient db += sum_r dz[r].
func sumRows(db, dz []float32) { kernels.SumRows(db, dz) }
