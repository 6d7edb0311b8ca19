package nn

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/autoenc/autoenc/tensor"
)

// layerCase is one row of a layer's table test: the layer as a spec, its
// input shape (batch excluded), and what Build must report.
type layerCase struct {
	name       string
	spec       Spec
	in         []int
	wantOut    []int
	wantParams int
	// noGrad skips the gradient check and training step (tutorial-sized
	// layers, whose shapes and counts are all the row is for).
	noGrad bool
	// input, if set, makes the test input from its shape [batch, in...];
	// otherwise the values are N(0, 1) from a fixed seed.
	input func(shape []int) *tensor.Tensor
}

// runLayerCases checks, for each case: the config round-trip (spec -> JSON
// -> spec -> layer gives the same layer), the output shape, the parameter
// count and names, the forward shape on a batch of 2, the gradients against
// finite differences, and that one small SGD step lowers a squared error.
func runLayerCases(t *testing.T, cases []layerCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := roundTripLayer(t, c.spec)
			out, err := l.Build(c.in, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatalf("Build(%v): %v", c.in, err)
			}
			if !slices.Equal(out, c.wantOut) {
				t.Fatalf("Build(%v) = %v, want %v", c.in, out, c.wantOut)
			}
			if n := CountParams(l.Params()); n != c.wantParams {
				t.Errorf("%d parameters, want %d", n, c.wantParams)
			}
			for _, p := range l.Params() {
				if p.Name != "kernel" && p.Name != "bias" {
					t.Errorf("parameter named %q, want kernel or bias", p.Name)
				}
			}
			if c.noGrad {
				return
			}
			const batch = 2
			shape := append([]int{batch}, c.in...)
			var x *tensor.Tensor
			if c.input != nil {
				x = c.input(shape)
			} else {
				x = randTensorNormal(rand.New(rand.NewPCG(3, 4)), shape...)
			}
			if c.spec.Activation == string(ReLU) || c.spec.Activation == string(SELU) {
				shiftOffKink(t, l, c.spec, c.in, x)
			}
			y := l.Forward(x, true)
			if want := append([]int{batch}, c.wantOut...); !slices.Equal(y.Shape, want) {
				t.Fatalf("Forward output shape %v, want %v", y.Shape, want)
			}
			checkGradients(t, l, x)
			if len(l.Params()) > 0 {
				checkTrainingStep(t, l, x)
			}
		})
	}
}

