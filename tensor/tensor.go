// Package tensor holds Tensor, a dense row-major float32 array, and shape helpers.
//
// Layers keep their tensors between steps and resize them in place with
// Resize, so a training loop in steady state allocates nothing.
package tensor

import "fmt"

// Tensor is a dense, row-major float32 array. Shape includes the batch
// dimension where there is one: images are [batch, h, w, c], sequences
// [batch, time, features].
type Tensor struct {
	Shape []int
	Data  []float32
}

// New returns a zeroed tensor of the given shape.
func New(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, Numel(shape))}
}

// FromData wraps data (not copied) in a tensor of the given shape.
// It panics if the sizes disagree: that is a programmer error.
func FromData(data []float32, shape ...int) *Tensor {
	if Numel(shape) != len(data) {
		panic(fmt.Sprintf("tensor: %d values do not fill shape %v", len(data), shape))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}
}

// Numel is the number of elements of a shape: the product of its dimensions.
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len is the number of elements of t.
func (t *Tensor) Len() int { return len(t.Data) }

// Resize returns t reshaped to shape, reusing t's storage when it is large
// enough and allocating otherwise (t may be nil). Contents are unspecified.
// It does not allocate when t already has room and a shape of the same rank.
func Resize(t *Tensor, shape ...int) *Tensor {
	n := Numel(shape)
	if t == nil {
		return New(shape...)
	}
	if cap(t.Data) < n {
		t.Data = make([]float32, n)
	}
	t.Data = t.Data[:n]
	if len(t.Shape) == len(shape) {
		copy(t.Shape, shape)
	} else {
		t.Shape = append(t.Shape[:0], shape...)
	}
	return t
}

// View sets v to share src's data under a new shape, allocating v if nil,
// and returns v. The element counts must agree.
func View(v, src *Tensor, shape ...int) *Tensor {
	if Numel(shape) != len(src.Data) {
		panic(fmt.Sprintf("tensor: cannot view %v as %v", src.Shape, shape))
	}
	if v == nil {
		v = &Tensor{}
	}
	v.Data = src.Data
	if len(v.Shape) == len(shape) {
		copy(v.Shape, shape)
	} else {
		v.Shape = append(v.Shape[:0], shape...)
	}
	return v
}

// Zero sets every element to 0.
func (t *Tensor) Zero() { clear(t.Data) }

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Rows returns the rows of a [n, ...] tensor from i to j as a view sharing data.
func (t *Tensor) Rows(i, j int) *Tensor {
	per := 1
	for _, d := range t.Shape[1:] {
		per *= d
	}
	shape := append([]int{j - i}, t.Shape[1:]...)
	return &Tensor{Shape: shape, Data: t.Data[i*per : j*per]}
}
