package train

import (
	"context"
	"fmt"
	"math"

	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/tensor"
)

// EpochLog is what Keras's fit prints at the end of an epoch.
type EpochLog struct {
	Epoch              int     `json:"epoch"` // 1-based
	Steps              int     `json:"steps"`
	Seconds            float64 `json:"seconds"`
	Loss               float64 `json:"loss"`
	RoundedAccuracy    float64 `json:"rounded_accuracy"`
	ValLoss            float64 `json:"val_loss"`
	ValRoundedAccuracy float64 `json:"val_rounded_accuracy"`
}

// History is one EpochLog per completed epoch.
type History []EpochLog

// Progress receives the events of a training run; a nil Progress is fine.
type Progress interface {
	BeginEpoch(epoch, epochs, steps int)
	// Step reports the running (sample-weighted) mean loss and metric after step (1-based).
	Step(step int, loss, accuracy float64)
	EndEpoch(log EpochLog)
}

// Fit trains an autoencoder m to reproduce x ([n, input shape...]) with the
// settings in cfg, shuffling every epoch with m's random source, and
// evaluates on valX after each epoch (skipped if valX is nil). It stops early,
// returning the history so far and ctx's error, when ctx is cancelled.
// Fit is NewTrainer followed by Trainer.Fit; use a Trainer to snapshot and
// resume a run.
func Fit(ctx context.Context, m *nn.Model, x, valX *tensor.Tensor, cfg Config, p Progress) (History, error) {
	t, err := NewTrainer(m, cfg)
	if err != nil {
		return nil, err
	}
	return t.Fit(ctx, x, valX, p)
}

// evalBatch is the batch size for evaluation. Results do not depend on it
// beyond float rounding; larger batches make better use of the kernels.
const evalBatch = 256

// Evaluate returns the mean loss and rounded accuracy of m reproducing x,
// in inference mode (no noise, no dropout).
func Evaluate(m *nn.Model, x *tensor.Tensor, loss Loss, batchSize int) (meanLoss, accuracy float64) {
	n := x.Shape[0]
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	var grad *tensor.Tensor
	var sumLoss, sumAcc float64
	for lo := 0; lo < n; lo += batchSize {
		hi := min(lo+batchSize, n)
		b := x.Rows(lo, hi)
		y := m.Predict(b)
		grad = tensor.Resize(grad, y.Shape...)
		sumLoss += loss.Compute(y, b, grad) * float64(hi-lo)
		sumAcc += RoundedAccuracy(y, b) * float64(hi-lo)
	}
	return sumLoss / float64(n), sumAcc / float64(n)
}

// checkInput reports whether x's per-example shape is the model's input shape.
func checkInput(m *nn.Model, x *tensor.Tensor) error {
	if x == nil || len(x.Shape) < 1 || x.Shape[0] == 0 {
		return fmt.Errorf("no training examples")
	}
	if !tensor.SameShape(x.Shape[1:], m.Spec.InputShape) {
		return fmt.Errorf("data has examples of shape %v, model expects %v", x.Shape[1:], m.Spec.InputShape)
	}
	return nil
}

// gatherRows copies the rows idx of x (each per values long) into dst.
func gatherRows(dst, x *tensor.Tensor, idx []int, per int) *tensor.Tensor {
	if dst == nil || len(dst.Shape) != len(x.Shape) {
		dst = &tensor.Tensor{Shape: make([]int, len(x.Shape))}
	}
	copy(dst.Shape, x.Shape)
	dst.Shape[0] = len(idx)
	if n := len(idx) * per; cap(dst.Data) < n {
		dst.Data = make([]float32, n)
	} else {
		dst.Data = dst.Data[:n]
	}
	for k, i := range idx {
		copy(dst.Data[k*per:(k+1)*per], x.Data[i*per:(i+1)*per])
	}
	return dst
}
