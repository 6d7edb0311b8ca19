package train_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/autoenc/autoenc/data"
	"github.com/autoenc/autoenc/modelfile"
	"github.com/autoenc/autoenc/models"
	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/train"
)

// ExampleFit builds the tutorial's stacked autoencoder, trains it for one
// epoch on the embedded sample, saves it, loads it back and encodes images.
func ExampleFit() {
	b, _ := models.Get("stacked")
	m, err := nn.NewModel(b.Spec, 42)
	if err != nil {
		panic(err)
	}
	ds, err := data.Load(data.Options{Dir: data.SampleDir})
	if err != nil {
		panic(err)
	}
	cfg := b.Train
	cfg.Epochs = 1
	hist, err := train.Fit(context.Background(), m, ds.Train, ds.Valid, cfg, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("1 epoch of %d steps, val_loss below 0.45: %v\n", hist[0].Steps, hist[0].ValLoss < 0.45)

	dir, _ := os.MkdirTemp("", "autoenc-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "stacked.safetensors")
	if err := modelfile.Save(path, m, modelfile.Meta{Model: "stacked", Train: cfg, History: hist}); err != nil {
		panic(err)
	}
	loaded, meta, err := modelfile.Load(path)
	if err != nil {
		panic(err)
	}
	codings := loaded.Encoder().Forward(ds.Test.Rows(0, 5), false)
	fmt.Println(meta.Model, "codings:", codings.Shape)
	// Output:
	// 1 epoch of 172 steps, val_loss below 0.45: true
	// stacked codings: [5 30]
}
