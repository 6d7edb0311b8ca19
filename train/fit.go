package train

import (
	"context"
	"fmt"
	"math"
	"time"

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
func Fit(ctx context.Context, m *nn.Model, x, valX *tensor.Tensor, cfg Config, p Progress) (History, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	loss, _ := LossByName(cfg.Loss)
	opt, _ := NewOptimizer(cfg)
	if err := checkInput(m, x); err != nil {
		return nil, err
	}
	if valX != nil {
		if err := checkInput(m, valX); err != nil {
			return nil, err
		}
	}
	n := x.Shape[0]
	bs := min(cfg.BatchSize, n)
	steps := (n + bs - 1) / bs
	per := len(x.Data) / n
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	params := m.Params()
	for _, q := range params {
		q.Grad.Zero()
	}
	var batch, grad *tensor.Tensor
	var hist History
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		start := time.Now()
		if p != nil {
			p.BeginEpoch(epoch, cfg.Epochs, steps)
		}
		m.RNG.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		var sumLoss, sumAcc float64
		seen := 0
		for step := 0; step < steps; step++ {
			if err := ctx.Err(); err != nil {
				return hist, err
			}
			lo, hi := step*bs, min((step+1)*bs, n)
			batch = gatherRows(batch, x, order[lo:hi], per)
			y := m.Net.Forward(batch, true)
			grad = tensor.Resize(grad, y.Shape...)
			l := loss.Compute(y, batch, grad)
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return hist, fmt.Errorf("loss became %v at epoch %d, step %d: training diverged; try a lower learning rate (now %g)", l, epoch, step+1, cfg.LearningRate)
			}
			acc := RoundedAccuracy(y, batch)
			m.Net.Backward(grad)
			opt.Step(params)
			k := hi - lo
			sumLoss += l * float64(k)
			sumAcc += acc * float64(k)
			seen += k
			if p != nil {
				p.Step(step+1, sumLoss/float64(seen), sumAcc/float64(seen))
			}
		}
		log := EpochLog{Epoch: epoch, Steps: steps, Loss: sumLoss / float64(seen), RoundedAccuracy: sumAcc / float64(seen)}
		if valX != nil {
			log.ValLoss, log.ValRoundedAccuracy = Evaluate(m, valX, loss, evalBatch)
		}
		log.Seconds = time.Since(start).Seconds()
		hist = append(hist, log)
		if p != nil {
			p.EndEpoch(log)
		}
	}
	return hist, nil
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
	if dst == nil {
		dst = &tensor.Tensor{}
	}
	dst = tensor.Resize(dst, len(idx))
	dst.Shape = append(dst.Shape[:0], len(idx))
	dst.Shape = append(dst.Shape, x.Shape[1:]...)
	dst.Data = dst.Data[:0]
	if cap(dst.Data) < len(idx)*per {
		dst.Data = make([]float32, 0, len(idx)*per)
	}
	for _, i := range idx {
		dst.Data = append(dst.Data, x.Data[i*per:(i+1)*per]...)
	}
	return dst
}
