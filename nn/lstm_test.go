package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/autoenc/autoenc/tensor"
)

// The recurrent autoencoder's three LSTMs. Parameter counts are Keras's,
// 4*u*(in+u+1), as its summary() prints them.
var tutorialLSTMs = []struct {
	name       string
	units      int
	returnSeq  bool
	in         []int
	wantOut    []int
	wantParams int
}{
	{"encoder LSTM(100) seq", 100, true, []int{28, 28}, []int{28, 100}, 51600},
	{"encoder LSTM(30)", 30, false, []int{28, 100}, []int{30}, 15720},
	{"decoder LSTM(100) seq", 100, true, []int{28, 30}, []int{28, 100}, 52400},
}

func TestLSTMBuild(t *testing.T) {
	for _, tc := range tutorialLSTMs {
		t.Run(tc.name, func(t *testing.T) {
			l := NewLSTM(tc.units, tc.returnSeq)
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
			u, in := tc.units, tc.in[1]
			wantShapes := map[string][]int{"kernel": {in, 4 * u}, "recurrent_kernel": {u, 4 * u}, "bias": {4 * u}}
			var names []string
			for _, p := range l.Params() {
				names = append(names, p.Name)
				if !tensor.SameShape(p.Value.Shape, wantShapes[p.Name]) || !tensor.SameShape(p.Grad.Shape, wantShapes[p.Name]) {
					t.Errorf("%s: shape %v (grad %v), want %v", p.Name, p.Value.Shape, p.Grad.Shape, wantShapes[p.Name])
				}
			}
			if got := strings.Join(names, ","); got != "kernel,recurrent_kernel,bias" {
				t.Errorf("params %s, want kernel,recurrent_kernel,bias", got)
			}

			// glorot_uniform: |w| <= sqrt(6/(in+4u)), and not all zero.
			limit := float32(math.Sqrt(6 / float64(in+4*u)))
			var absMax float32
			for _, v := range l.kernel.Value.Data {
				absMax = max(absMax, float32(math.Abs(float64(v))))
			}
			if absMax > limit || absMax < limit/2 {
				t.Errorf("kernel: max |w| = %g, want within (%g/2, %g]", absMax, limit, limit)
			}

			// unit_forget_bias: ones on [u:2u], zeros elsewhere.
			for j, v := range l.bias.Value.Data {
				want := float32(0)
				if j >= u && j < 2*u {
					want = 1
				}
				if v != want {
					t.Fatalf("bias[%d] = %g, want %g", j, v, want)
				}
			}

			// orthogonal [u, 4u]: orthonormal rows, U U^T = I.
			U := l.recurrent.Value.Data
			var worst float64
			for a := 0; a < u; a++ {
				for b := 0; b < u; b++ {
					var d float64
					for k := 0; k < 4*u; k++ {
						d += float64(U[a*4*u+k]) * float64(U[b*4*u+k])
					}
					if a == b {
						d--
					}
					worst = max(worst, math.Abs(d))
				}
			}
			if worst > 1e-5 {
				t.Errorf("recurrent_kernel: max |U U^T - I| = %g, want <= 1e-5", worst)
			}

			x := tensor.New(append([]int{2}, tc.in...)...)
			fillDeterministic(x.Data)
			y := l.Forward(x, false)
			if want := append([]int{2}, tc.wantOut...); !tensor.SameShape(y.Shape, want) {
				t.Errorf("Forward shape %v, want %v", y.Shape, want)
			}
			dx := l.Backward(y)
			if !tensor.SameShape(dx.Shape, x.Shape) {
				t.Errorf("Backward shape %v, want %v", dx.Shape, x.Shape)
			}
		})
	}
}

func TestLSTMBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		units int
		in    []int
		want  string
	}{
		{100, []int{784}, "LSTM: input must be [time, features], got [784]"},
		{100, []int{28, 28, 1}, "LSTM: input must be [time, features], got [28 28 1]"},
		{100, []int{0, 28}, "LSTM: input must be [time, features], got [0 28]"},
		{0, []int{28, 28}, "LSTM: units must be positive, got 0"},
	} {
		_, err := NewLSTM(tc.units, false).Build(tc.in, rand.New(rand.NewPCG(1, 2)))
		if err == nil || err.Error() != tc.want {
			t.Errorf("Build(%v) with %d units: error %v, want %q", tc.in, tc.units, err, tc.want)
		}
	}
}

