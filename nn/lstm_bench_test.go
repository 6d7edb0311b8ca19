package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/autoenc/autoenc/tensor"
)

// BenchmarkLSTM times one Forward+Backward of each of the recurrent
// autoencoder's LSTMs at the tutorial's batch size, 32.
func BenchmarkLSTM(b *testing.B) {
	for _, tc := range tutorialLSTMs {
		b.Run(tc.name, func(b *testing.B) {
			l := NewLSTM(tc.units, tc.returnSeq)
			if _, err := l.Build(tc.in, rand.New(rand.NewPCG(1, 2))); err != nil {
				b.Fatal(err)
			}
			x := tensor.New(append([]int{32}, tc.in...)...)
			fillDeterministic(x.Data)
			dy := l.Forward(x, true).Clone()
			fillDeterministic(dy.Data)
			b.ReportAllocs()
			for b.Loop() {
				l.Forward(x, true)
				l.Backward(dy)
			}
		})
	}
}
