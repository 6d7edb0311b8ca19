package train

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/tensor"
)

// State is where a training run stands between two steps. With the model's
// weights, its random source (nn.Model.PCG) and the optimizer's state it is
// everything needed to continue the run exactly: the result is then
// bit-identical to a run that was never stopped.
type State struct {
	// Epoch is the epoch in progress, 1-based; Config.Epochs+1 once done.
	Epoch int `json:"epoch"`
	// Step counts the steps of Epoch already taken. At 0 the epoch's
	// shuffle has not been drawn yet.
	Step int `json:"step"`
	// GlobalStep counts all steps taken since the run began.
	GlobalStep int `json:"global_step"`
	// Order is the order examples are visited in: Epoch's shuffle when
	// Step > 0, else the previous epoch's (each shuffle permutes the last).
	Order []int `json:"-"`
	// SumLoss and SumAccuracy add up loss and rounded accuracy, weighted by
	// batch size, over the Seen examples of Epoch so far.
	SumLoss     float64 `json:"sum_loss"`
	SumAccuracy float64 `json:"sum_accuracy"`
	Seen        int     `json:"seen"`
	// Seconds is the time spent on Epoch so far.
	Seconds float64 `json:"seconds"`
	// History holds the completed epochs.
	History History `json:"-"`
}

// Done reports whether the run has completed all its epochs.
func (s *State) Done(cfg Config) bool { return s.Epoch > cfg.Epochs }

// Trainer runs Fit with its state in the open, so that it can be saved
// (see package checkpoint) and a run resumed from it.
type Trainer struct {
	Model     *nn.Model
	Config    Config
	Optimizer Optimizer
	State     State

	// StepsPerEpoch is set by Fit from the data size and batch size.
	StepsPerEpoch int

	// AfterStep, if set, is called after every step (epochEnd false) and at
	// the end of every epoch, after validation (epochEnd true; State has
	// then moved on to the next epoch). An error stops Fit and is returned;
	// State is then the one the hook saw, and Fit may be called again to go on.
	AfterStep func(t *Trainer, epochEnd bool) error

	loss       Loss
	batch, grd *tensor.Tensor
}

// NewTrainer returns a Trainer at the start of a run of m with cfg.
func NewTrainer(m *nn.Model, cfg Config) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	opt, _ := NewOptimizer(cfg)
	return &Trainer{Model: m, Config: cfg, Optimizer: opt, State: State{Epoch: 1}}, nil
}

// DivergedError reports a loss that became NaN or infinite.
type DivergedError struct {
	Loss         float64
	Epoch, Step  int // 1-based
	LearningRate float64
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("loss became %v at epoch %d, step %d: training diverged; try a lower learning rate (now %g)", e.Loss, e.Epoch, e.Step, e.LearningRate)
}

// Fit trains t.Model on x from t.State to the end of t.Config.Epochs (see
// the package function Fit) and returns the whole history, including the
// epochs of earlier runs that t.State carries. When ctx is cancelled it
// stops between two steps, leaving t.State ready to resume from.
func (t *Trainer) Fit(ctx context.Context, x, valX *tensor.Tensor, p Progress) (History, error) {
	cfg, m, s := t.Config, t.Model, &t.State
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t.loss, _ = LossByName(cfg.Loss)
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
	t.StepsPerEpoch = steps
	per := len(x.Data) / n
	if s.Order == nil {
		s.Order = make([]int, n)
		for i := range s.Order {
			s.Order[i] = i
		}
	}
	if len(s.Order) != n {
		return s.History, fmt.Errorf("training state has a shuffle order of %d examples, the data has %d", len(s.Order), n)
	}
	if s.Epoch < 1 || s.Step < 0 || s.Step > steps {
		return s.History, fmt.Errorf("training state at epoch %d, step %d is outside 1..%d epochs of %d steps", s.Epoch, s.Step, cfg.Epochs, steps)
	}
	params := m.Params()
	if s.GlobalStep == 0 {
		for _, q := range params {
			q.Grad.Zero()
		}
	}
	order := s.Order
	for s.Epoch <= cfg.Epochs {
		start := time.Now().Add(-time.Duration(s.Seconds * float64(time.Second)))
		if p != nil {
			p.BeginEpoch(s.Epoch, cfg.Epochs, steps)
		}
		for s.Step < steps {
			if err := ctx.Err(); err != nil {
				s.Seconds = time.Since(start).Seconds()
				return s.History, err
			}
			if s.Step == 0 {
				m.RNG.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
			}
			lo, hi := s.Step*bs, min((s.Step+1)*bs, n)
			l, acc, err := t.step(x, order[lo:hi], per, params)
			if err != nil {
				return s.History, err
			}
			k := hi - lo
			s.SumLoss += l * float64(k)
			s.SumAccuracy += acc * float64(k)
			s.Seen += k
			s.GlobalStep++
			s.Step++
			if p != nil {
				p.Step(s.Step, s.SumLoss/float64(s.Seen), s.SumAccuracy/float64(s.Seen))
			}
			if t.AfterStep != nil {
				s.Seconds = time.Since(start).Seconds()
				if err := t.AfterStep(t, false); err != nil {
					return s.History, err
				}
			}
		}
		log := EpochLog{Epoch: s.Epoch, Steps: steps, Loss: s.SumLoss / float64(s.Seen), RoundedAccuracy: s.SumAccuracy / float64(s.Seen)}
		if valX != nil {
			log.ValLoss, log.ValRoundedAccuracy = Evaluate(m, valX, t.loss, evalBatch)
		}
		log.Seconds = time.Since(start).Seconds()
		s.History = append(s.History, log)
		s.Epoch++
		s.Step, s.SumLoss, s.SumAccuracy, s.Seen, s.Seconds = 0, 0, 0, 0, 0
		if p != nil {
			p.EndEpoch(log)
		}
		if t.AfterStep != nil {
			if err := t.AfterStep(t, true); err != nil {
				return s.History, err
			}
		}
	}
	return s.History, nil
}

// step trains on the examples idx of x and returns the batch's loss and
// rounded accuracy.
func (t *Trainer) step(x *tensor.Tensor, idx []int, per int, params []*nn.Param) (loss, acc float64, err error) {
	m := t.Model
	t.batch = gatherRows(t.batch, x, idx, per)
	y := m.Net.Forward(t.batch, true)
	t.grd = tensor.Resize(t.grd, y.Shape...)
	l := t.loss.Compute(y, t.batch, t.grd)
	if math.IsNaN(l) || math.IsInf(l, 0) {
		return 0, 0, &DivergedError{Loss: l, Epoch: t.State.Epoch, Step: t.State.Step + 1, LearningRate: t.Config.LearningRate}
	}
	acc = RoundedAccuracy(y, t.batch)
	m.Net.Backward(t.grd)
	t.Optimizer.Step(params)
	return l, acc, nil
}
