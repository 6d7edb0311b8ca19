package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoenc/autoenc/tensor"
)

func TestConv2D(t *testing.T) {
	conv := func(filters, k, s int, pad Padding, act Activation) Spec {
		return Spec{Type: "Conv2D", Filters: filters, KernelSize: k, Strides: s, Padding: string(pad), Activation: string(act)}
	}
	runLayerCases(t, []layerCase{
		// The tutorial's encoder (REFERENCE.md): 160 + 4,640 + 18,496.
		{name: "tutorial/28x28x1", spec: conv(16, 3, 1, Same, SELU), in: []int{28, 28, 1}, wantOut: []int{28, 28, 16}, wantParams: 160, noGrad: true},
		{name: "tutorial/14x14x16", spec: conv(32, 3, 1, Same, SELU), in: []int{14, 14, 16}, wantOut: []int{14, 14, 32}, wantParams: 4_640, noGrad: true},
		{name: "tutorial/7x7x32", spec: conv(64, 3, 1, Same, SELU), in: []int{7, 7, 32}, wantOut: []int{7, 7, 64}, wantParams: 18_496, noGrad: true},

		{name: "k3s1/same/linear", spec: conv(3, 3, 1, Same, Linear), in: []int{5, 5, 2}, wantOut: []int{5, 5, 3}, wantParams: 9*2*3 + 3},
		{name: "k3s1/valid/relu", spec: conv(2, 3, 1, Valid, ReLU), in: []int{5, 6, 2}, wantOut: []int{3, 4, 2}, wantParams: 9*2*2 + 2},
		// ceil(5/2) = 3, pad_total = 2*2+3-5 = 2: one before, one after.
		{name: "k3s2/same/odd/selu", spec: conv(3, 3, 2, Same, SELU), in: []int{5, 5, 2}, wantOut: []int{3, 3, 3}, wantParams: 9*2*3 + 3},
		// 6 -> 3, pad_total = 2*2+3-6 = 1: none before, one after.
		{name: "k3s2/same/even/sigmoid", spec: conv(2, 3, 2, Same, Sigmoid), in: []int{6, 4, 1}, wantOut: []int{3, 2, 2}, wantParams: 9*1*2 + 2},
		{name: "k3s2/valid/tanh", spec: conv(2, 3, 2, Valid, Tanh), in: []int{7, 6, 2}, wantOut: []int{3, 2, 2}, wantParams: 9*2*2 + 2},
		{name: "k2s2/valid/selu", spec: conv(2, 2, 2, Valid, SELU), in: []int{5, 4, 3}, wantOut: []int{2, 2, 2}, wantParams: 4*3*2 + 2},
		{name: "k1s1/linear", spec: conv(4, 1, 1, Same, Linear), in: []int{3, 2, 3}, wantOut: []int{3, 2, 4}, wantParams: 3*4 + 4},
		// pad_total = 1*3+4-5 = 2 with stride 3.
		{name: "k4s3/same/tanh", spec: conv(2, 4, 3, Same, Tanh), in: []int{5, 4, 2}, wantOut: []int{2, 2, 2}, wantParams: 16*2*2 + 2},
	})
}

