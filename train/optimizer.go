package train

import (
	"fmt"
	"math"

	"github.com/autoenc/autoenc/internal/kernels"
	"github.com/autoenc/autoenc/nn"
)

// Optimizer updates parameters from their accumulated gradients.
type Optimizer interface {
	// Step applies one update to every parameter and clears its gradient.
	Step(params []*nn.Param)
}

// NewOptimizer returns the optimizer cfg names, with cfg's hyperparameters.
func NewOptimizer(cfg Config) (Optimizer, error) {
	switch cfg.Optimizer {
	case "sgd", "":
		return &SGD{LearningRate: cfg.LearningRate, Momentum: cfg.Momentum, Nesterov: cfg.Nesterov}, nil
	case "adam":
		return &Adam{LearningRate: cfg.LearningRate, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}, nil
	}
	return nil, fmt.Errorf("unknown optimizer %q, expected sgd or adam", cfg.Optimizer)
}

// SGD is Keras's SGD: with momentum m, v = m*v - lr*g and w += v
// (Nesterov: w += m*v - lr*g); without, w -= lr*g.
type SGD struct {
	LearningRate float64
	Momentum     float64
	Nesterov     bool
	Velocity     [][]float32 // per parameter, created on the first step
}

func (o *SGD) Step(params []*nn.Param) {
	lr := float32(o.LearningRate)
	if o.Momentum == 0 {
		for _, p := range params {
			kernels.SGD(p.Value.Data, p.Grad.Data, nil, lr, 0, false)
		}
		return
	}
	if o.Velocity == nil {
		o.Velocity = make([][]float32, len(params))
		for i, p := range params {
			o.Velocity[i] = make([]float32, p.Value.Len())
		}
	}
	m := float32(o.Momentum)
	for j, p := range params {
		kernels.SGD(p.Value.Data, p.Grad.Data, o.Velocity[j], lr, m, o.Nesterov)
	}
}

// Adam is Keras's Adam: m = b1*m + (1-b1)*g, v = b2*v + (1-b2)*g^2,
// w -= lr * sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps).
type Adam struct {
	LearningRate, Beta1, Beta2, Epsilon float64
	T                                   int
	M, V                                [][]float32
}

func (o *Adam) Step(params []*nn.Param) {
	if o.M == nil {
		o.M = make([][]float32, len(params))
		o.V = make([][]float32, len(params))
		for i, p := range params {
			o.M[i] = make([]float32, p.Value.Len())
			o.V[i] = make([]float32, p.Value.Len())
		}
	}
	o.T++
	t := float64(o.T)
	lrT := float32(o.LearningRate * math.Sqrt(1-math.Pow(o.Beta2, t)) / (1 - math.Pow(o.Beta1, t)))
	b1, b2, eps := float32(o.Beta1), float32(o.Beta2), float32(o.Epsilon)
	for j, p := range params {
		w, g := p.Value.Data, p.Grad.Data[:len(p.Value.Data)]
		m, v := o.M[j][:len(w)], o.V[j][:len(w)]
		for i := range w {
			m[i] = b1*m[i] + (1-b1)*g[i]
			v[i] = b2*v[i] + (1-b2)*g[i]*g[i]
			w[i] -= lrT * m[i] / (float32(math.Sqrt(float64(v[i]))) + eps)
			g[i] = 0
		}
	}
}
