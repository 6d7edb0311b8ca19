package nn

// PLACEHOLDER: replaced by the real layer.

import (
	"math/rand/v2"

	"github.com/autoenc/autoenc/tensor"
)

type GaussianNoise struct{}

func NewGaussianNoise(stddev float64) *GaussianNoise { return &GaussianNoise{} }

func (l *GaussianNoise) Build(in []int, rng *rand.Rand) ([]int, error) { panic("not implemented") }
func (l *GaussianNoise) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	panic("not implemented")
}
func (l *GaussianNoise) Backward(dy *tensor.Tensor) *tensor.Tensor { panic("not implemented") }
func (l *GaussianNoise) Params() []*Param                          { return nil }

type Dropout struct{}

func NewDropout(rate float64) *Dropout { return &Dropout{} }

func (l *Dropout) Build(in []int, rng *rand.Rand) ([]int, error)          { panic("not implemented") }
func (l *Dropout) Forward(x *tensor.Tensor, training bool) *tensor.Tensor { panic("not implemented") }
func (l *Dropout) Backward(dy *tensor.Tensor) *tensor.Tensor              { panic("not implemented") }
func (l *Dropout) Params() []*Param                                       { return nil }
