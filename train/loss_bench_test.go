package train

import (
	"math/rand/v2"
	"testing"

	"github.com/autoenc/autoenc/tensor"
)

// BenchmarkLoss measures each loss on a batch of 32 Fashion-MNIST-like
// images: about half the targets exactly 0, as in the data set.
//
//	go test -run - -bench Loss ./train
func BenchmarkLoss(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	pred, target, grad := tensor.New(32, 28, 28), tensor.New(32, 28, 28), tensor.New(32, 28, 28)
	for i := range pred.Data {
		pred.Data[i] = rng.Float32()
		if rng.IntN(2) == 0 {
			target.Data[i] = rng.Float32()
		}
	}
	for _, loss := range []Loss{BinaryCrossentropy{}, MSE{}} {
		b.Run(loss.Name(), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				loss.Compute(pred, target, grad)
			}
		})
	}
	b.Run("rounded_accuracy", func(b *testing.B) {
		for range b.N {
			RoundedAccuracy(pred, target)
		}
	})
}
