package nn

import (
	"fmt"
	"io"
	"strings"
)

// Summary writes a Keras-style table of s's layers (name, type, output shape,
// parameter count) with totals, then one such table for each nested
// Sequential, as calling summary() on the encoder and decoder would.
func Summary(w io.Writer, s *Sequential) {
	writeTable(w, s)
	for _, l := range s.Layers {
		if sub, ok := l.(*Sequential); ok {
			fmt.Fprintln(w)
			Summary(w, sub)
		}
	}
}

func writeTable(w io.Writer, s *Sequential) {
	const nameW, shapeW, width = 38, 20, 70
	name := s.Name
	if name == "" {
		name = "sequential"
	}
	fmt.Fprintf(w, "Model: %q\n", name)
	fmt.Fprintln(w, strings.Repeat("_", width))
	fmt.Fprintf(w, " %-*s %-*s %s\n", nameW, "Layer (type)", shapeW, "Output Shape", "Param #")
	fmt.Fprintln(w, strings.Repeat("=", width))
	seen := map[string]int{}
	for i, l := range s.Layers {
		typ := s.Specs[i].Type
		lname := s.Specs[i].Name
		if lname == "" {
			lname = snake(typ)
			if n := seen[lname]; n > 0 {
				lname = fmt.Sprintf("%s_%d", lname, n)
			}
			seen[snake(typ)]++
		}
		shape := "(None"
		for _, d := range s.outShapes[i] {
			shape += fmt.Sprintf(", %d", d)
		}
		shape += ")"
		fmt.Fprintf(w, " %-*s %-*s %s\n", nameW, lname+" ("+typ+")", shapeW, shape, commas(CountParams(l.Params())))
	}
	fmt.Fprintln(w, strings.Repeat("=", width))
	total := CountParams(s.Params())
	fmt.Fprintf(w, "Total params: %s\n", commas(total))
	fmt.Fprintf(w, "Trainable params: %s\n", commas(total))
	fmt.Fprintln(w, "Non-trainable params: 0")
	fmt.Fprintln(w, strings.Repeat("_", width))
}

// kerasNames are the default layer names Keras gives each class.
var kerasNames = map[string]string{
	"Dense": "dense", "Conv2D": "conv2d", "Conv2DTranspose": "conv2d_transpose",
	"MaxPool2D": "max_pooling2d", "LSTM": "lstm", "RepeatVector": "repeat_vector",
	"TimeDistributed": "time_distributed", "GaussianNoise": "gaussian_noise",
	"Dropout": "dropout", "Reshape": "reshape", "Flatten": "flatten", "Sequential": "sequential",
}

// snake returns Keras's default name for a layer class.
func snake(typ string) string {
	if n, ok := kerasNames[typ]; ok {
		return n
	}
	return strings.ToLower(typ)
}

// commas formats n with thousands separators: 23296 -> "23,296".
func commas(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
