package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/autoenc/autoenc/tensor"
)

func TestRepeatVector(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n       int
		in      []int
		wantOut []int
	}{
		{"tutorial decoder", 28, []int{30}, []int{28, 30}},
		{"small", 3, []int{2}, []int{3, 2}},
		{"one copy", 1, []int{4}, []int{1, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := NewRepeatVector(tc.n)
			out, err := l.Build(tc.in, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.SameShape(out, tc.wantOut) {
				t.Errorf("output shape %v, want %v", out, tc.wantOut)
			}
			if n := CountParams(l.Params()); n != 0 {
				t.Errorf("%d parameters, want 0", n)
			}
			x := tensor.New(2, tc.in[0])
			fillDeterministic(x.Data)
			y := l.Forward(x, false)
			if want := append([]int{2}, tc.wantOut...); !tensor.SameShape(y.Shape, want) {
				t.Fatalf("Forward shape %v, want %v", y.Shape, want)
			}
			f := tc.in[0]
			for b := 0; b < 2; b++ {
				for k := 0; k < tc.n; k++ {
					for j := 0; j < f; j++ {
						if got, want := y.Data[(b*tc.n+k)*f+j], x.Data[b*f+j]; got != want {
							t.Fatalf("y[%d,%d,%d] = %g, want %g", b, k, j, got, want)
						}
					}
				}
			}
			checkGradients(t, l, x)
		})
	}
}

// TestRepeatVectorBackward checks the sum over copies on integers.
func TestRepeatVectorBackward(t *testing.T) {
	l := NewRepeatVector(3)
	if _, err := l.Build([]int{2}, nil); err != nil {
		t.Fatal(err)
	}
	l.Forward(tensor.New(2, 2), true)
	// dy[b, k, j] = 100b + 10k + j
	dy := tensor.FromData([]float32{0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121}, 2, 3, 2)
	dx := l.Backward(dy)
	want := []float32{30, 33, 330, 333}
	for i, w := range want {
		if dx.Data[i] != w {
			t.Fatalf("dx = %v, want %v", dx.Data, want)
		}
	}
}

func TestRepeatVectorErrors(t *testing.T) {
	for _, tc := range []struct {
		n    int
		in   []int
		want string
	}{
		{28, []int{28, 30}, "RepeatVector: input must be [features], got [28 30]"},
		{28, []int{}, "RepeatVector: input must be [features], got []"},
		{0, []int{30}, "RepeatVector: n must be positive, got 0"},
	} {
		_, err := NewRepeatVector(tc.n).Build(tc.in, nil)
		if err == nil || err.Error() != tc.want {
			t.Errorf("RepeatVector(%d).Build(%v): error %v, want %q", tc.n, tc.in, err, tc.want)
		}
	}
}

func TestRepeatVectorSpecRoundTrip(t *testing.T) {
	layer := roundTripLayer(t, Spec{Type: "RepeatVector", N: 28})
	if l, ok := layer.(*RepeatVector); !ok || l.n != 28 {
		t.Errorf("FromSpec = %#v, want RepeatVector with n 28", layer)
	}
}

func TestRepeatVectorZeroAllocs(t *testing.T) {
	l := NewRepeatVector(5)
	if _, err := l.Build([]int{3}, nil); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(4, 3)
	dy := l.Forward(x, true).Clone()
	l.Backward(dy)
	if allocs := testing.AllocsPerRun(10, func() { l.Forward(x, true); l.Backward(dy) }); allocs != 0 {
		t.Errorf("%g allocations per Forward+Backward, want 0", allocs)
	}
}
