package nn

// PLACEHOLDER: replaced by the real layer.

import (
	"math/rand/v2"

	"github.com/autoenc/autoenc/tensor"
)

type Conv2D struct{}

func NewConv2D(filters, kernelSize, strides int, padding Padding, activation Activation) *Conv2D {
	return &Conv2D{}
}

func (l *Conv2D) Build(in []int, rng *rand.Rand) ([]int, error)          { panic("not implemented") }
func (l *Conv2D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor { panic("not implemented") }
func (l *Conv2D) Backward(dy *tensor.Tensor) *tensor.Tensor              { panic("not implemented") }
func (l *Conv2D) Params() []*Param                                       { return nil }
