package nn

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/autoenc/autoenc/tensor"
)

// Sequential runs layers one after another. It is itself a Layer, so
// Sequentials nest: an autoencoder is Sequential{encoder, decoder}, and its
// encoder and decoder can be used apart.
type Sequential struct {
	Name   string
	Layers []Layer
	Specs  []Spec // Specs[i] describes Layers[i]

	inShape   []int
	outShapes [][]int // per layer, without the batch dimension
	params    []*Param

	// stop is the index of the first layer Backward runs, and 0 unless
	// skipInputGrad was called: then it is the first parameterised layer,
	// and the weightless layers before it (Reshape, Flatten, noise) get no
	// backward pass at all.
	stop int
	noDx bool
}

// NewSequential returns an unbuilt Sequential named name over layers and
// the specs that describe them.
func NewSequential(name string, specs []Spec) (*Sequential, error) {
	s := &Sequential{Name: name, Specs: specs}
	for i, sp := range specs {
		l, err := FromSpec(sp)
		if err != nil {
			return nil, fmt.Errorf("%s layer %d: %w", s.label(), i, err)
		}
		s.Layers = append(s.Layers, l)
	}
	return s, nil
}

func newSequentialFromSpec(s Spec) (Layer, error) {
	if len(s.Layers) == 0 {
		return nil, fmt.Errorf("Sequential %q has no layers", s.Name)
	}
	return NewSequential(s.Name, s.Layers)
}

func (s *Sequential) label() string {
	if s.Name == "" {
		return "sequential"
	}
	return strconv.Quote(s.Name)
}

// Build builds every layer in turn and names their parameters by path:
// a child Sequential's own name, or the layer's index ("encoder.0.kernel").
func (s *Sequential) Build(in []int, rng *rand.Rand) ([]int, error) {
	s.inShape = append([]int(nil), in...)
	s.outShapes = s.outShapes[:0]
	s.params = s.params[:0]
	shape := in
	for i, l := range s.Layers {
		out, err := l.Build(shape, rng)
		if err != nil {
			return nil, fmt.Errorf("%s layer %d (%s) with input shape %v: %w", s.label(), i, s.Specs[i].Type, shape, err)
		}
		prefix := strconv.Itoa(i)
		if sub, ok := l.(*Sequential); ok && sub.Name != "" {
			prefix = sub.Name
		}
		for _, p := range l.Params() {
			p.Name = prefix + "." + p.Name
			s.params = append(s.params, p)
		}
		s.outShapes = append(s.outShapes, append([]int(nil), out...))
		shape = out
	}
	return append([]int(nil), shape...), nil
}

// Forward runs x through every layer.
func (s *Sequential) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	for _, l := range s.Layers {
		x = l.Forward(x, training)
	}
	return x
}

// Backward runs dy back through every layer, last first, and returns dx;
// after skipInputGrad it stops at the first parameterised layer, which
// leaves out its own dx, and returns nil.
func (s *Sequential) Backward(dy *tensor.Tensor) *tensor.Tensor {
	for i := len(s.Layers) - 1; i >= s.stop; i-- {
		dy = s.Layers[i].Backward(dy)
	}
	if s.noDx {
		return nil
	}
	return dy
}

// skipInputGrad makes Backward leave out dL/dx, which only a caller above
// the network could use: it stops at the first layer that has parameters
// and asks that layer, if it can (inputGradSkipper), to skip its own dx.
// For an autoencoder that layer is inside the encoder, which is told in
// turn. The parameter gradients are unchanged. It must follow Build.
func (s *Sequential) skipInputGrad() {
	s.noDx = true
	s.stop = len(s.Layers)
	for i, l := range s.Layers {
		if len(l.Params()) == 0 {
			continue
		}
		s.stop = i
		if sk, ok := l.(inputGradSkipper); ok {
			sk.skipInputGrad()
		}
		return
	}
}

// Params returns every layer's parameters, in layer order.
func (s *Sequential) Params() []*Param { return s.params }

// InputShape is the shape Build was given, without the batch dimension.
func (s *Sequential) InputShape() []int { return s.inShape }

// OutputShape is the shape of the last layer's output, without the batch dimension.
func (s *Sequential) OutputShape() []int {
	if len(s.outShapes) == 0 {
		return s.inShape
	}
	return s.outShapes[len(s.outShapes)-1]
}

// Sub returns the child Sequential with the given name, or nil.
func (s *Sequential) Sub(name string) *Sequential {
	for _, l := range s.Layers {
		if sub, ok := l.(*Sequential); ok && sub.Name == name {
			return sub
		}
	}
	return nil
}
