package train

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/tensor"
)

// TestLossGradients checks each loss's gradient against central finite
// differences in float64 of its own value.
func TestLossGradients(t *testing.T) {
	pred := tensor.FromData([]float32{0.1, 0.5, 0.9, 0.3, 0.02, 0.7}, 2, 3)
	target := tensor.FromData([]float32{0, 0.5, 1, 0.2, 0.98, 0.4}, 2, 3)
	for _, loss := range []Loss{BinaryCrossentropy{}, MSE{}} {
		t.Run(loss.Name(), func(t *testing.T) {
			grad := tensor.New(2, 3)
			loss.Compute(pred, target, grad)
			g := tensor.New(2, 3)
			for i := range pred.Data {
				const eps = 1e-3
				old := pred.Data[i]
				pred.Data[i] = old + eps
				lp := loss.Compute(pred, target, g)
				pred.Data[i] = old - eps
				lm := loss.Compute(pred, target, g)
				pred.Data[i] = old
				num := (lp - lm) / (2 * eps)
				if d := math.Abs(float64(grad.Data[i]) - num); d > 1e-4+1e-3*math.Abs(num) {
					t.Errorf("d%s/dp[%d]: analytic %g, numeric %g", loss.Name(), i, grad.Data[i], num)
				}
			}
		})
	}
}

// TestBinaryCrossentropyValue checks Keras's formula on hand-computed values,
// including the clip at 1e-7 (whose gradient is zero).
func TestBinaryCrossentropyValue(t *testing.T) {
	pred := tensor.FromData([]float32{0.25, 0, 1}, 3)
	target := tensor.FromData([]float32{1, 0, 0}, 3)
	grad := tensor.New(3)
	got := BinaryCrossentropy{}.Compute(pred, target, grad)
	// -log(0.25+eps); -log(1-eps+eps) = 0; -log(1-(1-eps)+eps), in float32
	// as Keras computes it: 1-eps rounds to 1-2^-23, so the last is
	// -log(2^-23+eps) = 15.33, not -log(2e-7) = 15.42.
	eps := float32(1e-7)
	top := float64(1 - eps)
	want := (-math.Log(0.25+float64(eps)) - math.Log(1) - math.Log(1-top+float64(eps))) / 3
	if math.Abs(got-want) > 1e-6 {
		t.Errorf("loss = %.9g, want %.9g", got, want)
	}
	if grad.Data[1] != 0 || grad.Data[2] != 0 {
		t.Errorf("gradient where the clip is active = %v, want 0", grad.Data[1:])
	}
}

func TestRoundedAccuracy(t *testing.T) {
	pred := tensor.FromData([]float32{0.6, 0.4, 0.5, 0.51}, 4)
	target := tensor.FromData([]float32{0.7, 0.3, 0.2, 0.5}, 4)
	// hits: 0.6 vs 0.7 yes; 0.4 vs 0.3 yes; 0.5 (->0) vs 0.2 (->0) yes; 0.51 (->1) vs 0.5 (->0, half to even) no.
	if got := RoundedAccuracy(pred, target); got != 0.75 {
		t.Errorf("RoundedAccuracy = %v, want 0.75", got)
	}
}

func param(v ...float32) *nn.Param {
	return &nn.Param{Name: "w", Value: tensor.FromData(v, len(v)), Grad: tensor.New(len(v))}
}

// TestOptimizers follows two steps of each optimizer by hand.
func TestOptimizers(t *testing.T) {
	cases := []struct {
		name string
		opt  Optimizer
		want float64 // w after two steps with gradient 1 from w = 1
	}{
		{"sgd", &SGD{LearningRate: 0.1}, 1 - 0.1 - 0.1},
		// v1 = -0.1, w = 0.9; v2 = 0.9*-0.1 - 0.1 = -0.19, w = 0.71.
		{"momentum", &SGD{LearningRate: 0.1, Momentum: 0.9}, 0.71},
		// w1 = 1 + 0.9*-0.1 - 0.1 = 0.81; v2 = -0.19, w2 = 0.81 + 0.9*-0.19 - 0.1 = 0.539.
		{"nesterov", &SGD{LearningRate: 0.1, Momentum: 0.9, Nesterov: true}, 0.539},
		// With a constant gradient g, m/sqrt(v) after bias correction is 1 each step
		// (up to eps): w = 1 - 2*lr.
		{"adam", &Adam{LearningRate: 0.01, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}, 0.98},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := param(1)
			for range 2 {
				p.Grad.Data[0] = 1
				c.opt.Step([]*nn.Param{p})
				if p.Grad.Data[0] != 0 {
					t.Fatalf("gradient not cleared: %v", p.Grad.Data[0])
				}
			}
			if got := float64(p.Value.Data[0]); math.Abs(got-c.want) > 1e-5 {
				t.Errorf("w = %.7g, want %.7g", got, c.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{Loss: "binary_crossentropy", Optimizer: "sgd", LearningRate: 1, Epochs: 1, BatchSize: 32}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Epochs = 0 }, "epochs must be a positive integer, got 0"},
		{func(c *Config) { c.Epochs = -3 }, "got -3"},
		{func(c *Config) { c.BatchSize = 0 }, "batch size must be a positive integer, got 0"},
		{func(c *Config) { c.LearningRate = -0.1 }, "learning rate must be a positive number, got -0.1"},
		{func(c *Config) { c.LearningRate = math.NaN() }, "learning rate"},
		{func(c *Config) { c.Optimizer = "rmsprop" }, `unknown optimizer "rmsprop"`},
		{func(c *Config) { c.Loss = "hinge" }, `unknown loss "hinge"`},
	}
	for _, tc := range cases {
		c := good
		tc.edit(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want an error containing %q", c, err, tc.want)
		}
	}
}

