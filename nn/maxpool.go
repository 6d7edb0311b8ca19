package nn

// PLACEHOLDER: replaced by the real layer.

import (
	"math/rand/v2"

	"github.com/autoenc/autoenc/tensor"
)

type MaxPool2D struct{}

func NewMaxPool2D(poolSize int) *MaxPool2D { return &MaxPool2D{} }

func (l *MaxPool2D) Build(in []int, rng *rand.Rand) ([]int, error)          { panic("not implemented") }
func (l *MaxPool2D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor { panic("not implemented") }
func (l *MaxPool2D) Backward(dy *tensor.Tensor) *tensor.Tensor              { panic("not implemented") }
func (l *MaxPool2D) Params() []*Param                                       { return nil }
