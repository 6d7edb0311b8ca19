package models

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/autoenc/autoenc/internal/kernels"
	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/tensor"
	"github.com/autoenc/autoenc/train"
)

// BenchmarkTrainStep measures one training step (forward, loss, backward,
// SGD update) of each built-in model on a batch of 32, as in the tutorial.
//
//	go test -run - -bench TrainStep -benchmem ./models
//
// Each runs on one thread and on Threads() (all cores), to show what the
// second core brings.
func BenchmarkTrainStep(b *testing.B) {
	defer kernels.SetThreads(kernels.Threads())
	all := kernels.Threads()
	for _, bi := range All() {
		for _, threads := range []int{1, all} {
			b.Run(fmt.Sprintf("%s/threads=%d", bi.Name, threads), func(b *testing.B) {
				kernels.SetThreads(threads)
				benchTrainStep(b, bi)
			})
		}
	}
}

func benchTrainStep(b *testing.B, bi Builtin) {
	m, err := nn.NewModel(bi.Spec, 1)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensor.New(append([]int{32}, bi.Spec.InputShape...)...)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	loss := train.BinaryCrossentropy{}
	opt := &train.SGD{LearningRate: bi.Train.LearningRate}
	grad := tensor.New(x.Shape...)
	step := func() {
		y := m.Net.Forward(x, true)
		loss.Compute(y, x, grad)
		m.Net.Backward(grad)
		opt.Step(m.Params())
	}
	step() // sizes the buffers
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		step()
	}
	b.ReportMetric(float64(32*b.N)/b.Elapsed().Seconds(), "images/s")
}