func TestConv2DTranspose(t *testing.T) {
	deconv := func(filters, k, s int, pad Padding, act Activation) Spec {
		return Spec{Type: "Conv2DTranspose", Filters: filters, KernelSize: k, Strides: s, Padding: string(pad), Activation: string(act)}
	}
	runLayerCases(t, []layerCase{
		// The tutorial's decoder (REFERENCE.md): 18,464 + 4,624 + 145.
		{name: "tutorial/3x3x64", spec: deconv(32, 3, 2, Valid, SELU), in: []int{3, 3, 64}, wantOut: []int{7, 7, 32}, wantParams: 18_464, noGrad: true},
		{name: "tutorial/7x7x32", spec: deconv(16, 3, 2, Same, SELU), in: []int{7, 7, 32}, wantOut: []int{14, 14, 16}, wantParams: 4_624, noGrad: true},
		{name: "tutorial/14x14x16", spec: deconv(1, 3, 2, Same, Sigmoid), in: []int{14, 14, 16}, wantOut: []int{28, 28, 1}, wantParams: 145, noGrad: true},

		{name: "k3s2/valid/selu", spec: deconv(2, 3, 2, Valid, SELU), in: []int{3, 2, 3}, wantOut: []int{7, 5, 2}, wantParams: 9*2*3 + 2},
		{name: "k3s2/same/sigmoid", spec: deconv(2, 3, 2, Same, Sigmoid), in: []int{3, 3, 2}, wantOut: []int{6, 6, 2}, wantParams: 9*2*2 + 2},
		{name: "k3s1/same/tanh", spec: deconv(3, 3, 1, Same, Tanh), in: []int{4, 3, 2}, wantOut: []int{4, 3, 3}, wantParams: 9*3*2 + 3},
		{name: "k3s1/valid/relu", spec: deconv(2, 3, 1, Valid, ReLU), in: []int{2, 3, 2}, wantOut: []int{4, 5, 2}, wantParams: 9*2*2 + 2},
		// k < s: VALID gives in*s, with output pixels no window reaches.
		{name: "k2s3/valid/linear", spec: deconv(2, 2, 3, Valid, Linear), in: []int{2, 2, 2}, wantOut: []int{6, 6, 2}, wantParams: 4*2*2 + 2},
		{name: "k4s2/same/selu", spec: deconv(2, 4, 2, Same, SELU), in: []int{3, 2, 1}, wantOut: []int{6, 4, 2}, wantParams: 16*2*1 + 2},
		{name: "k1s1/linear", spec: deconv(3, 1, 1, Valid, Linear), in: []int{2, 2, 2}, wantOut: []int{2, 2, 3}, wantParams: 2*3 + 3},
	})
}

func TestMaxPool2D(t *testing.T) {
	// Distinct values 0.1 apart, so the finite differences (eps 0.01) never
	// change which input wins a window.
	spread := func(shape []int) *tensor.Tensor {
		x := tensor.New(shape...)
		perm := rand.New(rand.NewPCG(9, 9)).Perm(len(x.Data))
		for i, p := range perm {
			x.Data[i] = 0.1 * float32(p-len(perm)/2)
		}
		return x
	}
	pool := func(p int) Spec { return Spec{Type: "MaxPool2D", PoolSize: p} }
	runLayerCases(t, []layerCase{
		{name: "tutorial/28", spec: pool(2), in: []int{28, 28, 16}, wantOut: []int{14, 14, 16}, noGrad: true},
		{name: "tutorial/7->3", spec: pool(2), in: []int{7, 7, 64}, wantOut: []int{3, 3, 64}, noGrad: true},
		{name: "2/odd", spec: pool(2), in: []int{5, 7, 3}, wantOut: []int{2, 3, 3}, input: spread},
		{name: "3", spec: pool(3), in: []int{6, 7, 2}, wantOut: []int{2, 2, 2}, input: spread},
		{name: "1", spec: pool(1), in: []int{2, 3, 2}, wantOut: []int{2, 3, 2}, input: spread},
	})
}

// TestMaxPool2DTies checks that a tied window sends its gradient to the
// first of its maxima in row order, and only there.
func TestMaxPool2DTies(t *testing.T) {
	l := NewMaxPool2D(2)
	if _, err := l.Build([]int{2, 2, 1}, nil); err != nil {
		t.Fatal(err)
	}
	x := tensor.FromData([]float32{1, 3, 3, 3}, 1, 2, 2, 1)
	if y := l.Forward(x, true); y.Data[0] != 3 {
		t.Fatalf("max = %g, want 3", y.Data[0])
	}
	dx := l.Backward(tensor.FromData([]float32{5}, 1, 1, 1, 1))
	if want := []float32{0, 5, 0, 0}; fmt.Sprint(dx.Data) != fmt.Sprint(want) {
		t.Errorf("dx = %v, want %v", dx.Data, want)
	}
}

// convRef is Conv2D from its definition, with TensorFlow's padding worked
// out here independently of the layer:
//
//	y[n][oy][ox][f] = bias[f] + sum x[n][oy*s+di-pad][ox*s+dj-pad][c] * kernel[di][dj][c][f]
func convRef(x *tensor.Tensor, kernel []float32, bias []float32, k, s int, pad Padding, filters int) *tensor.Tensor {
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	size := func(in int) (out, before int) {
		if pad == Valid {
			return (in-k)/s + 1, 0
		}
		out = int(math.Ceil(float64(in) / float64(s)))
		return out, max((out-1)*s+k-in, 0) / 2
	}
	oh, pt := size(h)
	ow, pl := size(w)
	y := tensor.New(n, oh, ow, filters)
	for b := 0; b < n; b++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for f := 0; f < filters; f++ {
					z := float64(bias[f])
					for di := 0; di < k; di++ {
						for dj := 0; dj < k; dj++ {
							iy, ix := oy*s+di-pt, ox*s+dj-pl
							if iy < 0 || iy >= h || ix < 0 || ix >= w {
								continue
							}
							for ch := 0; ch < c; ch++ {
								z += float64(x.Data[((b*h+iy)*w+ix)*c+ch]) * float64(kernel[((di*k+dj)*c+ch)*filters+f])
							}
						}
					}
					y.Data[((b*oh+oy)*ow+ox)*filters+f] = float32(z)
				}
			}
		}
	}
	return y
}

