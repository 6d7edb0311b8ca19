package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/autoenc/autoenc/tensor"
)

// Reshape is Keras's Reshape: the same values, row-major, under the target
// shape (batch dimension kept). Forward and Backward return views that share
// storage with their argument; nothing is copied.
type Reshape struct {
	target []int

	in       []int
	outShape []int // scratch: [batch, target...]
	inShape  []int // scratch: [batch, in...]
	y, dx    *tensor.Tensor
}

// NewReshape returns an unbuilt Reshape to targetShape (batch excluded).
func NewReshape(targetShape []int) *Reshape {
	return &Reshape{target: slices.Clone(targetShape)}
}

// Build checks that the target shape holds as many values as the input.
func (l *Reshape) Build(in []int, rng *rand.Rand) ([]int, error) {
	if tensor.Numel(in) != tensor.Numel(l.target) {
		return nil, fmt.Errorf("Reshape: cannot reshape input %v (%d values) to %v (%d values)",
			in, tensor.Numel(in), l.target, tensor.Numel(l.target))
	}
	l.in = slices.Clone(in)
	l.outShape = append([]int{0}, l.target...)
	l.inShape = append([]int{0}, in...)
	return slices.Clone(l.target), nil
}

// Forward views x [batch, in...] as [batch, target...].
func (l *Reshape) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.outShape[0] = batchOf(x, tensor.Numel(l.in))
	l.y = tensor.View(l.y, x, l.outShape...)
	return l.y
}

// Backward views dy [batch, target...] as [batch, in...].
func (l *Reshape) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.inShape[0] = batchOf(dy, tensor.Numel(l.in))
	l.dx = tensor.View(l.dx, dy, l.inShape...)
	return l.dx
}

// Params returns nil: Reshape has no parameters.
func (l *Reshape) Params() []*Param { return nil }

// batchOf is the batch size of t, whose samples hold per values each.
func batchOf(t *tensor.Tensor, per int) int {
	if len(t.Shape) == 0 || t.Shape[0]*per != len(t.Data) {
		panic(fmt.Sprintf("nn: expected [batch, ...] with %d values per sample, got %v", per, t.Shape))
	}
	return t.Shape[0]
}

// Flatten is Keras's Flatten: [batch, d1, d2, ...] -> [batch, d1*d2*...],
// as a view sharing storage with its argument.
type Flatten struct {
	in       []int
	outShape [2]int
	inShape  []int // scratch: [batch, in...]
	y, dx    *tensor.Tensor
}

// NewFlatten returns an unbuilt Flatten.
func NewFlatten() *Flatten { return &Flatten{} }

// Build returns [prod(in)].
func (l *Flatten) Build(in []int, rng *rand.Rand) ([]int, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("Flatten: input must have at least one dimension besides the batch, got %v", in)
	}
	l.in = slices.Clone(in)
	l.inShape = append([]int{0}, in...)
	return []int{tensor.Numel(in)}, nil
}

// Forward views x [batch, in...] as [batch, prod(in)].
func (l *Flatten) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	per := tensor.Numel(l.in)
	l.outShape = [2]int{batchOf(x, per), per}
	l.y = tensor.View(l.y, x, l.outShape[:]...)
	return l.y
}

// Backward views dy [batch, prod(in)] as [batch, in...].
func (l *Flatten) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.inShape[0] = batchOf(dy, tensor.Numel(l.in))
	l.dx = tensor.View(l.dx, dy, l.inShape...)
	return l.dx
}

// Params returns nil: Flatten has no parameters.
func (l *Flatten) Params() []*Param { return nil }
