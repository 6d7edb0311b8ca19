package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/autoenc/autoenc/internal/kernels"
	"github.com/autoenc/autoenc/tensor"
)

// tutorialLayers are the layers of REFERENCE.md's models at their sizes
// there, named type/input shape, plus two whole networks built of them.
var tutorialLayers = []struct {
	name string
	spec Spec
	in   []int
}{
	{"Dense/784-100", Spec{Type: "Dense", Units: 100, Activation: "selu"}, []int{784}},
	{"Dense/100-30", Spec{Type: "Dense", Units: 30, Activation: "selu"}, []int{100}},
	{"Dense/30-100", Spec{Type: "Dense", Units: 100, Activation: "selu"}, []int{30}},
	{"Dense/100-784", Spec{Type: "Dense", Units: 784, Activation: "sigmoid"}, []int{100}},
	{"Dense/time28x100-28", Spec{Type: "Dense", Units: 28, Activation: "sigmoid"}, []int{28, 100}},
	{"Conv2D/28x28x1", Spec{Type: "Conv2D", Filters: 16, KernelSize: 3, Padding: "same", Activation: "selu"}, []int{28, 28, 1}},
	{"Conv2D/14x14x16", Spec{Type: "Conv2D", Filters: 32, KernelSize: 3, Padding: "same", Activation: "selu"}, []int{14, 14, 16}},
	{"Conv2D/7x7x32", Spec{Type: "Conv2D", Filters: 64, KernelSize: 3, Padding: "same", Activation: "selu"}, []int{7, 7, 32}},
	{"MaxPool2D/28x28x16", Spec{Type: "MaxPool2D", PoolSize: 2}, []int{28, 28, 16}},
	{"MaxPool2D/14x14x32", Spec{Type: "MaxPool2D", PoolSize: 2}, []int{14, 14, 32}},
	{"MaxPool2D/7x7x64", Spec{Type: "MaxPool2D", PoolSize: 2}, []int{7, 7, 64}},
	{"Conv2DTranspose/3x3x64", Spec{Type: "Conv2DTranspose", Filters: 32, KernelSize: 3, Strides: 2, Padding: "valid", Activation: "selu"}, []int{3, 3, 64}},
	{"Conv2DTranspose/7x7x32", Spec{Type: "Conv2DTranspose", Filters: 16, KernelSize: 3, Strides: 2, Padding: "same", Activation: "selu"}, []int{7, 7, 32}},
	{"Conv2DTranspose/14x14x16", Spec{Type: "Conv2DTranspose", Filters: 1, KernelSize: 3, Strides: 2, Padding: "same", Activation: "sigmoid"}, []int{14, 14, 16}},
	{"Flatten/28x28", Spec{Type: "Flatten"}, []int{28, 28}},
	{"Reshape/784", Spec{Type: "Reshape", TargetShape: []int{28, 28}}, []int{784}},
	{"GaussianNoise/784", Spec{Type: "GaussianNoise", Stddev: 0.2}, []int{784}},
	{"Dropout/784", Spec{Type: "Dropout", Rate: 0.5}, []int{784}},
	{"Sequential/stacked", Spec{Type: "Sequential", Layers: []Spec{
		{Type: "Flatten"},
		{Type: "GaussianNoise", Stddev: 0.2},
		{Type: "Dense", Units: 100, Activation: "selu"},
		{Type: "Dense", Units: 30, Activation: "selu"},
		{Type: "Dense", Units: 100, Activation: "selu"},
		{Type: "Dense", Units: 784, Activation: "sigmoid"},
		{Type: "Reshape", TargetShape: []int{28, 28}},
	}}, []int{28, 28}},
	{"Sequential/conv", Spec{Type: "Sequential", Layers: []Spec{
		{Type: "Reshape", TargetShape: []int{28, 28, 1}},
		{Type: "Conv2D", Filters: 16, KernelSize: 3, Padding: "same", Activation: "selu"},
		{Type: "MaxPool2D", PoolSize: 2},
		{Type: "Conv2D", Filters: 32, KernelSize: 3, Padding: "same", Activation: "selu"},
		{Type: "MaxPool2D", PoolSize: 2},
		{Type: "Conv2D", Filters: 64, KernelSize: 3, Padding: "same", Activation: "selu"},
		{Type: "MaxPool2D", PoolSize: 2},
		{Type: "Conv2DTranspose", Filters: 32, KernelSize: 3, Strides: 2, Padding: "valid", Activation: "selu"},
		{Type: "Conv2DTranspose", Filters: 16, KernelSize: 3, Strides: 2, Padding: "same", Activation: "selu"},
		{Type: "Conv2DTranspose", Filters: 1, KernelSize: 3, Strides: 2, Padding: "same", Activation: "sigmoid"},
		{Type: "Reshape", TargetShape: []int{28, 28}},
	}}, []int{28, 28}},
}

// trainStep holds a built layer, an input batch and an output gradient,
// and runs one training forward and backward pass. newTrainStep runs one
// already, so that the layer has its buffers for the batch size.
type trainStep struct {
	l      Layer
	x, dy  *tensor.Tensor
	dyInit []float32
}

func newTrainStep(tb testing.TB, spec Spec, in []int, batch int) *trainStep {
	tb.Helper()
	l, err := FromSpec(spec)
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	if _, err := l.Build(in, rng); err != nil {
		tb.Fatal(err)
	}
	x := randTensorNormal(rng, append([]int{batch}, in...)...)
	y := l.Forward(x, true)
	dy := randTensorNormal(rng, y.Shape...)
	s := &trainStep{l: l, x: x, dy: dy, dyInit: append([]float32(nil), dy.Data...)}
	s.run() // the first Backward at a batch size makes its buffers
	return s
}

// run does Forward then Backward. Backward may overwrite dy (the fused
// activation's gradient is taken in place), so dy is restored first.
func (s *trainStep) run() {
	copy(s.dy.Data, s.dyInit)
	s.l.Forward(s.x, true)
	s.l.Backward(s.dy)
}

// TestLayersDoNotAllocate checks that, once a layer has seen a batch size,
// training steps at that size make no heap allocations.
func TestLayersDoNotAllocate(t *testing.T) {
	for _, c := range tutorialLayers {
		t.Run(c.name, func(t *testing.T) {
			s := newTrainStep(t, c.spec, c.in, 4)
			if n := testing.AllocsPerRun(3, s.run); n != 0 {
				t.Errorf("%g allocations per forward+backward, want 0", n)
			}
		})
	}
}

// BenchmarkLayers times one forward and backward pass of each tutorial
// layer, and of two whole autoencoders, on a batch of 32 (Keras's default),
// on one thread and on Threads() (all cores).
func BenchmarkLayers(b *testing.B) {
	defer kernels.SetThreads(kernels.Threads())
	all := kernels.Threads()
	for _, c := range tutorialLayers {
		for _, threads := range []int{1, all} {
			b.Run(fmt.Sprintf("%s/threads=%d", c.name, threads), func(b *testing.B) {
				kernels.SetThreads(threads)
				s := newTrainStep(b, c.spec, c.in, 32)
				b.ReportAllocs()
				for b.Loop() {
					s.run()
				}
			})
		}
	}
}
