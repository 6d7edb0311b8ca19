package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoenc/autoenc/tensor"
)

// TimeDistributed is Keras's TimeDistributed wrapper: it applies one inner
// layer, with one set of parameters, to every time step of x [batch, T, ...].
// It runs the inner layer once on x viewed as [batch*T, ...] (a view, not a
// copy) and views the result as [batch, T, ...]. Its parameters are the inner
// layer's, under their own names ("kernel", "bias").
type TimeDistributed struct {
	inner Layer
	steps int // T, fixed by Build

	// Reused views and their shape buffers, so Forward and Backward do not allocate.
	xv, yv, dyv, dxv *tensor.Tensor
	xs, ys, dys, dxs []int
}

// NewTimeDistributed returns an unbuilt TimeDistributed around inner.
func NewTimeDistributed(inner Layer) *TimeDistributed { return &TimeDistributed{inner: inner} }

// Build takes in = [time, ...] and builds the inner layer on in[1:].
func (l *TimeDistributed) Build(in []int, rng *rand.Rand) ([]int, error) {
	if len(in) < 2 || in[0] <= 0 {
		return nil, fmt.Errorf("TimeDistributed: input must be [time, ...] with at least 2 dimensions, got %v", in)
	}
	out, err := l.inner.Build(in[1:], rng)
	if err != nil {
		return nil, fmt.Errorf("TimeDistributed: %w", err)
	}
	l.steps = in[0]
	return append([]int{in[0]}, out...), nil
}

// Params returns the inner layer's parameters.
func (l *TimeDistributed) Params() []*Param { return l.inner.Params() }

// Forward applies the inner layer to x [batch, T, ...] as [batch*T, ...].
func (l *TimeDistributed) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	if len(x.Shape) < 3 || x.Shape[1] != l.steps {
		panic(fmt.Sprintf("nn: TimeDistributed built for [batch, %d, ...] got input %v", l.steps, x.Shape))
	}
	l.xs = mergeFirst(l.xs, x.Shape)
	l.xv = tensor.View(l.xv, x, l.xs...)
	y := l.inner.Forward(l.xv, training)
	l.ys = splitFirst(l.ys, y.Shape, l.steps)
	l.yv = tensor.View(l.yv, y, l.ys...)
	return l.yv
}

// skipInputGrad passes the request on to the inner layer, if it can skip dx.
func (l *TimeDistributed) skipInputGrad() {
	if s, ok := l.inner.(inputGradSkipper); ok {
		s.skipInputGrad()
	}
}

// Backward runs the inner layer's Backward on dy [batch, T, ...] as [batch*T, ...].
func (l *TimeDistributed) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.dys = mergeFirst(l.dys, dy.Shape)
	l.dyv = tensor.View(l.dyv, dy, l.dys...)
	dx := l.inner.Backward(l.dyv)
	if dx == nil { // the inner layer skipped dx
		return nil
	}
	l.dxs = splitFirst(l.dxs, dx.Shape, l.steps)
	l.dxv = tensor.View(l.dxv, dx, l.dxs...)
	return l.dxv
}

// mergeFirst sets buf to shape with its first two axes merged: [a, b, ...] -> [a*b, ...].
func mergeFirst(buf, shape []int) []int {
	return append(append(buf[:0], shape[0]*shape[1]), shape[2:]...)
}

// splitFirst sets buf to shape with its first axis split: [a*t, ...] -> [a, t, ...].
func splitFirst(buf, shape []int, t int) []int {
	return append(append(buf[:0], shape[0]/t, t), shape[1:]...)
}
