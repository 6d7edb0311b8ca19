package checkpoint

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/autoenc/autoenc/internal/safetensors"
	"github.com/autoenc/autoenc/modelfile"
	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/tensor"
	"github.com/autoenc/autoenc/train"
)

// fuzzSeed returns a small snapshot: a 2-unit model trained for one step
// with Adam, so that every kind of tensor and metadata is in it.
func fuzzSeed(f *testing.F) []byte {
	spec := nn.Spec{Type: "Sequential", InputShape: []int{3}, Layers: []nn.Spec{
		{Type: "Sequential", Name: "encoder", Layers: []nn.Spec{{Type: "Dropout", Rate: 0.1}, {Type: "Dense", Units: 2, Activation: "selu"}}},
		{Type: "Sequential", Name: "decoder", Layers: []nn.Spec{{Type: "Dense", Units: 3, Activation: "sigmoid"}}}}}
	m, err := nn.NewModel(spec, 1)
	if err != nil {
		f.Fatal(err)
	}
	tr, err := train.NewTrainer(m, train.Config{Loss: "mse", Optimizer: "adam", LearningRate: 0.01, Epochs: 2, BatchSize: 2, Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	w := &Writer{Dir: dir, EverySteps: 1, Keep: 1, Meta: modelfile.Meta{Model: "tiny"}, Run: `{"x":1}`}
	if err := w.Start(tr); err != nil {
		f.Fatal(err)
	}
	stop := context.Canceled
	tr.AfterStep = func(t *train.Trainer, end bool) error {
		if err := w.Hook(t, end); err != nil {
			return err
		}
		return stop
	}
	x := tensor.FromData([]float32{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}, 3, 3)
	tr.Fit(context.Background(), x, nil, nil)
	b, err := os.ReadFile(filepath.Join(dir, fileName(1, false, 0)))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzSnapshot feeds arbitrary bytes to the snapshot loader. Most mutations
// fail the SHA-256, so the decoder behind it is also fuzzed directly on
// whatever parses as safetensors. Neither may panic or allocate beyond
// what the input's size justifies.
func FuzzSnapshot(f *testing.F) {
	good := fuzzSeed(f)
	if _, err := Read(bytes.NewReader(good), int64(len(good))); err != nil {
		f.Fatalf("seed does not load: %v", err)
	}
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Fuzz(func(t *testing.T, b []byte) {
		Read(bytes.NewReader(b), int64(len(b)))
		file, err := safetensors.Read(bytes.NewReader(b), int64(len(b)))
		if err != nil || file.Metadata == nil {
			return
		}
		if s, err := decode(file); err == nil {
			// Whatever loads must be able to train on.
			x := tensor.New(append([]int{len(s.State.Order)}, s.Model.Spec.InputShape...)...)
			if tensor.Numel(x.Shape) <= 1<<16 {
				tr := s.Trainer()
				tr.Config.Epochs = min(tr.Config.Epochs, s.State.Epoch)
				tr.Fit(context.Background(), x, nil, nil)
			}
		}
	})
}
