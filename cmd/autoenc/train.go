package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/autoenc/autoenc/data"
	"github.com/autoenc/autoenc/internal/kernels"
	"github.com/autoenc/autoenc/modelfile"
	"github.com/autoenc/autoenc/models"
	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/train"
)

type trainOptions struct {
	Model  string // built-in name
	Config train.Config
	Out    string // model file; "" means out/<model>.safetensors
	PNG    string // reconstructions; "" means beside the model file
	Data   dataOptions
	JSON   bool
	Stdout io.Writer
	Stderr io.Writer
}

func newTrainCmd() *cobra.Command {
	var o trainOptions
	var threads int
	cmd := &cobra.Command{
		Use:   "train MODEL",
		Short: "Train a built-in autoencoder and save it with a picture of its reconstructions",
		Long: `Train one of the built-in autoencoders (see 'autoenc models') with the
tutorial's settings, print Keras-style progress, save the model as a
.safetensors file and write a PNG of validation images above their
reconstructions. Without the full data set it trains on an embedded sample.`,
		Example: "  autoenc train conv\n  autoenc train stacked --epochs 5 --out out/stacked.safetensors",
		Args:    exactArgs(1, "one model name (see 'autoenc models')"),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := models.Get(args[0])
			if err != nil {
				return err
			}
			cfg := b.Train
			f := cmd.Flags()
			if f.Changed("epochs") {
				cfg.Epochs = o.Config.Epochs
			}
			if f.Changed("batch-size") {
				cfg.BatchSize = o.Config.BatchSize
			}
			if f.Changed("lr") {
				cfg.LearningRate = o.Config.LearningRate
			}
			if f.Changed("optimizer") {
				cfg.Optimizer = o.Config.Optimizer
			}
			if f.Changed("momentum") {
				cfg.Momentum = o.Config.Momentum
			}
			if f.Changed("nesterov") {
				cfg.Nesterov = o.Config.Nesterov
			}
			if f.Changed("seed") {
				cfg.Seed = o.Config.Seed
			}
			if threads < 0 {
				return usageError{fmt.Errorf("--threads must be positive, got %d", threads)}
			}
			if threads > 0 {
				kernels.SetThreads(threads)
			}
			o.Model, o.Config = args[0], cfg
			o.Stdout, o.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runTrain(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Config.Epochs, "epochs", 0, "epochs to train (default: the model's, see 'autoenc models')")
	f.IntVar(&o.Config.BatchSize, "batch-size", 32, "examples per training step")
	f.Float64Var(&o.Config.LearningRate, "lr", 0, "learning rate (default: the model's)")
	f.StringVar(&o.Config.Optimizer, "optimizer", "sgd", "optimizer: sgd or adam")
	f.Float64Var(&o.Config.Momentum, "momentum", 0, "SGD momentum")
	f.BoolVar(&o.Config.Nesterov, "nesterov", false, "use Nesterov momentum with SGD")
	f.Uint64Var(&o.Config.Seed, "seed", 42, "random seed: same seed, machine and threads give bit-identical weights")
	f.StringVarP(&o.Out, "out", "o", "", "model file to write (default out/MODEL.safetensors)")
	f.StringVar(&o.PNG, "png", "", "reconstructions picture to write (default: the model file with .png)")
	f.BoolVar(&o.JSON, "json", false, "print one JSON object per epoch instead of Keras-style lines")
	f.IntVar(&threads, "threads", 0, "worker threads for the kernels (default: all cores)")
	addDataFlags(f, &o.Data)
	return cmd
}

func runTrain(ctx context.Context, o trainOptions) error {
	b, err := models.Get(o.Model)
	if err != nil {
		return err
	}
	if err := o.Config.Validate(); err != nil {
		return usageError{err}
	}
	if o.Out == "" {
		o.Out = filepath.Join("out", o.Model+".safetensors")
	}
	if o.PNG == "" {
		o.PNG = strings.TrimSuffix(o.Out, filepath.Ext(o.Out)) + ".png"
	}
	// Fail before training, not after, if the results cannot be written.
	for _, p := range []string{o.Out, o.PNG} {
		if err := checkWritable(p); err != nil {
			return err
		}
	}
	ds, err := loadData(o.Data, o.Stderr)
	if err != nil {
		return err
	}
	m, err := nn.NewModel(b.Spec, o.Config.Seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Stdout, "Training %s on %d images of %s, validating on %d (%s, lr %g, batch %d, %d epochs)\n",
		o.Model, ds.Train.Shape[0], ds.Name, ds.Valid.Shape[0], o.Config.Optimizer, o.Config.LearningRate, o.Config.BatchSize, o.Config.Epochs)
	progress := &kerasProgress{w: o.Stdout, json: o.JSON, terminal: isTerminal(o.Stdout)}
	hist, fitErr := train.Fit(ctx, m, ds.Train, ds.Valid, o.Config, progress)
	if fitErr != nil && !errors.Is(fitErr, context.Canceled) {
		return fitErr
	}
	meta := modelfile.Meta{Model: o.Model, Dataset: ds.Name, Train: o.Config, History: hist}
	if err := modelfile.Save(o.Out, m, meta); err != nil {
		return err
	}
	if fitErr != nil {
		return fmt.Errorf("training interrupted after %d of %d epochs; the model so far is saved in %s", len(hist), o.Config.Epochs, o.Out)
	}
	fmt.Fprintf(o.Stdout, "Saved model to %s\n", o.Out)
	if err := writeReconstructions(o.PNG, m, ds.Valid, 10); err != nil {
		return err
	}
	fmt.Fprintf(o.Stdout, "Wrote validation images (top) and their reconstructions (bottom) to %s\n", o.PNG)
	return nil
}

// checkWritable reports, before any long work, whether a file can be created
// at path: its directory is made if missing and must accept new files.
func checkWritable(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create output directory for %s: %v", path, unwrapPathError(err))
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("cannot write %s: it is a directory", path)
	}
	f, err := os.CreateTemp(dir, ".autoenc-check-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: directory %s is not writable: %v", path, dir, unwrapPathError(err))
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

var _ = data.Options{}
