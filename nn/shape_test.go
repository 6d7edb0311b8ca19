package nn

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/autoenc/autoenc/tensor"
)

func TestReshapeFlatten(t *testing.T) {
	runLayerCases(t, []layerCase{
		// The tutorial: Flatten(28x28), Reshape(28, 28, 1), Reshape(28, 28).
		{name: "Flatten/28x28", spec: Spec{Type: "Flatten"}, in: []int{28, 28}, wantOut: []int{784}, noGrad: true},
		{name: "Reshape/784->28x28", spec: Spec{Type: "Reshape", TargetShape: []int{28, 28}}, in: []int{784}, wantOut: []int{28, 28}, noGrad: true},
		{name: "Reshape/28x28->28x28x1", spec: Spec{Type: "Reshape", TargetShape: []int{28, 28, 1}}, in: []int{28, 28}, wantOut: []int{28, 28, 1}, noGrad: true},

		{name: "Flatten/3x2x2", spec: Spec{Type: "Flatten"}, in: []int{3, 2, 2}, wantOut: []int{12}},
		{name: "Flatten/5", spec: Spec{Type: "Flatten"}, in: []int{5}, wantOut: []int{5}},
		{name: "Reshape/6->2x3", spec: Spec{Type: "Reshape", TargetShape: []int{2, 3}}, in: []int{6}, wantOut: []int{2, 3}},
		{name: "Reshape/2x3x2->3x4", spec: Spec{Type: "Reshape", TargetShape: []int{3, 4}}, in: []int{2, 3, 2}, wantOut: []int{3, 4}},
	})
}

// TestReshapeIsView checks that Reshape and Flatten copy nothing: the output
// and the returned gradient share storage with their arguments.
func TestReshapeIsView(t *testing.T) {
	for _, l := range []Layer{NewReshape([]int{4, 3}), NewFlatten()} {
		if _, err := l.Build([]int{2, 3, 2}, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatal(err)
		}
		x := tensor.New(5, 2, 3, 2)
		iotaFill(x.Data, 1)
		y := l.Forward(x, true)
		if &y.Data[0] != &x.Data[0] || !slices.Equal(y.Data, x.Data) {
			t.Errorf("%T.Forward copied its input", l)
		}
		dy := tensor.New(y.Shape...)
		dx := l.Backward(dy)
		if &dx.Data[0] != &dy.Data[0] || !slices.Equal(dx.Shape, x.Shape) {
			t.Errorf("%T.Backward = %v (copied: %v), want a view of shape %v", l, dx.Shape, &dx.Data[0] != &dy.Data[0], x.Shape)
		}
	}
}