// deconvRef is Conv2DTranspose from its definition: every input pixel
// scatters x*kernel over the full (in-1)*s+k output, of which TensorFlow
// keeps rows and columns pad .. pad+out-1 (Keras's output size; TF's pad,
// that of the forward SAME conv from out back to in).
//
//	full[n][i*s+di][j*s+dj][f] += x[n][i][j][c] * kernel[di][dj][f][c]
func deconvRef(x *tensor.Tensor, kernel []float32, bias []float32, k, s int, pad Padding, filters int) *tensor.Tensor {
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	size := func(in int) (out, before int) {
		if pad == Valid {
			return in*s + max(k-s, 0), 0
		}
		out = in * s
		return out, max((in-1)*s+k-out, 0) / 2
	}
	oh, pt := size(h)
	ow, pl := size(w)
	fh, fw := (h-1)*s+k, (w-1)*s+k
	full := make([]float64, n*fh*fw*filters)
	for b := 0; b < n; b++ {
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				for di := 0; di < k; di++ {
					for dj := 0; dj < k; dj++ {
						for f := 0; f < filters; f++ {
							for ch := 0; ch < c; ch++ {
								full[((b*fh+i*s+di)*fw+j*s+dj)*filters+f] += float64(x.Data[((b*h+i)*w+j)*c+ch]) * float64(kernel[((di*k+dj)*filters+f)*c+ch])
							}
						}
					}
				}
			}
		}
	}
	y := tensor.New(n, oh, ow, filters)
	for b := 0; b < n; b++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for f := 0; f < filters; f++ {
					v := float64(bias[f])
					if fy, fx := oy+pt, ox+pl; fy < fh && fx < fw {
						v += full[((b*fh+fy)*fw+fx)*filters+f]
					}
					y.Data[((b*oh+oy)*ow+ox)*filters+f] = float32(v)
				}
			}
		}
	}
	return y
}

// TestConvMatchesDefinition compares both convolution layers (linear, with
// iota-like weights) with the plain loops above over strides, paddings,
// kernel sizes and odd image sizes.
func TestConvMatchesDefinition(t *testing.T) {
	type cfg struct {
		k, s    int
		pad     Padding
		h, w, c int
		filters int
	}
	var cfgs []cfg
	for _, k := range []int{1, 2, 3, 4} {
		for _, s := range []int{1, 2, 3} {
			for _, pad := range []Padding{Same, Valid} {
				cfgs = append(cfgs, cfg{k, s, pad, 7, 5, 2, 3}, cfg{k, s, pad, 4, 6, 1, 2})
			}
		}
	}
	for _, c := range cfgs {
		name := fmt.Sprintf("k%d/s%d/%s/%dx%dx%d", c.k, c.s, c.pad, c.h, c.w, c.c)
		x := tensor.New(2, c.h, c.w, c.c)
		iotaFill(x.Data, 0.1)
		compare := func(what string, got, want *tensor.Tensor) {
			t.Helper()
			if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
				t.Fatalf("%s %s: shape %v, want %v", what, name, got.Shape, want.Shape)
			}
			for i := range want.Data {
				if d := math.Abs(float64(got.Data[i] - want.Data[i])); d > 1e-5 {
					t.Fatalf("%s %s: y[%d] = %g, want %g", what, name, i, got.Data[i], want.Data[i])
				}
			}
		}

		conv := NewConv2D(c.filters, c.k, c.s, c.pad, Linear)
		if _, err := conv.Build([]int{c.h, c.w, c.c}, rand.New(rand.NewPCG(1, 2))); err == nil {
			iotaFill(conv.kernel.Value.Data, 0.05)
			iotaFill(conv.bias.Value.Data, 0.3)
			compare("Conv2D", conv.Forward(x, false), convRef(x, conv.kernel.Value.Data, conv.bias.Value.Data, c.k, c.s, c.pad, c.filters))
		} else if c.pad == Same || c.h >= c.k && c.w >= c.k {
			t.Fatalf("Conv2D %s: %v", name, err)
		}

		deconv := NewConv2DTranspose(c.filters, c.k, c.s, c.pad, Linear)
		if _, err := deconv.Build([]int{c.h, c.w, c.c}, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatalf("Conv2DTranspose %s: %v", name, err)
		}
		iotaFill(deconv.kernel.Value.Data, 0.05)
		iotaFill(deconv.bias.Value.Data, 0.3)
		compare("Conv2DTranspose", deconv.Forward(x, false), deconvRef(x, deconv.kernel.Value.Data, deconv.bias.Value.Data, c.k, c.s, c.pad, c.filters))
	}
}

