package nn

// PLACEHOLDER: replaced by the real layer.

import (
	"math/rand/v2"

	"github.com/autoenc/autoenc/tensor"
)

type Reshape struct{}

func NewReshape(targetShape []int) *Reshape { return &Reshape{} }

func (l *Reshape) Build(in []int, rng *rand.Rand) ([]int, error)          { panic("not implemented") }
func (l *Reshape) Forward(x *tensor.Tensor, training bool) *tensor.Tensor { panic("not implemented") }
func (l *Reshape) Backward(dy *tensor.Tensor) *tensor.Tensor              { panic("not implemented") }
func (l *Reshape) Params() []*Param                                       { return nil }

type Flatten struct{}

func NewFlatten() *Flatten { return &Flatten{} }

func (l *Flatten) Build(in []int, rng *rand.Rand) ([]int, error)          { panic("not implemented") }
func (l *Flatten) Forward(x *tensor.Tensor, training bool) *tensor.Tensor { panic("not implemented") }
func (l *Flatten) Backward(dy *tensor.Tensor) *tensor.Tensor              { panic("not implemented") }
func (l *Flatten) Params() []*Param                                       { return nil }
