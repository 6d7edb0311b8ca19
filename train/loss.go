package train

import (
	"fmt"
	"github.com/autoenc/autoenc/internal/kernels"
	"github.com/autoenc/autoenc/tensor"
)

// Loss is a training objective averaged over every element of a batch.
type Loss interface {
	// Compute returns the mean loss of pred against target and writes
	// dLoss/dpred into grad (same shape as pred).
	Compute(pred, target, grad *tensor.Tensor) float64
	Name() string
}

// LossByName returns the loss Keras calls name.
func LossByName(name string) (Loss, error) {
	switch name {
	case "binary_crossentropy", "bce":
		return BinaryCrossentropy{}, nil
	case "mse", "mean_squared_error":
		return MSE{}, nil
	}
	return nil, fmt.Errorf("unknown loss %q, expected binary_crossentropy or mse", name)
}

// BinaryCrossentropy is Keras's binary_crossentropy on probabilities:
// p = clip(pred, eps, 1-eps), loss = -(y*log(p+eps) + (1-y)*log(1-p+eps)),
// averaged over all elements, eps = kernels.BCEEpsilon (Keras's epsilon()).
// Each term is float32 arithmetic, as in Keras (so 1-eps is 1-2^-23), and
// the terms are summed in float64. Where the clip is active its gradient
// is 0. The sum is split over the kernels worker pool in fixed chunks: the
// result does not depend on the thread count (kernels.BCE).
type BinaryCrossentropy struct{}

func (BinaryCrossentropy) Name() string { return "binary_crossentropy" }

func (BinaryCrossentropy) Compute(pred, target, grad *tensor.Tensor) float64 {
	checkShapes(pred, target, grad)
	inv := 1 / float64(len(pred.Data))
	return kernels.BCE(pred.Data, target.Data, grad.Data, inv) * inv
}

// MSE is the mean squared error, averaged over all elements.
type MSE struct{}

func (MSE) Name() string { return "mse" }

func (MSE) Compute(pred, target, grad *tensor.Tensor) float64 {
	checkShapes(pred, target, grad)
	n := len(pred.Data)
	inv := 1 / float64(n)
	var sum float64
	g := grad.Data[:n]
	y := target.Data[:n]
	for i, p := range pred.Data {
		d := float64(p) - float64(y[i])
		sum += d * d
		g[i] = float32(2 * d * inv) // d/dp (p-y)^2 / n
	}
	return sum * inv
}

func checkShapes(pred, target, grad *tensor.Tensor) {
	if len(pred.Data) != len(target.Data) || len(pred.Data) != len(grad.Data) {
		panic(fmt.Sprintf("train: loss shapes differ: pred %v, target %v, grad %v", pred.Shape, target.Shape, grad.Shape))
	}
}

// RoundedAccuracy is the tutorial's metric: the fraction of elements where
// round(target) equals (pred > 0.5), i.e. binary_accuracy(round(y), round(p)).
func RoundedAccuracy(pred, target *tensor.Tensor) float64 {
	hits := 0
	y := target.Data[:len(pred.Data)]
	for i, p := range pred.Data {
		if (y[i] > 0.5) == (p > 0.5) {
			hits++
		}
	}
	return float64(hits) / float64(len(pred.Data))
}
