package nn

// PLACEHOLDER: replaced by the real layer.

import (
	"math/rand/v2"

	"github.com/autoenc/autoenc/tensor"
)

type TimeDistributed struct{}

func NewTimeDistributed(inner Layer) *TimeDistributed { return &TimeDistributed{} }

func (l *TimeDistributed) Build(in []int, rng *rand.Rand) ([]int, error) { panic("not implemented") }
func (l *TimeDistributed) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	panic("not implemented")
}
func (l *TimeDistributed) Backward(dy *tensor.Tensor) *tensor.Tensor { panic("not implemented") }
func (l *TimeDistributed) Params() []*Param                          { return nil }
