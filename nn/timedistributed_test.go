package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/autoenc/autoenc/tensor"
)

// tanhAffine is a minimal test layer, y = tanh(x kernel + bias) on x [rows, in],
// written with plain loops so TimeDistributed's tests depend on no other layer.
type tanhAffine struct {
	units, in    int
	kernel, bias *Param
	x, y, dx     *tensor.Tensor
}

func (l *tanhAffine) Build(in []int, rng *rand.Rand) ([]int, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("tanhAffine: input must be [features], got %v", in)
	}
	l.in = in[0]
	l.kernel, l.bias = newParam("kernel", l.in, l.units), newParam("bias", l.units)
	for i := range l.kernel.Value.Data {
		l.kernel.Value.Data[i] = float32(math.Sin(float64(i)+1)) * 0.8
	}
	for i := range l.bias.Value.Data {
		l.bias.Value.Data[i] = 0.1 * float32(i)
	}
	return []int{l.units}, nil
}

func (l *tanhAffine) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	if len(x.Shape) != 2 || x.Shape[1] != l.in {
		panic(fmt.Sprintf("tanhAffine: got input %v", x.Shape))
	}
	rows := x.Shape[0]
	l.x = x
	l.y = tensor.Resize(l.y, rows, l.units)
	for r := 0; r < rows; r++ {
		for k := 0; k < l.units; k++ {
			s := l.bias.Value.Data[k]
			for p := 0; p < l.in; p++ {
				s += x.Data[r*l.in+p] * l.kernel.Value.Data[p*l.units+k]
			}
			l.y.Data[r*l.units+k] = tanh32(s)
		}
	}
	return l.y
}

func (l *tanhAffine) Backward(dy *tensor.Tensor) *tensor.Tensor {
	rows := dy.Shape[0]
	l.dx = tensor.Resize(l.dx, rows, l.in)
	l.dx.Zero()
	for r := 0; r < rows; r++ {
		for k := 0; k < l.units; k++ {
			y := l.y.Data[r*l.units+k]
			dz := dy.Data[r*l.units+k] * (1 - y*y)
			l.bias.Grad.Data[k] += dz
			for p := 0; p < l.in; p++ {
				l.kernel.Grad.Data[p*l.units+k] += l.x.Data[r*l.in+p] * dz
				l.dx.Data[r*l.in+p] += dz * l.kernel.Value.Data[p*l.units+k]
			}
		}
	}
	return l.dx
}

func (l *tanhAffine) Params() []*Param { return []*Param{l.kernel, l.bias} }

func TestTimeDistributed(t *testing.T) {
	for _, tc := range []struct {
		name       string
		inner      func() Layer
		in         []int
		wantOut    []int
		wantParams int
	}{
		{"tanhAffine", func() Layer { return &tanhAffine{units: 3} }, []int{4, 5}, []int{4, 3}, 5*3 + 3},
		{"tanhAffine one step", func() Layer { return &tanhAffine{units: 2} }, []int{1, 3}, []int{1, 2}, 3*2 + 2},
		// The tutorial's decoder output layer: TimeDistributed(Dense(28, sigmoid)) on
		// LSTM(100)'s sequences; Keras's summary gives 100*28 + 28 = 2,828 params.
		{"Dense(28, sigmoid)", func() Layer { return NewDense(28, Sigmoid) }, []int{28, 100}, []int{28, 28}, 2828},
		{"Dense(3, selu)", func() Layer { return NewDense(3, SELU) }, []int{4, 5}, []int{4, 3}, 5*3 + 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := NewTimeDistributed(tc.inner())
			out, err := l.Build(tc.in, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.SameShape(out, tc.wantOut) {
				t.Errorf("output shape %v, want %v", out, tc.wantOut)
			}
			if n := CountParams(l.Params()); n != tc.wantParams {
				t.Errorf("%d parameters, want %d", n, tc.wantParams)
			}
			var names []string
			for _, p := range l.Params() {
				names = append(names, p.Name)
			}
			if got := strings.Join(names, ","); got != "kernel,bias" {
				t.Errorf("params %s, want kernel,bias", got)
			}

			const batch = 2
			steps, f := tc.in[0], tc.in[1]
			x := tensor.New(batch, steps, f)
			fillDeterministic(x.Data)
			y := l.Forward(x, false).Clone()
			if want := append([]int{batch}, tc.wantOut...); !tensor.SameShape(y.Shape, want) {
				t.Fatalf("Forward shape %v, want %v", y.Shape, want)
			}
			// Every step must equal the inner layer applied to that step alone (up to
			// float32 rounding: Sgemm may sum in another order for one row).
			k := tc.wantOut[1]
			inner := l.inner
			for b := 0; b < batch; b++ {
				for s := 0; s < steps; s++ {
					row := tensor.FromData(append([]float32(nil), x.Data[(b*steps+s)*f:(b*steps+s+1)*f]...), 1, f)
					want := inner.Forward(row, false)
					for j := 0; j < k; j++ {
						if got := y.Data[(b*steps+s)*k+j]; math.Abs(float64(got-want.Data[j])) > 1e-6 {
							t.Fatalf("y[%d,%d,%d] = %g, inner alone gives %g", b, s, j, got, want.Data[j])
						}
					}
				}
			}
			if tensor.Numel(tc.in) <= 64 { // finite differences on the small cases only
				checkGradients(t, l, x)
			}
		})
	}
}

