package nn

import (
	"fmt"
	"strings"
)

// Spec describes one layer, or a Sequential of layers, as data: the form in
// which architectures are built in, saved in model files and read back.
// Field names follow Keras's layer configs.
type Spec struct {
	Type string `json:"type"`           // "Dense", "Conv2D", ..., "Sequential"
	Name string `json:"name,omitempty"` // a Sequential's name: "encoder"

	Units           int     `json:"units,omitempty"`       // Dense, LSTM
	Filters         int     `json:"filters,omitempty"`     // Conv2D, Conv2DTranspose
	KernelSize      int     `json:"kernel_size,omitempty"` // square kernels
	Strides         int     `json:"strides,omitempty"`     // 0 means 1
	Padding         string  `json:"padding,omitempty"`     // "same" or "valid" (default)
	Activation      string  `json:"activation,omitempty"`  // "" means linear
	ReturnSequences bool    `json:"return_sequences,omitempty"`
	PoolSize        int     `json:"pool_size,omitempty"`    // MaxPool2D
	N               int     `json:"n,omitempty"`            // RepeatVector
	TargetShape     []int   `json:"target_shape,omitempty"` // Reshape
	Rate            float64 `json:"rate,omitempty"`         // Dropout
	Stddev          float64 `json:"stddev,omitempty"`       // GaussianNoise
	Layer           *Spec   `json:"layer,omitempty"`        // TimeDistributed
	Layers          []Spec  `json:"layers,omitempty"`       // Sequential
	InputShape      []int   `json:"input_shape,omitempty"`  // outermost Sequential
}

// Padding is a convolution's padding mode, as in Keras.
type Padding string

const (
	Same  Padding = "same"
	Valid Padding = "valid"
)

func parsePadding(s string) (Padding, error) {
	switch p := Padding(strings.ToLower(s)); p {
	case "", Valid:
		return Valid, nil
	case Same:
		return Same, nil
	}
	return "", fmt.Errorf("unknown padding %q, expected \"same\" or \"valid\"", s)
}

// FromSpec creates the (unbuilt) layer a spec describes.
func FromSpec(s Spec) (Layer, error) {
	act, err := ParseActivation(s.Activation)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Type, err)
	}
	pad, err := parsePadding(s.Padding)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Type, err)
	}
	strides := s.Strides
	if strides == 0 {
		strides = 1
	}
	positive := func(what string, v int) error {
		if v <= 0 {
			return fmt.Errorf("%s: %s must be positive, got %d", s.Type, what, v)
		}
		return nil
	}
	switch s.Type {
	case "Sequential":
		return newSequentialFromSpec(s)
	case "Dense":
		if err := positive("units", s.Units); err != nil {
			return nil, err
		}
		return NewDense(s.Units, act), nil
	case "Conv2D", "Conv2DTranspose":
		for what, v := range map[string]int{"filters": s.Filters, "kernel_size": s.KernelSize, "strides": strides} {
			if err := positive(what, v); err != nil {
				return nil, err
			}
		}
		if s.Type == "Conv2D" {
			return NewConv2D(s.Filters, s.KernelSize, strides, pad, act), nil
		}
		return NewConv2DTranspose(s.Filters, s.KernelSize, strides, pad, act), nil
	case "MaxPool2D":
		if err := positive("pool_size", s.PoolSize); err != nil {
			return nil, err
		}
		return NewMaxPool2D(s.PoolSize), nil
	case "LSTM":
		if err := positive("units", s.Units); err != nil {
			return nil, err
		}
		return NewLSTM(s.Units, s.ReturnSequences), nil
	case "RepeatVector":
		if err := positive("n", s.N); err != nil {
			return nil, err
		}
		return NewRepeatVector(s.N), nil
	case "TimeDistributed":
		if s.Layer == nil {
			return nil, fmt.Errorf("TimeDistributed: missing inner layer")
		}
		inner, err := FromSpec(*s.Layer)
		if err != nil {
			return nil, fmt.Errorf("TimeDistributed: %w", err)
		}
		return NewTimeDistributed(inner), nil
	case "GaussianNoise":
		if s.Stddev < 0 {
			return nil, fmt.Errorf("GaussianNoise: stddev must be >= 0, got %g", s.Stddev)
		}
		return NewGaussianNoise(s.Stddev), nil
	case "Dropout":
		if s.Rate < 0 || s.Rate >= 1 {
			return nil, fmt.Errorf("Dropout: rate must be in [0, 1), got %g", s.Rate)
		}
		return NewDropout(s.Rate), nil
	case "Reshape":
		for _, d := range s.TargetShape {
			if err := positive("target_shape dimension", d); err != nil {
				return nil, err
			}
		}
		if len(s.TargetShape) == 0 {
			return nil, fmt.Errorf("Reshape: target_shape is empty")
		}
		return NewReshape(s.TargetShape), nil
	case "Flatten":
		return NewFlatten(), nil
	}
	return nil, fmt.Errorf("unknown layer type %q", s.Type)
}
