package nn

// PLACEHOLDER: replaced by the real layer.

import (
	"math/rand/v2"

	"github.com/autoenc/autoenc/tensor"
)

type LSTM struct{}

func NewLSTM(units int, returnSequences bool) *LSTM { return &LSTM{} }

func (l *LSTM) Build(in []int, rng *rand.Rand) ([]int, error)          { panic("not implemented") }
func (l *LSTM) Forward(x *tensor.Tensor, training bool) *tensor.Tensor { panic("not implemented") }
func (l *LSTM) Backward(dy *tensor.Tensor) *tensor.Tensor              { panic("not implemented") }
func (l *LSTM) Params() []*Param                                       { return nil }