func TestTimeDistributedErrors(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want string
	}{
		{[]int{784}, "TimeDistributed: input must be [time, ...] with at least 2 dimensions, got [784]"},
		{[]int{0, 5}, "TimeDistributed: input must be [time, ...] with at least 2 dimensions, got [0 5]"},
		{[]int{4, 5, 6}, "TimeDistributed: tanhAffine: input must be [features], got [5 6]"},
	} {
		_, err := NewTimeDistributed(&tanhAffine{units: 2}).Build(tc.in, nil)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Build(%v): error %v, want %q", tc.in, err, tc.want)
		}
	}
}

// TestTimeDistributedInSequential checks the parameter path Sequential gives
// the inner layer's parameters.
func TestTimeDistributedInSequential(t *testing.T) {
	spec := Spec{Type: "Sequential", Name: "decoder", Layers: []Spec{
		{Type: "RepeatVector", N: 28},
		{Type: "LSTM", Units: 100, ReturnSequences: true},
		{Type: "TimeDistributed", Layer: &Spec{Type: "Dense", Units: 28, Activation: "sigmoid"}},
	}}
	layer := roundTripLayer(t, spec)
	seq := layer.(*Sequential)
	td, ok := seq.Layers[2].(*TimeDistributed)
	if !ok {
		t.Fatalf("layer 2 is %T, want *TimeDistributed", seq.Layers[2])
	}
	if _, ok := td.inner.(*Dense); !ok {
		t.Fatalf("TimeDistributed wraps %T, want *Dense", td.inner)
	}
	out, err := seq.Build([]int{30}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.SameShape(out, []int{28, 28}) {
		t.Errorf("decoder output %v, want [28 28]", out)
	}
	var names []string
	for _, p := range seq.Params() {
		names = append(names, p.Name)
	}
	want := "1.kernel,1.recurrent_kernel,1.bias,2.kernel,2.bias"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("params %s, want %s", got, want)
	}
	// Keras: decoder of the recurrent autoencoder, 0 + 52,400 + 2,828.
	if n := CountParams(seq.Params()); n != 55228 {
		t.Errorf("decoder has %d parameters, want 55228", n)
	}

	x := tensor.New(3, 30)
	fillDeterministic(x.Data)
	y := seq.Forward(x, true)
	if !tensor.SameShape(y.Shape, []int{3, 28, 28}) {
		t.Fatalf("Forward shape %v, want [3 28 28]", y.Shape)
	}
	// Dense turns dy into dz in place, so each Backward gets a fresh copy.
	dy := tensor.New(y.Shape...)
	fillDeterministic(dy.Data)
	dyRun := dy.Clone()
	dx := seq.Backward(dyRun)
	if !tensor.SameShape(dx.Shape, x.Shape) {
		t.Errorf("Backward shape %v, want %v", dx.Shape, x.Shape)
	}
	allocs := testing.AllocsPerRun(5, func() {
		seq.Forward(x, true)
		copy(dyRun.Data, dy.Data)
		seq.Backward(dyRun)
	})
	if allocs != 0 {
		t.Errorf("decoder: %g allocations per Forward+Backward, want 0", allocs)
	}
}

func TestTimeDistributedZeroAllocs(t *testing.T) {
	l := NewTimeDistributed(&tanhAffine{units: 3})
	if _, err := l.Build([]int{4, 5}, nil); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(2, 4, 5)
	fillDeterministic(x.Data)
	dy := l.Forward(x, true).Clone()
	l.Backward(dy)
	if allocs := testing.AllocsPerRun(10, func() { l.Forward(x, true); l.Backward(dy) }); allocs != 0 {
		t.Errorf("%g allocations per Forward+Backward, want 0", allocs)
	}
}
