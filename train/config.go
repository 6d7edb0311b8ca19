package train

import "fmt"

// Config holds the training settings saved with a model. Built-in models
// carry the tutorial's settings as defaults.
type Config struct {
	Loss         string  `json:"loss"`      // "binary_crossentropy" or "mse"
	Optimizer    string  `json:"optimizer"` // "sgd" or "adam"
	LearningRate float64 `json:"learning_rate"`
	Momentum     float64 `json:"momentum,omitempty"`
	Nesterov     bool    `json:"nesterov,omitempty"`
	Epochs       int     `json:"epochs"`
	BatchSize    int     `json:"batch_size"`
	Seed         uint64  `json:"seed"`
}

// Validate reports the first setting that cannot train.
func (c Config) Validate() error {
	switch {
	case c.Epochs <= 0:
		return fmt.Errorf("epochs must be a positive integer, got %d", c.Epochs)
	case c.BatchSize <= 0:
		return fmt.Errorf("batch size must be a positive integer, got %d", c.BatchSize)
	case !(c.LearningRate > 0) || c.LearningRate > 1e6:
		return fmt.Errorf("learning rate must be a positive number, got %g", c.LearningRate)
	case c.Momentum < 0 || c.Momentum >= 1:
		return fmt.Errorf("momentum must be in [0, 1), got %g", c.Momentum)
	}
	if _, err := LossByName(c.Loss); err != nil {
		return err
	}
	if _, err := NewOptimizer(c); err != nil {
		return err
	}
	return nil
}
