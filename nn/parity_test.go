package nn

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/autoenc/autoenc/internal/safetensors"
	"github.com/autoenc/autoenc/tensor"
)

// parityCases are the goldens in testdata/parity, written by
// tools/torchref/gen.py (see its LAYER_CASES for what each one covers).
var parityCases = []string{
	"dense_linear", "dense_relu", "dense_sigmoid", "dense_tanh", "dense_selu", "dense_rank3",
	"conv2d_same_s1", "conv2d_valid_s1", "conv2d_same_s2_even", "conv2d_same_s2_odd",
	"conv2d_valid_s2_even", "conv2d_valid_s2_odd", "conv2d_same_k4",
	"maxpool_7to3", "maxpool_8to4",
	"deconv_valid_s2_3to7", "deconv_same_s2_7to14", "deconv_same_s2_14to28",
	"deconv_same_s1", "deconv_valid_s1", "deconv_same_k4s2", "deconv_valid_k2s3",
	"lstm_sequences", "lstm_last",
	"repeat_vector", "time_distributed_dense", "reshape", "reshape_to_image", "flatten", "flatten_image",
	"gaussian_noise_inference", "dropout_inference",
}

// parityRtol bounds max|got - want| / max|want| per tensor. The goldens are
// computed in float64 from the same float32 inputs and rounded once, so
// they are exact to float32's unit roundoff u = 6e-8; the Go layers sum up to
// ~100 float32 products per output, whose rounding error grows like
// sqrt(k)*u (worst case k*u = 6e-6) of the tensor's scale. 1e-5 passes that;
// a real mistake (a pad on the wrong side, a transposed kernel, a lost bias
// or gate) is off by a sizeable fraction of the scale. The error is scaled by
// the tensor's largest value, not each element's, because cancellation
// leaves some elements near 0 with a larger relative error that means
// nothing.
const parityRtol = 1e-5

// TestPyTorchParity builds each golden's layer from its spec, loads the
// golden parameters by name, and checks y, dx and every parameter's
// gradient against PyTorch's, for L = sum(y * dy).
func TestPyTorchParity(t *testing.T) {
	onDisk, err := filepath.Glob("testdata/parity/*.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range onDisk {
		if name := strings.TrimSuffix(filepath.Base(path), ".safetensors"); !slices.Contains(parityCases, name) {
			t.Errorf("%s is not in parityCases: add it so it is tested", path)
		}
	}
	for _, name := range parityCases {
		t.Run(name, func(t *testing.T) {
			g, err := safetensors.ReadFile(filepath.Join("testdata", "parity", name+".safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			var spec Spec
			if err := json.Unmarshal([]byte(g.Metadata["spec"]), &spec); err != nil {
				t.Fatalf("spec metadata: %v", err)
			}
			golden := func(key string) *tensor.Tensor {
				t.Helper()
				v := g.Tensors[key]
				if v == nil {
					t.Fatalf("golden has no tensor %q", key)
				}
				return v
			}
			x, y, dy := golden("x"), golden("y"), golden("dy")

			l, err := FromSpec(spec)
			if err != nil {
				t.Fatal(err)
			}
			out, err := l.Build(x.Shape[1:], rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.SameShape(out, y.Shape[1:]) {
				t.Fatalf("Build gave output shape %v, PyTorch %v", out, y.Shape[1:])
			}
			loadParams(t, l.Params(), g)

			gotY := l.Forward(x.Clone(), g.Metadata["training"] == "true")
			compareParity(t, "y", gotY, y, parityRtol)
			gotDx := l.Backward(dy.Clone())
			compareParity(t, "dx", gotDx, golden("dx"), parityRtol)
			for _, p := range l.Params() {
				compareParity(t, "grad/"+p.Name, p.Grad, golden("grad/"+p.Name), parityRtol)
			}
		})
	}
}

// loadParams sets each parameter to the golden's "param/<name>" and clears
// its gradient, checking that the golden has exactly these parameters.
func loadParams(t *testing.T, params []*Param, g *safetensors.File) {
	t.Helper()
	n := 0
	for name := range g.Tensors {
		if strings.HasPrefix(name, "param/") {
			n++
		}
	}
	if n != len(params) {
		var names []string
		for _, p := range params {
			names = append(names, p.Name)
		}
		t.Fatalf("layer has parameters %v, golden has %d", names, n)
	}
	for _, p := range params {
		v := g.Tensors["param/"+p.Name]
		if v == nil {
			t.Fatalf("golden has no parameter %q", p.Name)
		}
		if !tensor.SameShape(v.Shape, p.Value.Shape) {
			t.Fatalf("parameter %q: layer shape %v, golden %v", p.Name, p.Value.Shape, v.Shape)
		}
		copy(p.Value.Data, v.Data)
		p.Grad.Zero()
	}
}

// compareParity checks max|got - want| <= rtol * max|want| and logs the
// difference either way (go test -v shows it).
func compareParity(t *testing.T, what string, got, want *tensor.Tensor, rtol float64) {
	t.Helper()
	if !tensor.SameShape(got.Shape, want.Shape) {
		t.Errorf("%s: shape %v, PyTorch %v", what, got.Shape, want.Shape)
		return
	}
	diff, scale, at := parityDiff(got.Data, want.Data)
	msg := fmt.Sprintf("%s: max abs diff %.3g (at %d: got %.7g, want %.7g), max |want| %.3g, ratio %.2g",
		what, diff, at, got.Data[at], want.Data[at], scale, diff/max(scale, math.SmallestNonzeroFloat64))
	if !(diff <= rtol*scale) { // also catches NaN
		t.Errorf("%s exceeds %g", msg, rtol)
		return
	}
	t.Log(msg)
}

// parityDiff returns max|got - want| (NaN if any element is NaN), the
// index where it occurs and max|want|.
func parityDiff(got, want []float32) (diff, scale float64, at int) {
	for i, w := range want {
		d := math.Abs(float64(got[i]) - float64(w))
		if math.IsNaN(d) {
			return d, scale, i
		}
		if d > diff {
			diff, at = d, i
		}
		scale = max(scale, math.Abs(float64(w)))
	}
	return diff, scale, at
}