// TestConv2DTransposeTensorFlowAlignment pins TensorFlow's placement of
// SAME padding by hand: one pixel x through a 3x3 kernel with stride 2
// reaches a 3x3 window, of which TensorFlow keeps the top-left 2x2
// (PyTorch's padding=1, output_padding=1 would keep the bottom-right 2x2).
func TestConv2DTransposeTensorFlowAlignment(t *testing.T) {
	l := NewConv2DTranspose(1, 3, 2, Same, Linear)
	if _, err := l.Build([]int{1, 1, 1}, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	copy(l.kernel.Value.Data, []float32{
		1, 2, 3,
		4, 5, 6,
		7, 8, 9,
	})
	y := l.Forward(tensor.FromData([]float32{10}, 1, 1, 1, 1), false)
	want := []float32{
		10, 20,
		40, 50,
	}
	if fmt.Sprint(y.Shape, y.Data) != fmt.Sprint([]int{1, 2, 2, 1}, want) {
		t.Errorf("got %v %v, want [1 2 2 1] %v", y.Shape, y.Data, want)
	}

	// The forward SAME conv that it is the gradient of: 2x2 -> 1x1 pads
	// nothing before and one row and column after, so its window over the
	// input is the kernel's top-left 2x2.
	c := NewConv2D(1, 3, 2, Same, Linear)
	if _, err := c.Build([]int{2, 2, 1}, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	copy(c.kernel.Value.Data, l.kernel.Value.Data)
	z := c.Forward(tensor.FromData([]float32{1, 1, 1, 1}, 1, 2, 2, 1), false)
	if z.Data[0] != 1+2+4+5 {
		t.Errorf("SAME conv 2x2 -> 1x1 of ones = %g, want %d", z.Data[0], 1+2+4+5)
	}
}

// TestConv2DTransposeIsConvGradient checks the defining adjoint identity
// <deconv(x), y> = <x, conv(y)> for the same kernel (bias 0, linear): the
// transposed convolution is the input gradient of Conv2D from its output
// size back to its input size.
func TestConv2DTransposeIsConvGradient(t *testing.T) {
	for _, c := range []struct {
		k, s int
		pad  Padding
		in   []int
	}{
		{3, 2, Same, []int{3, 4, 2}},
		{3, 2, Valid, []int{3, 3, 2}},
		{4, 2, Same, []int{3, 3, 1}},
		{3, 1, Same, []int{4, 3, 2}},
		{5, 3, Same, []int{2, 3, 2}},
	} {
		const filters = 3
		d := NewConv2DTranspose(filters, c.k, c.s, c.pad, Linear)
		out, err := d.Build(c.in, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		conv := NewConv2D(c.in[2], c.k, c.s, c.pad, Linear)
		back, err := conv.Build(out, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(back) != fmt.Sprint(c.in) {
			t.Fatalf("%+v: Conv2D maps the Conv2DTranspose output %v to %v, want %v", c, out, back, c.in)
		}
		// The same numbers: deconv kernel [k,k,filters,cin] is conv's [k,k,cin',cout'].
		iotaFill(d.kernel.Value.Data, 0.05)
		copy(conv.kernel.Value.Data, d.kernel.Value.Data)

		rng := rand.New(rand.NewPCG(3, 3))
		x := randTensorNormal(rng, append([]int{2}, c.in...)...)
		y := randTensorNormal(rng, append([]int{2}, out...)...)
		lhs := dot(d.Forward(x, false).Data, y.Data)
		rhs := dot(x.Data, conv.Forward(y, false).Data)
		if math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
			t.Errorf("%+v: <deconv(x), y> = %g, <x, conv(y)> = %g", c, lhs, rhs)
		}
	}
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
