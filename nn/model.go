package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoenc/autoenc/tensor"
)

// Model is a built network with its architecture and its random source.
// An autoencoder's top Sequential holds two children named "encoder" and
// "decoder"; Encoder and Decoder return them for use apart.
type Model struct {
	Spec Spec // Type "Sequential", with InputShape set
	// Net is the network. It does not compute the gradient with respect to
	// the model's input: Net.Backward accumulates every parameter's
	// gradient and returns nil, and the first parameterised layer leaves
	// out its dx (a GEMM, plus col2im for a convolution).
	Net *Sequential

	// PCG is the state behind RNG: initialisation, shuffling, noise and
	// dropout all draw from it, so a seed fixes a whole run.
	PCG *rand.PCG
	RNG *rand.Rand
}

// NewModel builds the architecture spec describes, initialising weights
// from seed.
func NewModel(spec Spec, seed uint64) (*Model, error) {
	if spec.Type != "Sequential" {
		return nil, fmt.Errorf("model spec must be a Sequential, got %q", spec.Type)
	}
	if len(spec.InputShape) == 0 {
		return nil, fmt.Errorf("model spec %q has no input_shape", spec.Name)
	}
	for _, d := range spec.InputShape {
		if d <= 0 {
			return nil, fmt.Errorf("model spec %q: input_shape %v must be positive", spec.Name, spec.InputShape)
		}
	}
	net, err := NewSequential(spec.Name, spec.Layers)
	if err != nil {
		return nil, err
	}
	pcg := rand.NewPCG(seed, 0x9e3779b97f4a7c15)
	rng := rand.New(pcg)
	if _, err := net.Build(spec.InputShape, rng); err != nil {
		return nil, err
	}
	// Nothing above the model uses dL/dinput: skip it.
	net.skipInputGrad()
	return &Model{Spec: spec, Net: net, PCG: pcg, RNG: rng}, nil
}

// Params returns all trainable parameters, named by path.
func (m *Model) Params() []*Param { return m.Net.Params() }

// Encoder returns the child named "encoder", or nil.
func (m *Model) Encoder() *Sequential { return m.Net.Sub("encoder") }

// Decoder returns the child named "decoder", or nil.
func (m *Model) Decoder() *Sequential { return m.Net.Sub("decoder") }

// Predict runs x ([batch, input shape...]) through the model in inference
// mode. The result is the model's own buffer: copy it to keep it.
func (m *Model) Predict(x *tensor.Tensor) *tensor.Tensor { return m.Net.Forward(x, false) }

// Param returns the parameter with the given path name, or nil.
func (m *Model) Param(name string) *Param {
	for _, p := range m.Params() {
		if p.Name == name {
			return p
		}
	}
	return nil
}
