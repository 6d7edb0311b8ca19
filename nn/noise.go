package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoenc/autoenc/tensor"
)

// GaussianNoise is Keras's GaussianNoise: while training it adds zero-mean
// Gaussian noise of the given standard deviation, y = x + stddev*N(0, 1),
// drawn from the rng given to Build; at inference it is the identity. Its
// gradient is the identity either way.
type GaussianNoise struct {
	stddev float64

	rng *rand.Rand
	y   *tensor.Tensor
}

// NewGaussianNoise returns an unbuilt GaussianNoise layer.
func NewGaussianNoise(stddev float64) *GaussianNoise { return &GaussianNoise{stddev: stddev} }

// Build keeps rng for the noise; the shape passes through.
func (l *GaussianNoise) Build(in []int, rng *rand.Rand) ([]int, error) {
	if rng == nil {
		return nil, fmt.Errorf("GaussianNoise: needs a random source, got nil")
	}
	l.rng = rng
	return append([]int(nil), in...), nil
}

// Forward returns x + stddev*N(0, 1) when training, x itself otherwise.
func (l *GaussianNoise) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	if !training || l.stddev == 0 {
		return x
	}
	l.y = tensor.Resize(l.y, x.Shape...)
	for i, v := range x.Data {
		l.y.Data[i] = v + float32(l.stddev*l.rng.NormFloat64())
	}
	return l.y
}

// Backward returns dy: the noise does not depend on x.
func (l *GaussianNoise) Backward(dy *tensor.Tensor) *tensor.Tensor { return dy }

// Params returns nil: GaussianNoise has no parameters.
func (l *GaussianNoise) Params() []*Param { return nil }

// Dropout is Keras's (inverted) Dropout: while training each value is
// zeroed with probability rate and the kept ones are scaled by 1/(1-rate),
// so expectations match inference, where it is the identity. The mask,
// drawn from the rng given to Build, is kept for Backward.
type Dropout struct {
	rate float64

	rng     *rand.Rand
	mask    []float32 // 0 or 1/(1-rate) per value of the last training Forward
	dropped bool      // whether the last Forward applied the mask
	y, dx   *tensor.Tensor
}

// NewDropout returns an unbuilt Dropout layer.
func NewDropout(rate float64) *Dropout { return &Dropout{rate: rate} }

// Build keeps rng for the masks; the shape passes through.
func (l *Dropout) Build(in []int, rng *rand.Rand) ([]int, error) {
	if rng == nil {
		return nil, fmt.Errorf("Dropout: needs a random source, got nil")
	}
	l.rng = rng
	return append([]int(nil), in...), nil
}

// Forward returns x*mask when training, x itself otherwise. A value is kept
// when a uniform draw in [0, 1) is >= rate, as in Keras.
func (l *Dropout) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.dropped = training && l.rate > 0
	if !l.dropped {
		return x
	}
	if cap(l.mask) < len(x.Data) {
		l.mask = make([]float32, len(x.Data))
	}
	l.mask = l.mask[:len(x.Data)]
	scale := float32(1 / (1 - l.rate))
	l.y = tensor.Resize(l.y, x.Shape...)
	for i, v := range x.Data {
		m := float32(0)
		if l.rng.Float64() >= l.rate {
			m = scale
		}
		l.mask[i] = m
		l.y.Data[i] = v * m
	}
	return l.y
}

// Backward returns dx = dy*mask after a training Forward, dy otherwise.
func (l *Dropout) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.dropped {
		return dy
	}
	l.dx = tensor.Resize(l.dx, dy.Shape...)
	for i, g := range dy.Data {
		l.dx.Data[i] = g * l.mask[i]
	}
	return l.dx
}

// Params returns nil: Dropout has no parameters.
func (l *Dropout) Params() []*Param { return nil }
