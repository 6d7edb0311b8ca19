package nn

// PLACEHOLDER: replaced by the real layer.

import (
	"math/rand/v2"

	"github.com/autoenc/autoenc/tensor"
)

type Dense struct{}

func NewDense(units int, activation Activation) *Dense { return &Dense{} }

func (l *Dense) Build(in []int, rng *rand.Rand) ([]int, error)          { panic("not implemented") }
func (l *Dense) Forward(x *tensor.Tensor, training bool) *tensor.Tensor { panic("not implemented") }
func (l *Dense) Backward(dy *tensor.Tensor) *tensor.Tensor              { panic("not implemented") }
func (l *Dense) Params() []*Param                                       { return nil }