// tinyModel is a small dense autoencoder on 4x4 "images".
func tinyModel(t *testing.T, seed uint64) *nn.Model { return tinyModelOut(t, seed, "sigmoid") }

// tinyModelOut is tinyModel with the given output activation.
func tinyModelOut(t *testing.T, seed uint64, out string) *nn.Model {
	t.Helper()
	spec := nn.Spec{Type: "Sequential", Name: "tiny", InputShape: []int{4, 4}, Layers: []nn.Spec{
		{Type: "Sequential", Name: "encoder", Layers: []nn.Spec{{Type: "Flatten"}, {Type: "Dense", Units: 3, Activation: "selu"}}},
		{Type: "Sequential", Name: "decoder", Layers: []nn.Spec{{Type: "Dense", Units: 16, Activation: out}, {Type: "Reshape", TargetShape: []int{4, 4}}}},
	}}
	m, err := nn.NewModel(spec, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// tinyData is n 4x4 images made of two bar patterns with varying intensity.
func tinyData(n int) *tensor.Tensor {
	x := tensor.New(n, 4, 4)
	for i := 0; i < n; i++ {
		for r := 0; r < 4; r++ {
			for c := 0; c < 4; c++ {
				v := float32(0.1)
				if (i%2 == 0 && r == 1) || (i%2 == 1 && c == 2) {
					v = 0.5 + float32(i%5)/10
				}
				x.Data[i*16+r*4+c] = v
			}
		}
	}
	return x
}

func TestFitLearnsAndIsDeterministic(t *testing.T) {
	cfg := Config{Loss: "binary_crossentropy", Optimizer: "sgd", LearningRate: 1, Epochs: 30, BatchSize: 8, Seed: 3}
	x, val := tinyData(64), tinyData(16)
	run := func() (*nn.Model, History) {
		m := tinyModel(t, cfg.Seed)
		h, err := Fit(context.Background(), m, x, val, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m, h
	}
	m1, h := run()
	if len(h) != cfg.Epochs || h[0].Steps != 8 {
		t.Fatalf("history has %d epochs of %d steps, want %d of 8", len(h), h[0].Steps, cfg.Epochs)
	}
	if first, last := h[0].ValLoss, h[len(h)-1].ValLoss; !(last < 0.8*first) {
		t.Errorf("val_loss went from %.4f to %.4f, expected to fall by 20%%", first, last)
	}
	m2, _ := run()
	for i, p := range m1.Params() {
		for j, v := range p.Value.Data {
			if v != m2.Params()[i].Value.Data[j] {
				t.Fatalf("same seed, different weights: %s[%d] %v vs %v", p.Name, j, v, m2.Params()[i].Value.Data[j])
			}
		}
	}
}

func TestFitStopsOnCancelAndDivergence(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := Config{Loss: "mse", Optimizer: "sgd", LearningRate: 0.1, Epochs: 2, BatchSize: 4}
	if _, err := Fit(ctx, tinyModel(t, 1), tinyData(8), nil, cfg, nil); err != context.Canceled {
		t.Errorf("cancelled Fit returned %v, want context.Canceled", err)
	}
	cfg.LearningRate = 1e5
	cfg.Epochs = 5
	_, err := Fit(context.Background(), tinyModelOut(t, 1, "linear"), tinyData(8), nil, cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "lower learning rate") {
		t.Errorf("diverging Fit returned %v, want an error suggesting a lower learning rate", err)
	}
}

func TestFitRejectsWrongShape(t *testing.T) {
	cfg := Config{Loss: "mse", Optimizer: "sgd", LearningRate: 0.1, Epochs: 1, BatchSize: 4}
	_, err := Fit(context.Background(), tinyModel(t, 1), tensor.New(8, 5, 5), nil, cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "model expects [4 4]") {
		t.Errorf("got %v, want a shape error", err)
	}
}
