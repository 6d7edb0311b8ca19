package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoenc/autoenc/tensor"
)

// checkGradients compares a built layer's analytic gradients with central
// finite differences of the scalar L = sum(r * y), r a fixed random tensor.
// It checks dL/dx and every parameter's gradient, element by element:
// |analytic - numeric| <= atol + rtol*|numeric|. Computation is float32, so
// eps is large and tolerances loose; a wrong formula is off by far more.
func checkGradients(t *testing.T, l Layer, x *tensor.Tensor) {
	t.Helper()
	const eps, atol, rtol = 1e-2, 2e-3, 2e-2
	rng := rand.New(rand.NewPCG(7, 7))
	y := l.Forward(x, true)
	r := tensor.New(y.Shape...)
	for i := range r.Data {
		r.Data[i] = float32(rng.NormFloat64())
	}
	loss := func() float64 {
		y := l.Forward(x, true)
		var s float64
		for i, v := range y.Data {
			s += float64(v) * float64(r.Data[i])
		}
		return s
	}
	for _, p := range l.Params() {
		p.Grad.Zero()
	}
	l.Forward(x, true)
	dx := l.Backward(r.Clone()).Clone()
	compare := func(what string, v []float32, analytic []float32) {
		t.Helper()
		bad := 0
		for i := range v {
			old := v[i]
			v[i] = old + eps
			lp := loss()
			v[i] = old - eps
			lm := loss()
			v[i] = old
			num := (lp - lm) / (2 * eps)
			if d := math.Abs(float64(analytic[i]) - num); d > atol+rtol*math.Abs(num) {
				if bad < 5 {
					t.Errorf("%s[%d]: analytic %.6g, numeric %.6g", what, i, analytic[i], num)
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d gradients differ", what, bad, len(v))
		}
	}
	compare("dx", x.Data, dx.Data)
	for _, p := range l.Params() {
		compare(p.Name, p.Value.Data, p.Grad.Clone().Data)
	}
}
