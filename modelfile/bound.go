package modelfile

import (
	"fmt"

	"github.com/autoenc/autoenc/internal/safetensors"
	"github.com/autoenc/autoenc/nn"
)

// checkParamBound rejects an architecture whose parameters could not all
// be in f, before building it allocates them: every parameter must be one
// of f's values, so a count far beyond them means a forged header, and
// refusing it bounds what Load allocates by the file's size.
func checkParamBound(spec nn.Spec, f *safetensors.File) error {
	have := 0.0
	for _, t := range f.Tensors {
		have += float64(len(t.Data))
	}
	in := make([]float64, len(spec.InputShape))
	for i, d := range spec.InputShape {
		in[i] = float64(d)
	}
	_, need := paramBound(spec, in)
	// The slack leaves small mismatches to the precise checks after
	// building, which name the missing or misshapen tensor.
	if need > 2*have+1<<20 {
		return fmt.Errorf("architecture %q needs up to %.0f parameters, the file holds %.0f values", spec.Name, need, have)
	}
	return nil
}

// paramBound returns an upper bound of the output shape of the layer s
// given input shape in, and of its parameter count. It follows the shape
// rules of the layers loosely (a convolution's output is taken as large
// as its input), which is enough for a bound; float64 cannot overflow on
// the sizes checkSpecSize lets through.
func paramBound(s nn.Spec, in []float64) (out []float64, params float64) {
	last := 1.0
	if len(in) > 0 {
		last = in[len(in)-1]
	}
	k := float64(s.KernelSize)
	switch s.Type {
	case "Sequential":
		out = in
		for _, l := range s.Layers {
			var p float64
			out, p = paramBound(l, out)
			params += p
		}
		return out, params
	case "Dense":
		u := float64(s.Units)
		return append(clone(in[:max(len(in)-1, 0)]), u), last*u + u
	case "Conv2D", "Conv2DTranspose":
		f := float64(s.Filters)
		out = clone(in)
		if s.Type == "Conv2DTranspose" && len(out) >= 3 {
			st := float64(max(s.Strides, 1))
			out[0], out[1] = out[0]*st+k, out[1]*st+k
		}
		if len(out) > 0 {
			out[len(out)-1] = f
		}
		return out, k*k*last*f + f
	case "LSTM":
		u := float64(s.Units)
		params = 4*u*(last+u) + 4*u
		if s.ReturnSequences && len(in) > 0 {
			return []float64{in[0], u}, params
		}
		return []float64{u}, params
	case "RepeatVector":
		return []float64{float64(s.N), last}, 0
	case "Flatten":
		n := 1.0
		for _, d := range in {
			n *= d
		}
		return []float64{n}, 0
	case "Reshape":
		out = make([]float64, len(s.TargetShape))
		for i, d := range s.TargetShape {
			out[i] = float64(d)
		}
		return out, 0
	case "TimeDistributed":
		if s.Layer == nil || len(in) == 0 {
			return in, 0
		}
		o, p := paramBound(*s.Layer, in[1:])
		return append([]float64{in[0]}, o...), p
	}
	return in, 0 // no parameters, same shape (pooling, noise, dropout) or not a layer
}

func clone(s []float64) []float64 { return append([]float64(nil), s...) }
