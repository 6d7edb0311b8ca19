package nn

// PLACEHOLDER: replaced by the real layer.

import (
	"math/rand/v2"

	"github.com/autoenc/autoenc/tensor"
)

type RepeatVector struct{}

func NewRepeatVector(n int) *RepeatVector { return &RepeatVector{} }

func (l *RepeatVector) Build(in []int, rng *rand.Rand) ([]int, error) { panic("not implemented") }
func (l *RepeatVector) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	panic("not implemented")
}
func (l *RepeatVector) Backward(dy *tensor.Tensor) *tensor.Tensor { panic("not implemented") }
func (l *RepeatVector) Params() []*Param                          { return nil }
