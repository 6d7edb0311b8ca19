package nn

import (
	"math/rand/v2"

	"github.com/autoenc/autoenc/tensor"
)

// Layer is one step of a network with its own forward and backward pass.
//
// Shapes passed to Build exclude the batch dimension; tensors passed to
// Forward and Backward include it as their first dimension. A layer owns its
// output and gradient buffers and reuses them from step to step, so a caller
// must not keep a returned tensor past the next call.
type Layer interface {
	// Build checks the input shape, creates the parameters with Keras's
	// initialisers drawn from rng, and returns the output shape. Layers that
	// need randomness while training (noise, dropout) keep rng.
	Build(in []int, rng *rand.Rand) ([]int, error)
	// Forward computes the output for x and saves what Backward needs.
	Forward(x *tensor.Tensor, training bool) *tensor.Tensor
	// Backward takes dL/dy for the last Forward, adds dL/dparam into each
	// parameter's Grad, and returns dL/dx. It may overwrite dy.
	Backward(dy *tensor.Tensor) *tensor.Tensor
	// Params returns the trainable parameters, in a fixed order.
	Params() []*Param
}

// inputGradSkipper is implemented by layers whose Backward can leave out
// dL/dx, and then return nil, when nothing upstream needs it. A Model turns
// this on for its first parameterised layer only (see
// Sequential.skipInputGrad): the input gradient of the first layer is the
// largest piece of wasted work in a training step (a GEMM, plus col2im for
// Conv2D). Layers built on their own, or in a bare Sequential, always
// compute dx.
type inputGradSkipper interface {
	// skipInputGrad makes every later Backward skip dL/dx and return nil.
	skipInputGrad()
}

// Param is a trainable tensor and its gradient, which Backward accumulates
// into and the optimizer clears.
type Param struct {
	// Name is the layer-local name ("kernel", "bias", "recurrent_kernel"),
	// prefixed with its path ("encoder.0.kernel") once a Sequential builds it.
	Name  string
	Value *tensor.Tensor
	Grad  *tensor.Tensor
}

func newParam(name string, shape ...int) *Param {
	return &Param{Name: name, Value: tensor.New(shape...), Grad: tensor.New(shape...)}
}

// CountParams is the number of trainable scalars in params.
func CountParams(params []*Param) int {
	n := 0
	for _, p := range params {
		n += p.Value.Len()
	}
	return n
}
