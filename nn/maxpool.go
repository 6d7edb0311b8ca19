package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/autoenc/autoenc/internal/kernels"
	"github.com/autoenc/autoenc/tensor"
)

// MaxPool2D is Keras's max pooling over NHWC images with a square pool,
// stride equal to the pool size and VALID padding, so sizes floor (7 -> 3):
//
//	y[n][oy][ox][c] = max_{di,dj < p} x[n][oy*p+di][ox*p+dj][c]
//
// Backward sends each gradient to the input that won the max; on ties, the
// first in window order (row by row).
type MaxPool2D struct {
	pool int

	h, w, c, oh, ow int
	argmax          []int32 // per output element: index into x of the max
	inShape         [4]int
	y, dx           *tensor.Tensor
}

// NewMaxPool2D returns an unbuilt MaxPool2D with the given pool size.
func NewMaxPool2D(poolSize int) *MaxPool2D { return &MaxPool2D{pool: poolSize} }

// Build checks that input [h, w, c] holds at least one pool window.
func (l *MaxPool2D) Build(in []int, rng *rand.Rand) ([]int, error) {
	h, w, c, err := imageShape("MaxPool2D", in)
	if err != nil {
		return nil, err
	}
	if h < l.pool || w < l.pool {
		return nil, fmt.Errorf("MaxPool2D: input %dx%d is smaller than the %dx%d pool", h, w, l.pool, l.pool)
	}
	l.h, l.w, l.c = h, w, c
	l.oh, l.ow = h/l.pool, w/l.pool
	return []int{l.oh, l.ow, c}, nil
}

// Forward takes the max of every window and remembers where it was.
func (l *MaxPool2D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	if len(x.Shape) != 4 || x.Shape[1] != l.h || x.Shape[2] != l.w || x.Shape[3] != l.c {
		panic(fmt.Sprintf("nn: MaxPool2D built for [batch %d %d %d] got input %v", l.h, l.w, l.c, x.Shape))
	}
	if len(x.Data) > math.MaxInt32 {
		panic(fmt.Sprintf("nn: MaxPool2D input %v has more than 2^31-1 elements", x.Shape))
	}
	n, p, c := x.Shape[0], l.pool, l.c
	copy(l.inShape[:], x.Shape)
	l.y = tensor.Resize(l.y, n, l.oh, l.ow, c)
	if cap(l.argmax) < len(l.y.Data) {
		l.argmax = make([]int32, len(l.y.Data))
	}
	l.argmax = l.argmax[:len(l.y.Data)]
	kernels.MaxPool2D(l.y.Data, l.argmax, x.Data, n, p, kernels.ConvGeom{H: l.h, W: l.w, C: c})
	return l.y
}

// Backward routes dy to the inputs that were the maxima; dx is 0 elsewhere.
func (l *MaxPool2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.dx = tensor.Resize(l.dx, l.inShape[:]...)
	kernels.MaxPool2DBackward(l.dx.Data, dy.Data, l.argmax, l.inShape[0], l.pool, kernels.ConvGeom{H: l.h, W: l.w, C: l.c})
	return l.dx
}

// Params returns nil: pooling has no parameters.
func (l *MaxPool2D) Params() []*Param { return nil }
