package nn

// PLACEHOLDER: replaced by the real layer.

import (
	"math/rand/v2"

	"github.com/autoenc/autoenc/tensor"
)

type Conv2DTranspose struct{}

func NewConv2DTranspose(filters, kernelSize, strides int, padding Padding, activation Activation) *Conv2DTranspose {
	return &Conv2DTranspose{}
}

func (l *Conv2DTranspose) Build(in []int, rng *rand.Rand) ([]int, error) { panic("not implemented") }
func (l *Conv2DTranspose) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	panic("not implemented")
}
func (l *Conv2DTranspose) Backward(dy *tensor.Tensor) *tensor.Tensor { panic("not implemented") }
func (l *Conv2DTranspose) Params() []*Param                          { return nil }
