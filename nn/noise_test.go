package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/autoenc/autoenc/tensor"
)

// reseeded runs a noise layer with the same draws on every Forward, by
// reseeding the PCG behind its rng first, so that finite differences see a
// fixed noise or mask.
type reseeded struct {
	Layer
	pcg *rand.PCG
}

func (r reseeded) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	r.pcg.Seed(11, 12)
	return r.Layer.Forward(x, training)
}

func TestNoiseLayers(t *testing.T) {
	for _, c := range []struct {
		name string
		spec Spec
	}{
		{"GaussianNoise/0.2", Spec{Type: "GaussianNoise", Stddev: 0.2}},
		{"GaussianNoise/0", Spec{Type: "GaussianNoise"}},
		{"Dropout/0.5", Spec{Type: "Dropout", Rate: 0.5}},
		{"Dropout/0.3", Spec{Type: "Dropout", Rate: 0.3}},
		{"Dropout/0", Spec{Type: "Dropout"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := roundTripLayer(t, c.spec)
			pcg := rand.NewPCG(1, 2)
			in := []int{3, 4}
			out, err := l.Build(in, rand.New(pcg))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(out, in) || l.Params() != nil {
				t.Fatalf("Build = %v with %d params, want %v and none", out, len(l.Params()), in)
			}
			x := randTensorNormal(rand.New(rand.NewPCG(3, 4)), 2, 3, 4)
			// Inference: the identity, forward and backward.
			if y := l.Forward(x, false); !slices.Equal(y.Data, x.Data) || !slices.Equal(y.Shape, x.Shape) {
				t.Errorf("Forward(training=false) changed its input")
			}
			dy := randTensorNormal(rand.New(rand.NewPCG(5, 6)), 2, 3, 4)
			if dx := l.Backward(dy); !slices.Equal(dx.Data, dy.Data) {
				t.Errorf("Backward after inference is not the identity")
			}
			checkGradients(t, reseeded{l, pcg}, x)
		})
	}
}

// TestGaussianNoiseStatistics checks the noise y - x: mean 0, standard
// deviation stddev (for 20,000 draws, within 3% and 0.01).
func TestGaussianNoiseStatistics(t *testing.T) {
	const stddev, n = 0.2, 20_000
	l := NewGaussianNoise(stddev)
	if _, err := l.Build([]int{n}, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(1, n)
	iotaFill(x.Data, 1)
	y := l.Forward(x, true)
	var sum, sum2 float64
	for i := range y.Data {
		d := float64(y.Data[i] - x.Data[i])
		sum += d
		sum2 += d * d
	}
	mean, sd := sum/n, math.Sqrt(sum2/n-(sum/n)*(sum/n))
	if math.Abs(mean) > 0.01 || math.Abs(sd-stddev) > 0.03*stddev {
		t.Errorf("noise mean %g, stddev %g; want 0, %g", mean, sd, stddev)
	}
	// Backward is the identity.
	dy := tensor.New(1, n)
	iotaFill(dy.Data, 1)
	if dx := l.Backward(dy); !slices.Equal(dx.Data, dy.Data) {
		t.Errorf("Backward is not the identity")
	}
}

// TestDropoutMask checks inverted dropout: every value is either 0 or
// x/(1-rate), about rate of them are 0, and Backward applies the same mask.
func TestDropoutMask(t *testing.T) {
	const rate, n = 0.5, 20_000
	l := NewDropout(rate)
	if _, err := l.Build([]int{n}, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(1, n)
	for i := range x.Data {
		x.Data[i] = 1 + float32(i%5)
	}
	y := l.Forward(x, true)
	dy := tensor.New(1, n)
	for i := range dy.Data {
		dy.Data[i] = 3
	}
	dx := l.Backward(dy)
	dropped := 0
	for i, v := range y.Data {
		switch v {
		case 0:
			dropped++
			if dx.Data[i] != 0 {
				t.Fatalf("value %d dropped but its gradient is %g", i, dx.Data[i])
			}
		case x.Data[i] / (1 - rate):
			if dx.Data[i] != 3/(1-rate) {
				t.Fatalf("value %d kept but its gradient is %g, want %g", i, dx.Data[i], 3/(1-rate))
			}
		default:
			t.Fatalf("y[%d] = %g, want 0 or %g", i, v, x.Data[i]/(1-rate))
		}
	}
	// Binomial(20000, 0.5): standard deviation about 71, so 400 is > 5 sigma.
	if dropped < n*rate-400 || dropped > n*rate+400 {
		t.Errorf("%d of %d dropped, want about %d", dropped, n, int(n*rate))
	}
}
