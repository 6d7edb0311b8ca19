package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkAct times each activation per implementation on a conv layer's
// output (batch 32, 28x28x16 values) in one goroutine.
//
//	go test -run - -bench Act ./internal/kernels
func BenchmarkAct(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 32*28*28*16)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y := make([]float32, len(x))
	for _, k := range append([]*actKernel{&actGo}, archActKernels...) {
		if !k.ok {
			continue
		}
		for _, f := range []struct {
			name string
			fn   func([]float32)
		}{{"selu", k.selu}, {"sigmoid", k.sigmoid}, {"tanh", k.tanh}} {
			b.Run(fmt.Sprintf("impl=%s/%s", k.name, f.name), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(4 * len(x)))
				for range b.N {
					copy(y, x)
					f.fn(y)
				}
			})
		}
	}
}