// newTestLSTM builds a small LSTM with its bias randomised too, so that no
// gate sits at a special value.
func newTestLSTM(t *testing.T, units, steps, features int, returnSeq bool) *LSTM {
	t.Helper()
	l := NewLSTM(units, returnSeq)
	rng := rand.New(rand.NewPCG(3, 4))
	if _, err := l.Build([]int{steps, features}, rng); err != nil {
		t.Fatal(err)
	}
	for i := range l.bias.Value.Data {
		l.bias.Value.Data[i] += float32(rng.NormFloat64() * 0.5)
	}
	return l
}

// fillDeterministic sets x to a fixed pattern in [-1, 1].
func fillDeterministic(x []float32) {
	for i := range x {
		x[i] = float32(math.Sin(float64(i)*0.7 + 0.3))
	}
}

func TestLSTMGradients(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		batch, steps, in, units int
		returnSeq               bool
	}{
		{"sequences", 2, 3, 4, 3, true},
		{"last", 2, 3, 4, 3, false},
		{"one step", 2, 1, 4, 3, true},
		{"batch 1 last", 1, 4, 2, 5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newTestLSTM(t, tc.units, tc.steps, tc.in, tc.returnSeq)
			x := tensor.New(tc.batch, tc.steps, tc.in)
			fillDeterministic(x.Data)
			checkGradients(t, l, x)
		})
	}
}

// TestLSTMOneUnit checks two steps of a one-unit LSTM against values worked
// out with Python's math module from the equations in LSTM's doc comment:
// W = [0.5, -0.5, 1, 2], U = [0.1, 0.2, -0.3, 0.4], b = [0, 1, 0, 0], x = [1, -1].
func TestLSTMOneUnit(t *testing.T) {
	for _, returnSeq := range []bool{true, false} {
		l := NewLSTM(1, returnSeq)
		if _, err := l.Build([]int{2, 1}, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatal(err)
		}
		copy(l.kernel.Value.Data, []float32{0.5, -0.5, 1, 2})
		copy(l.recurrent.Value.Data, []float32{0.1, 0.2, -0.3, 0.4})
		if got := l.bias.Value.Data; got[0] != 0 || got[1] != 1 || got[2] != 0 || got[3] != 0 {
			t.Fatalf("initial bias %v, want [0 1 0 0]", got)
		}
		y := l.Forward(tensor.FromData([]float32{1, -1}, 1, 2, 1), false)
		want := []float64{0.3888498844368542, 0.011046725267035228} // h_1, h_2
		wantC := []float64{0.47406138896346633, 0.08109104871280737}
		if !returnSeq {
			want = want[1:]
		}
		for i := range want {
			if d := math.Abs(float64(y.Data[i]) - want[i]); d > 1e-6 {
				t.Errorf("returnSequences=%v: h[%d] = %.9g, want %.9g", returnSeq, i, y.Data[i], want[i])
			}
		}
		for i, w := range wantC {
			if d := math.Abs(float64(l.c.Data[i+1]) - w); d > 1e-6 {
				t.Errorf("c_%d = %.9g, want %.9g", i+1, l.c.Data[i+1], w)
			}
		}
	}
}

// lstmReference is a direct float64 transcription of the LSTM equations,
// one sample and one step at a time, in the input's batch-major layout.
func lstmReference(l *LSTM, x *tensor.Tensor) []float64 {
	nb, T, in, u := x.Shape[0], x.Shape[1], x.Shape[2], l.units
	W, U, B := l.kernel.Value.Data, l.recurrent.Value.Data, l.bias.Value.Data
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	var out []float64
	for b := 0; b < nb; b++ {
		h, c := make([]float64, u), make([]float64, u)
		for t := 0; t < T; t++ {
			z := make([]float64, 4*u)
			for k := range z {
				z[k] = float64(B[k])
				for p := 0; p < in; p++ {
					z[k] += float64(x.Data[(b*T+t)*in+p]) * float64(W[p*4*u+k])
				}
				for p := 0; p < u; p++ {
					z[k] += h[p] * float64(U[p*4*u+k])
				}
			}
			for j := 0; j < u; j++ {
				i, f, g, o := sig(z[j]), sig(z[u+j]), math.Tanh(z[2*u+j]), sig(z[3*u+j])
				c[j] = f*c[j] + i*g
				h[j] = o * math.Tanh(c[j])
			}
			if l.returnSequences || t == T-1 {
				out = append(out, h...)
			}
		}
	}
	return out
}

