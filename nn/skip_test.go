package nn

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/autoenc/autoenc/tensor"
)

// TestModelSkipsInputGrad checks that a Model, whose first parameterised
// layer skips dL/dx, accumulates exactly (bit for bit) the parameter
// gradients of the same network as a bare Sequential, which computes dx,
// and that its Backward returns nil where the bare one returns dx.
func TestModelSkipsInputGrad(t *testing.T) {
	dense := func(units int) Spec { return Spec{Type: "Dense", Units: units, Activation: "selu"} }
	enc := func(layers ...Spec) Spec { return Spec{Type: "Sequential", Name: "encoder", Layers: layers} }
	dec := func(layers ...Spec) Spec { return Spec{Type: "Sequential", Name: "decoder", Layers: layers} }
	cases := []struct {
		name string
		in   []int
		spec []Spec
	}{
		{"dense", []int{4, 5}, []Spec{enc(Spec{Type: "Flatten"}, dense(6)), dec(dense(20), Spec{Type: "Reshape", TargetShape: []int{4, 5}})}},
		{"noise-dense", []int{4, 5}, []Spec{enc(Spec{Type: "GaussianNoise", Stddev: 0.2}, Spec{Type: "Dropout", Rate: 0.3}, Spec{Type: "Flatten"}, dense(6)), dec(dense(20))}},
		{"conv", []int{6, 6}, []Spec{enc(Spec{Type: "Reshape", TargetShape: []int{6, 6, 1}},
			Spec{Type: "Conv2D", Filters: 3, KernelSize: 3, Padding: "same", Activation: "selu"},
			Spec{Type: "Conv2D", Filters: 2, KernelSize: 3, Padding: "same", Activation: "selu"}), dec(Spec{Type: "Flatten"}, dense(36))}},
		{"conv-transpose", []int{3, 3}, []Spec{enc(Spec{Type: "Reshape", TargetShape: []int{3, 3, 1}},
			Spec{Type: "Conv2DTranspose", Filters: 2, KernelSize: 3, Strides: 2, Padding: "same", Activation: "selu"}), dec(Spec{Type: "Flatten"}, dense(9))}},
		{"lstm", []int{5, 4}, []Spec{enc(Spec{Type: "LSTM", Units: 3}), dec(Spec{Type: "RepeatVector", N: 5}, Spec{Type: "LSTM", Units: 4, ReturnSequences: true})}},
		{"time-distributed", []int{5, 4}, []Spec{enc(Spec{Type: "TimeDistributed", Layer: &Spec{Type: "Dense", Units: 3}}), dec(Spec{Type: "LSTM", Units: 4, ReturnSequences: true})}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			const seed = 7
			spec := Spec{Type: "Sequential", Name: tc.name, InputShape: tc.in, Layers: tc.spec}
			m, err := NewModel(spec, seed)
			if err != nil {
				t.Fatal(err)
			}
			// The same network, same initial weights and same noise draws
			// (NewModel's RNG construction), without the skip.
			bare, err := NewSequential(spec.Name, spec.Layers)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bare.Build(spec.InputShape, rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))); err != nil {
				t.Fatal(err)
			}
			x := tensor.New(append([]int{3}, tc.in...)...)
			for i := range x.Data {
				x.Data[i] = float32(i%7)/7 - 0.3
			}
			for step := 0; step < 2; step++ { // the second step reuses every buffer
				ym := m.Net.Forward(x.Clone(), true)
				yb := bare.Forward(x.Clone(), true)
				if !slices.Equal(ym.Data, yb.Data) {
					t.Fatalf("step %d: outputs differ", step)
				}
				dy := tensor.New(ym.Shape...)
				for i := range dy.Data {
					dy.Data[i] = float32(i%5)/5 - 0.4
				}
				if dx := m.Net.Backward(dy.Clone()); dx != nil {
					t.Fatalf("step %d: Model.Net.Backward returned %v, want nil", step, dx.Shape)
				}
				dx := bare.Backward(dy.Clone())
				if dx == nil || !tensor.SameShape(dx.Shape, x.Shape) {
					t.Fatalf("step %d: bare Sequential's dx is %v, want shape %v", step, dx, x.Shape)
				}
				pm, pb := m.Params(), bare.Params()
				for i, p := range pm {
					if p.Name != pb[i].Name || !slices.Equal(p.Grad.Data, pb[i].Grad.Data) {
						t.Fatalf("step %d: gradient of %q differs from the non-skipping network's", step, p.Name)
					}
				}
			}
		})
	}
}
