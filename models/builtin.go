// Package models holds autoenc's built-in architectures, as data: the
// autoencoders of the tutorial in REFERENCE.md with their training settings.
package models

import (
	"fmt"
	"sort"
	"strings"

	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/train"
)

// Builtin is a named architecture with the tutorial's training settings.
type Builtin struct {
	Name        string
	Description string
	Spec        nn.Spec
	Train       train.Config
}

func dense(units int, act string) nn.Spec {
	return nn.Spec{Type: "Dense", Units: units, Activation: act}
}

func conv(filters int) nn.Spec {
	return nn.Spec{Type: "Conv2D", Filters: filters, KernelSize: 3, Padding: "same", Activation: "selu"}
}

func deconv(filters int, padding, act string) nn.Spec {
	return nn.Spec{Type: "Conv2DTranspose", Filters: filters, KernelSize: 3, Strides: 2, Padding: padding, Activation: act}
}

var pool = nn.Spec{Type: "MaxPool2D", PoolSize: 2}

func autoencoder(name string, encoder, decoder []nn.Spec) nn.Spec {
	return nn.Spec{Type: "Sequential", Name: name, InputShape: []int{28, 28}, Layers: []nn.Spec{
		{Type: "Sequential", Name: "encoder", Layers: encoder},
		{Type: "Sequential", Name: "decoder", Layers: decoder},
	}}
}

// denseDecoder is the decoder shared by the stacked and denoising models.
func denseDecoder() []nn.Spec {
	return []nn.Spec{dense(100, "selu"), dense(28*28, "sigmoid"), {Type: "Reshape", TargetShape: []int{28, 28}}}
}

func sgd(lr float64, epochs int) train.Config {
	return train.Config{Loss: "binary_crossentropy", Optimizer: "sgd", LearningRate: lr, Epochs: epochs, BatchSize: 32, Seed: 42}
}

var builtins = []Builtin{
	{
		Name:        "stacked",
		Description: "stacked dense autoencoder 784-100-30-100-784 (the chapter's baseline)",
		Spec: autoencoder("stacked",
			[]nn.Spec{{Type: "Flatten"}, dense(100, "selu"), dense(30, "selu")},
			denseDecoder()),
		Train: sgd(1.0, 20),
	},
	{
		Name:        "conv",
		Description: "convolutional autoencoder: 3 conv+pool stages down to 3x3x64, 3 transposed convs back",
		Spec: autoencoder("conv",
			[]nn.Spec{{Type: "Reshape", TargetShape: []int{28, 28, 1}},
				conv(16), pool, conv(32), pool, conv(64), pool},
			[]nn.Spec{deconv(32, "valid", "selu"), deconv(16, "same", "selu"), deconv(1, "same", "sigmoid"),
				{Type: "Reshape", TargetShape: []int{28, 28}}}),
		Train: sgd(1.0, 5),
	},
	{
		Name:        "recurrent",
		Description: "recurrent autoencoder: LSTM(100)-LSTM(30) over the 28 rows, then back",
		Spec: autoencoder("recurrent",
			[]nn.Spec{{Type: "LSTM", Units: 100, ReturnSequences: true}, {Type: "LSTM", Units: 30}},
			[]nn.Spec{{Type: "RepeatVector", N: 28}, {Type: "LSTM", Units: 100, ReturnSequences: true},
				{Type: "TimeDistributed", Layer: &nn.Spec{Type: "Dense", Units: 28, Activation: "sigmoid"}}}),
		Train: sgd(0.1, 10),
	},
	{
		Name:        "denoising-gaussian",
		Description: "denoising autoencoder: Gaussian noise (stddev 0.2) on the input while training",
		Spec: autoencoder("denoising-gaussian",
			[]nn.Spec{{Type: "Flatten"}, {Type: "GaussianNoise", Stddev: 0.2}, dense(100, "selu"), dense(30, "selu")},
			denseDecoder()),
		Train: sgd(1.0, 10),
	},
	{
		Name:        "denoising-dropout",
		Description: "denoising autoencoder: dropout (rate 0.5) on the input while training",
		Spec: autoencoder("denoising-dropout",
			[]nn.Spec{{Type: "Flatten"}, {Type: "Dropout", Rate: 0.5}, dense(100, "selu"), dense(30, "selu")},
			denseDecoder()),
		Train: sgd(1.0, 10),
	},
}

// All returns the built-in models in a fixed order.
func All() []Builtin {
	out := make([]Builtin, len(builtins))
	copy(out, builtins)
	return out
}

// Names lists the built-in model names, sorted.
func Names() []string {
	var names []string
	for _, b := range builtins {
		names = append(names, b.Name)
	}
	sort.Strings(names)
	return names
}

// Get returns the built-in model called name.
func Get(name string) (Builtin, error) {
	for _, b := range builtins {
		if b.Name == name {
			return b, nil
		}
	}
	return Builtin{}, fmt.Errorf("unknown model %q, expected one of: %s", name, strings.Join(Names(), ", "))
}