func TestLSTMMatchesReference(t *testing.T) {
	for _, returnSeq := range []bool{true, false} {
		l := newTestLSTM(t, 6, 4, 5, returnSeq)
		x := tensor.New(3, 4, 5)
		fillDeterministic(x.Data)
		y := l.Forward(x, false)
		want := lstmReference(l, x)
		if len(y.Data) != len(want) {
			t.Fatalf("returnSequences=%v: %d outputs, want %d", returnSeq, len(y.Data), len(want))
		}
		var worst float64
		for i, w := range want {
			worst = max(worst, math.Abs(float64(y.Data[i])-w))
		}
		if worst > 1e-5 {
			t.Errorf("returnSequences=%v: max |y - reference| = %g, want <= 1e-5", returnSeq, worst)
		}
	}
}

// TestLSTMTrainingStep takes SGD steps on 0.5*|y - target|² and expects the
// loss to fall at once and keep falling (2.83 to 1.59 in 50 steps when written).
func TestLSTMTrainingStep(t *testing.T) {
	l := newTestLSTM(t, 4, 5, 3, true)
	x := tensor.New(2, 5, 3)
	fillDeterministic(x.Data)
	target := tensor.New(2, 5, 4)
	for i := range target.Data {
		target.Data[i] = float32(math.Cos(float64(i))) * 0.5
	}
	dy := tensor.New(target.Shape...)
	step := func() float64 {
		y := l.Forward(x, true)
		var loss float64
		for i, v := range y.Data {
			d := v - target.Data[i]
			loss += 0.5 * float64(d*d)
			dy.Data[i] = d
		}
		for _, p := range l.Params() {
			p.Grad.Zero()
		}
		l.Backward(dy)
		for _, p := range l.Params() {
			for i, g := range p.Grad.Data {
				p.Value.Data[i] -= 0.1 * g
			}
		}
		return loss
	}
	first := step()
	if second := step(); !(second < first) {
		t.Errorf("loss %g after one SGD step, started at %g: want lower", second, first)
	}
	var last float64
	for range 50 {
		last = step()
	}
	if !(last < 0.7*first) {
		t.Errorf("loss %g after 50 SGD steps, started at %g: want below 70%%", last, first)
	}
}

func TestLSTMSpecRoundTrip(t *testing.T) {
	for _, spec := range []Spec{
		{Type: "LSTM", Units: 100, ReturnSequences: true},
		{Type: "LSTM", Units: 30},
	} {
		layer := roundTripLayer(t, spec)
		l, ok := layer.(*LSTM)
		if !ok {
			t.Fatalf("FromSpec(%+v) = %T, want *LSTM", spec, layer)
		}
		if l.units != spec.Units || l.returnSequences != spec.ReturnSequences {
			t.Errorf("FromSpec(%+v): units %d, return_sequences %v", spec, l.units, l.returnSequences)
		}
	}
	if _, err := FromSpec(Spec{Type: "LSTM"}); err == nil || err.Error() != "LSTM: units must be positive, got 0" {
		t.Errorf("FromSpec without units: error %v", err)
	}
}

func TestLSTMZeroAllocs(t *testing.T) {
	for _, returnSeq := range []bool{true, false} {
		l := newTestLSTM(t, 8, 6, 5, returnSeq)
		x := tensor.New(4, 6, 5)
		fillDeterministic(x.Data)
		dy := l.Forward(x, true).Clone()
		l.Backward(dy)
		allocs := testing.AllocsPerRun(10, func() {
			l.Forward(x, true)
			l.Backward(dy)
		})
		if allocs != 0 {
			t.Errorf("returnSequences=%v: %g allocations per Forward+Backward, want 0", returnSeq, allocs)
		}
	}
}

// TestTranspose checks transpose for sizes 0..N and just past its 16x16 block edge.
func TestTranspose(t *testing.T) {
	for _, rows := range []int{0, 1, 3, 16, 17, 33} {
		for _, cols := range []int{0, 1, 5, 16, 17, 40} {
			src := make([]float32, rows*cols)
			for i := range src {
				src[i] = float32(i)
			}
			dst := make([]float32, rows*cols+1)
			dst[rows*cols] = -1 // guard
			transpose(dst[:rows*cols], src, rows, cols)
			for i := range rows {
				for j := range cols {
					if dst[j*rows+i] != src[i*cols+j] {
						t.Fatalf("%dx%d: dst[%d][%d] = %v, want %v", rows, cols, j, i, dst[j*rows+i], src[i*cols+j])
					}
				}
			}
			if dst[rows*cols] != -1 {
				t.Fatalf("%dx%d: guard overwritten", rows, cols)
			}
		}
	}
}
