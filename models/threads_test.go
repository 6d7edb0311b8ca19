package models

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoenc/autoenc/internal/kernels"
	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/tensor"
	"github.com/autoenc/autoenc/train"
)

// TestThreadsBitIdentical trains every built-in model for a few steps on 1,
// 2 and 3 threads and checks that the weights come out bit for bit the
// same: the kernels and layers split work in fixed pieces and add partial
// sums in a fixed order. The batch of 30 leaves a partial last chunk in
// the convolution layers.
func TestThreadsBitIdentical(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	for _, bi := range All() {
		t.Run(bi.Name, func(t *testing.T) {
			var first []float32
			for _, threads := range []int{1, 2, 3} {
				kernels.SetThreads(threads)
				got := trainFewSteps(t, bi, 30, 3)
				if first == nil {
					first = got
					continue
				}
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
						t.Fatalf("threads=%d: weight %d = %v, threads=1 gave %v", threads, i, got[i], first[i])
					}
				}
			}
		})
	}
}

// trainFewSteps runs steps SGD steps of bi on a fixed random batch and
// returns all weights, concatenated.
func trainFewSteps(t *testing.T, bi Builtin, batch, steps int) []float32 {
	t.Helper()
	m, err := nn.NewModel(bi.Spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	x := tensor.New(append([]int{batch}, bi.Spec.InputShape...)...)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	grad := tensor.New(x.Shape...)
	loss := train.BinaryCrossentropy{}
	opt := &train.SGD{LearningRate: bi.Train.LearningRate}
	for range steps {
		y := m.Net.Forward(x, true)
		loss.Compute(y, x, grad)
		m.Net.Backward(grad)
		opt.Step(m.Params())
	}
	var w []float32
	for _, p := range m.Params() {
		w = append(w, p.Value.Data...)
	}
	if len(w) == 0 {
		t.Fatalf("%s has no weights", bi.Name)
	}
	return w
}
