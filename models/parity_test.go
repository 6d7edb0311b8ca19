package models

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/autoenc/autoenc/internal/safetensors"
	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/tensor"
	"github.com/autoenc/autoenc/train"
)

// parityRtol bounds max|got - want| / max|want| per tensor, as in
// nn/parity_test.go: the goldens are float64 results rounded once to
// float32, and the Go models compute in float32. Sums here run over up to
// 784 terms and the recurrent model chains 56 LSTM steps, yet the float32
// rounding measured stays near 1e-6 of a tensor's scale (go test -v logs
// it); 1e-5 leaves a tenfold margin while any wrong formula, alignment or
// parameter is off by a sizeable fraction of the scale.
const parityRtol = 1e-5

// TestPyTorchParity runs each built-in model with the weights of its
// golden from tools/torchref/gen.py on the golden's batch, and checks the
// output, Keras's binary_crossentropy of the output against the input,
// dloss/doutput and every parameter's gradient.
func TestPyTorchParity(t *testing.T) {
	for _, b := range All() {
		t.Run(b.Name, func(t *testing.T) {
			g, err := safetensors.ReadFile(filepath.Join("testdata", "parity", b.Name+".safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			// The golden's spec was written out again in Python; it must be
			// the architecture built in here.
			var spec nn.Spec
			if err := json.Unmarshal([]byte(g.Metadata["spec"]), &spec); err != nil {
				t.Fatalf("spec metadata: %v", err)
			}
			if !reflect.DeepEqual(spec, b.Spec) {
				got, _ := json.Marshal(spec)
				want, _ := json.Marshal(b.Spec)
				t.Fatalf("golden spec differs from the built-in:\ngolden   %s\nbuilt-in %s", got, want)
			}
			golden := func(key string) *tensor.Tensor {
				t.Helper()
				v := g.Tensors[key]
				if v == nil {
					t.Fatalf("golden has no tensor %q", key)
				}
				return v
			}
			x, y := golden("x"), golden("y")

			m, err := nn.NewModel(b.Spec, 1)
			if err != nil {
				t.Fatal(err)
			}
			params := m.Params()
			n := 0
			for name := range g.Tensors {
				if strings.HasPrefix(name, "param/") {
					n++
				}
			}
			if n != len(params) {
				t.Fatalf("model has %d parameters, golden %d", len(params), n)
			}
			for _, p := range params {
				v := golden("param/" + p.Name)
				if !tensor.SameShape(v.Shape, p.Value.Shape) {
					t.Fatalf("parameter %q: model shape %v, golden %v", p.Name, p.Value.Shape, v.Shape)
				}
				copy(p.Value.Data, v.Data)
				p.Grad.Zero()
			}

			out := m.Net.Forward(x.Clone(), g.Metadata["training"] == "true")
			compareParity(t, "y", out, y)
			dy := tensor.New(out.Shape...)
			loss := train.BinaryCrossentropy{}.Compute(out, x, dy)
			compareParity(t, "loss", tensor.FromData([]float32{float32(loss)}), golden("loss")) // a scalar, shape []
			compareParity(t, "dy", dy, golden("dy"))
			m.Net.Backward(dy)
			for _, p := range params {
				compareParity(t, "grad/"+p.Name, p.Grad, golden("grad/"+p.Name))
			}
		})
	}
}

// compareParity checks max|got - want| <= parityRtol * max|want| and logs
// the difference either way (go test -v shows it).
func compareParity(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	if !tensor.SameShape(got.Shape, want.Shape) {
		t.Errorf("%s: shape %v, PyTorch %v", what, got.Shape, want.Shape)
		return
	}
	var diff, scale float64
	at := 0
	for i, w := range want.Data {
		d := math.Abs(float64(got.Data[i]) - float64(w))
		if math.IsNaN(d) {
			diff, at = d, i
			break
		}
		if d > diff {
			diff, at = d, i
		}
		scale = max(scale, math.Abs(float64(w)))
	}
	msg := fmt.Sprintf("%s: max abs diff %.3g (at %d: got %.7g, want %.7g), max |want| %.3g, ratio %.2g",
		what, diff, at, got.Data[at], want.Data[at], scale, diff/max(scale, math.SmallestNonzeroFloat64))
	if !(diff <= parityRtol*scale) { // also catches NaN
		t.Errorf("%s exceeds %g", msg, parityRtol)
		return
	}
	t.Log(msg)
}

// TestParamCounts checks each built-in's encoder and decoder against the
// parameter counts Keras's summary() reports for the tutorial's models
// (REFERENCE.md), worked out by layer.
func TestParamCounts(t *testing.T) {
	stackedEnc := 784*100 + 100 + 100*30 + 30  // Dense(100), Dense(30): 81,530
	stackedDec := 30*100 + 100 + 100*784 + 784 // Dense(100), Dense(784): 82,284
	for _, tc := range []struct {
		name             string
		encoder, decoder int
	}{
		{"stacked", stackedEnc, stackedDec},
		// Conv2D 3x3: 9*in*out + out, i.e. 160, 4,640, 18,496; the
		// transposed ones alike: 18,464, 4,624, 145.
		{"conv", 23296, 23233},
		// LSTM: 4*u*(in + u + 1): 4*100*(28+100+1) = 51,600 and
		// 4*30*(100+30+1) = 15,720; then 4*100*(30+100+1) = 52,400 and
		// TimeDistributed(Dense(28)) 100*28 + 28 = 2,828.
		{"recurrent", 51600 + 15720, 52400 + 2828},
		{"denoising-gaussian", stackedEnc, stackedDec},
		{"denoising-dropout", stackedEnc, stackedDec},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Get(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			m, err := nn.NewModel(b.Spec, 1)
			if err != nil {
				t.Fatal(err)
			}
			enc, dec := nn.CountParams(m.Encoder().Params()), nn.CountParams(m.Decoder().Params())
			if enc != tc.encoder || dec != tc.decoder {
				t.Errorf("encoder %d, decoder %d parameters; Keras has %d and %d", enc, dec, tc.encoder, tc.decoder)
			}
			if total := nn.CountParams(m.Params()); total != tc.encoder+tc.decoder {
				t.Errorf("model has %d parameters, want %d", total, tc.encoder+tc.decoder)
			}
		})
	}
	if len(All()) != 5 {
		t.Errorf("%d built-in models, this test knows 5: add the new ones", len(All()))
	}
}
