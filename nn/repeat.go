package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoenc/autoenc/tensor"
)

// RepeatVector is Keras's RepeatVector: it repeats each input vector n times
// along a new time axis, [batch, f] -> [batch, n, f]:
//
//	y[b, k, :] = x[b, :]          for k = 0..n-1
//	dx[b, :]   = Σ_k dy[b, k, :]
type RepeatVector struct {
	n        int
	features int // f, fixed by Build

	y, dx *tensor.Tensor
}

// NewRepeatVector returns an unbuilt RepeatVector that makes n copies.
func NewRepeatVector(n int) *RepeatVector { return &RepeatVector{n: n} }

// Build takes in = [features].
func (l *RepeatVector) Build(in []int, rng *rand.Rand) ([]int, error) {
	if len(in) != 1 || in[0] <= 0 {
		return nil, fmt.Errorf("RepeatVector: input must be [features], got %v", in)
	}
	if l.n <= 0 {
		return nil, fmt.Errorf("RepeatVector: n must be positive, got %d", l.n)
	}
	l.features = in[0]
	return []int{l.n, l.features}, nil
}

// Params returns nil: RepeatVector has no parameters.
func (l *RepeatVector) Params() []*Param { return nil }

// Forward copies each row of x [batch, f] n times.
func (l *RepeatVector) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	f := l.features
	if len(x.Shape) != 2 || x.Shape[1] != f {
		panic(fmt.Sprintf("nn: RepeatVector built for [batch, %d] got input %v", f, x.Shape))
	}
	nb := x.Shape[0]
	l.y = tensor.Resize(l.y, nb, l.n, f)
	for b := 0; b < nb; b++ {
		row := x.Data[b*f : (b+1)*f]
		for k := 0; k < l.n; k++ {
			copy(l.y.Data[(b*l.n+k)*f:], row) // y[b, k, :] = x[b, :]
		}
	}
	return l.y
}

// Backward sums dy [batch, n, f] over its n copies.
func (l *RepeatVector) Backward(dy *tensor.Tensor) *tensor.Tensor {
	f := l.features
	nb := len(dy.Data) / (l.n * f)
	l.dx = tensor.Resize(l.dx, nb, f)
	for b := 0; b < nb; b++ {
		dx := l.dx.Data[b*f : (b+1)*f]
		copy(dx, dy.Data[b*l.n*f:])
		for k := 1; k < l.n; k++ {
			for j, v := range dy.Data[(b*l.n+k)*f : (b*l.n+k+1)*f] {
				dx[j] += v // dx[b, :] = Σ_k dy[b, k, :]
			}
		}
	}
	return l.dx
}