// shiftOffKink sets l's bias so that no pre-activation for x lies within
// 0.05 of the kink of relu or selu at 0. The finite differences of
// checkGradients move a pre-activation by up to about 0.03 (eps 0.01 times
// an input or weight); one that crosses the kink gives a numeric derivative
// between the two slopes. The pre-activations come from a linear twin of
// l, built from the same seed so that it has the same weights.
func shiftOffKink(t *testing.T, l Layer, s Spec, in []int, x *tensor.Tensor) {
	t.Helper()
	const margin, step = 0.05, 0.005
	s.Activation = string(Linear)
	twin, err := FromSpec(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := twin.Build(in, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	z := twin.Forward(x, false)
	bias := l.Params()[1]
	if bias.Name != "bias" {
		t.Fatalf("second parameter is %q, want bias", bias.Name)
	}
	nb := len(bias.Value.Data)
	for j := range bias.Value.Data {
		fits := func(b float64) bool {
			for i := j; i < len(z.Data); i += nb {
				if math.Abs(float64(z.Data[i])+b) < margin {
					return false
				}
			}
			return true
		}
		// The smallest shift that clears every pre-activation of channel j;
		// one past all of them always does.
		for k := 0; ; k++ {
			b := float64(k) * step
			if fits(b) {
				bias.Value.Data[j] = float32(b)
				break
			}
			if fits(-b) {
				bias.Value.Data[j] = float32(-b)
				break
			}
		}
	}
}

// roundTripLayer builds a layer from s after a JSON round trip of s, and
// checks that it equals the layer built from s directly.
func roundTripLayer(t *testing.T, s Spec) Layer {
	t.Helper()
	want, err := FromSpec(s)
	if err != nil {
		t.Fatalf("FromSpec(%+v): %v", s, err)
	}
	js, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Spec
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	got, err := FromSpec(back)
	if err != nil {
		t.Fatalf("FromSpec(%s): %v", js, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("config round trip through %s: got %#v, want %#v", js, got, want)
	}
	return got
}

// checkTrainingStep takes one SGD step on L = 0.5*|y - target|^2 and checks
// that L goes down.
func checkTrainingStep(t *testing.T, l Layer, x *tensor.Tensor) {
	t.Helper()
	const lr = 1e-3
	y := l.Forward(x, false)
	target := randTensorNormal(rand.New(rand.NewPCG(5, 6)), y.Shape...)
	loss := func(y *tensor.Tensor) (float64, *tensor.Tensor) {
		dy := tensor.New(y.Shape...)
		var s float64
		for i, v := range y.Data {
			d := v - target.Data[i]
			s += 0.5 * float64(d) * float64(d)
			dy.Data[i] = d
		}
		return s, dy
	}
	before, dy := loss(l.Forward(x, true))
	for _, p := range l.Params() {
		p.Grad.Zero()
	}
	l.Backward(dy)
	for _, p := range l.Params() {
		for i, g := range p.Grad.Data {
			p.Value.Data[i] -= lr * g
		}
	}
	after, _ := loss(l.Forward(x, true))
	if !(after < before) {
		t.Errorf("one SGD step (lr %g): loss %g -> %g, want it lower", lr, before, after)
	}
}

func randTensorNormal(rng *rand.Rand, shape ...int) *tensor.Tensor {
	x := tensor.New(shape...)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	return x
}

// allActivations is every activation a layer test should cover.
var allActivations = []Activation{Linear, ReLU, Sigmoid, Tanh, SELU}

func TestDense(t *testing.T) {
	var cases []layerCase
	for _, act := range allActivations {
		cases = append(cases, layerCase{
			name: "4->3/" + string(act), spec: Spec{Type: "Dense", Units: 3, Activation: string(act)},
			in: []int{4}, wantOut: []int{3}, wantParams: 4*3 + 3,
		})
	}
	cases = append(cases,
		// TimeDistributed(Dense) feeds [batch, time, features].
		layerCase{name: "sequence", spec: Spec{Type: "Dense", Units: 5, Activation: "tanh"},
			in: []int{3, 4}, wantOut: []int{3, 5}, wantParams: 4*5 + 5},
		layerCase{name: "1->1", spec: Spec{Type: "Dense", Units: 1}, in: []int{1}, wantOut: []int{1}, wantParams: 2},
		// The tutorial's stacked autoencoder (REFERENCE.md): 784-100-30-100-784.
		layerCase{name: "784->100", spec: Spec{Type: "Dense", Units: 100, Activation: "selu"},
			in: []int{784}, wantOut: []int{100}, wantParams: 78_500, noGrad: true},
		layerCase{name: "100->30", spec: Spec{Type: "Dense", Units: 30, Activation: "selu"},
			in: []int{100}, wantOut: []int{30}, wantParams: 3_030, noGrad: true},
		layerCase{name: "100->784", spec: Spec{Type: "Dense", Units: 784, Activation: "sigmoid"},
			in: []int{100}, wantOut: []int{784}, wantParams: 79_184, noGrad: true},
	)
	runLayerCases(t, cases)
}

// TestDenseMatchesDefinition compares Dense with y = f(x*kernel + bias)
// computed by plain loops, row by row of a rank-3 input, with iota-like
// weights.
func TestDenseMatchesDefinition(t *testing.T) {
	const b, T, in, units = 2, 3, 5, 4
	l := NewDense(units, Tanh)
	if _, err := l.Build([]int{T, in}, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	iotaFill(l.kernel.Value.Data, 0.05)
	iotaFill(l.bias.Value.Data, 0.1)
	x := tensor.New(b, T, in)
	iotaFill(x.Data, 0.1)
	y := l.Forward(x, false)
	for r := 0; r < b*T; r++ {
		for j := 0; j < units; j++ {
			z := float64(l.bias.Value.Data[j])
			for i := 0; i < in; i++ {
				z += float64(x.Data[r*in+i]) * float64(l.kernel.Value.Data[i*units+j])
			}
			if got, want := y.Data[r*units+j], math.Tanh(z); math.Abs(float64(got)-want) > 1e-6 {
				t.Errorf("y[%d][%d] = %g, want %g", r, j, got, want)
			}
		}
	}
}

// iotaFill sets v[i] to step*((i*7)%13 - 6): small, deterministic, of both
// signs, and without long runs of equal values.
func iotaFill(v []float32, step float32) {
	for i := range v {
		v[i] = step * float32((i*7)%13-6)
	}
}

// TestGlorotLimits checks each layer's kernel against Keras's glorot_uniform
// limit sqrt(6/(fan_in+fan_out)): within it, and reaching near it.
func TestGlorotLimits(t *testing.T) {
	for _, c := range []struct {
		name          string
		l             Layer
		in            []int
		fanIn, fanOut int
	}{
		{"Dense", NewDense(30, SELU), []int{100}, 100, 30},
		{"Conv2D", NewConv2D(32, 3, 1, Same, SELU), []int{14, 14, 16}, 9 * 16, 9 * 32},
		// Keras's kernel is [k, k, filters, cin]: fan_in = k*k*filters.
		{"Conv2DTranspose", NewConv2DTranspose(16, 3, 2, Same, SELU), []int{7, 7, 32}, 9 * 16, 9 * 32},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := c.l.Build(c.in, rand.New(rand.NewPCG(1, 2))); err != nil {
				t.Fatal(err)
			}
			limit := math.Sqrt(6 / float64(c.fanIn+c.fanOut))
			var maxAbs float64
			for _, v := range c.l.Params()[0].Value.Data {
				maxAbs = max(maxAbs, math.Abs(float64(v)))
			}
			if maxAbs > limit || maxAbs < 0.95*limit {
				t.Errorf("max |kernel| = %g, want just under the glorot limit %g", maxAbs, limit)
			}
			for _, v := range c.l.Params()[1].Value.Data {
				if v != 0 {
					t.Fatalf("bias holds %g, want zeros", v)
				}
			}
		})
	}
}

// TestBuildErrors checks that a bad input shape is reported with what was
// expected and what was received.
func TestBuildErrors(t *testing.T) {
	for _, c := range []struct {
		spec Spec
		in   []int
		want string
	}{
		{Spec{Type: "Dense", Units: 3}, []int{}, "Dense: input must be [..., features] with features > 0, got []"},
		{Spec{Type: "Conv2D", Filters: 16, KernelSize: 3}, []int{28, 28}, "Conv2D: input must be [h, w, channels], got [28 28]"},
		{Spec{Type: "Conv2D", Filters: 16, KernelSize: 3}, []int{2, 5, 1}, `Conv2D: input 2x5 is smaller than the 3x3 kernel with padding "valid"`},
		{Spec{Type: "Conv2DTranspose", Filters: 1, KernelSize: 3}, []int{784}, "Conv2DTranspose: input must be [h, w, channels], got [784]"},
		{Spec{Type: "MaxPool2D", PoolSize: 2}, []int{28, 28}, "MaxPool2D: input must be [h, w, channels], got [28 28]"},
		{Spec{Type: "MaxPool2D", PoolSize: 4}, []int{3, 8, 2}, "MaxPool2D: input 3x8 is smaller than the 4x4 pool"},
		{Spec{Type: "Reshape", TargetShape: []int{28, 28, 1}}, []int{28, 27}, "Reshape: cannot reshape input [28 27] (756 values) to [28 28 1] (784 values)"},
		{Spec{Type: "Flatten"}, []int{}, "Flatten: input must have at least one dimension besides the batch, got []"},
	} {
		l, err := FromSpec(c.spec)
		if err != nil {
			t.Fatalf("FromSpec(%+v): %v", c.spec, err)
		}
		_, err = l.Build(c.in, rand.New(rand.NewPCG(1, 2)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s.Build(%v) = %v, want error %q", c.spec.Type, c.in, err, c.want)
		}
	}
}
