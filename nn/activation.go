package nn

import (
	"fmt"
	"strings"

	"github.com/autoenc/autoenc/internal/kernels"
)

// Activation is an elementwise function applied at a layer's output, named
// as in Keras.
type Activation string

const (
	Linear  Activation = "linear"
	ReLU    Activation = "relu"
	Sigmoid Activation = "sigmoid"
	Tanh    Activation = "tanh"
	SELU    Activation = "selu"
)

// ParseActivation accepts a Keras activation name; "" means linear.
func ParseActivation(s string) (Activation, error) {
	switch a := Activation(strings.ToLower(s)); a {
	case "":
		return Linear, nil
	case Linear, ReLU, Sigmoid, Tanh, SELU:
		return a, nil
	}
	return "", fmt.Errorf("unknown activation %q, expected one of linear, relu, sigmoid, tanh, selu", s)
}

// Apply sets y[i] = f(y[i]) in place.
func (a Activation) Apply(y []float32) { kernels.BiasAct(y, nil, a.kernel()) }

// BiasApply sets y[r][j] = f(y[r][j] + bias[j]) in place, in one pass, for
// the row-major matrix y whose rows are len(bias) wide.
func (a Activation) BiasApply(y, bias []float32) { kernels.BiasAct(y, bias, a.kernel()) }

// Backward turns dy (dL/dy) into dL/dz in place, where y = f(z) is the saved
// output: every derivative here is a function of the output alone
// (sigmoid: y(1-y); tanh: 1-y^2; selu: scale for z > 0, else y + scale*alpha).
func (a Activation) Backward(dy, y []float32) { kernels.ActBackward(dy, y, a.kernel()) }

// kernel maps a to its kernels.Act; float32 exp-based kernels (see
// kernels.SELU32) agree with float64 math to about 1e-7 relative.
func (a Activation) kernel() kernels.Act {
	switch a {
	case Linear, "":
		return kernels.ActLinear
	case ReLU:
		return kernels.ActReLU
	case Sigmoid:
		return kernels.ActSigmoid
	case Tanh:
		return kernels.ActTanh
	case SELU:
		return kernels.ActSELU
	}
	panic("nn: unknown activation " + string(a))
}
