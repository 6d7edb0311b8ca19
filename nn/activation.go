package nn

import (
	"fmt"
	"math"
	"strings"
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

// selu's constants, from Klambauer et al. 2017 (as in Keras).
const (
	seluScale = 1.0507009873554805
	seluAlpha = 1.6732632423543772
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
func (a Activation) Apply(y []float32) {
	switch a {
	case Linear, "":
	case ReLU:
		for i, v := range y {
			if v < 0 {
				y[i] = 0
			}
		}
	case Sigmoid:
		for i, v := range y {
			y[i] = sigmoid(v)
		}
	case Tanh:
		for i, v := range y {
			y[i] = float32(math.Tanh(float64(v)))
		}
	case SELU:
		for i, v := range y {
			if v > 0 {
				y[i] = seluScale * v
			} else {
				y[i] = float32(seluScale * seluAlpha * math.Expm1(float64(v)))
			}
		}
	default:
		panic("nn: unknown activation " + string(a))
	}
}

// Backward turns dy (dL/dy) into dL/dz in place, where y = f(z) is the saved
// output: every derivative here is a function of the output alone.
func (a Activation) Backward(dy, y []float32) {
	y = y[:len(dy)]
	switch a {
	case Linear, "":
	case ReLU:
		for i, v := range y {
			if v <= 0 {
				dy[i] = 0
			}
		}
	case Sigmoid: // y' = y(1-y)
		for i, v := range y {
			dy[i] *= v * (1 - v)
		}
	case Tanh: // y' = 1-y^2
		for i, v := range y {
			dy[i] *= 1 - v*v
		}
	case SELU: // y' = scale for z>0, else scale*alpha*e^z = y + scale*alpha
		for i, v := range y {
			if v > 0 {
				dy[i] *= seluScale
			} else {
				dy[i] *= v + seluScale*seluAlpha
			}
		}
	default:
		panic("nn: unknown activation " + string(a))
	}
}

func sigmoid(v float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(v))))
}
