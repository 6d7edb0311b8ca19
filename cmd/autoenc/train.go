package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/autoenc/autoenc/checkpoint"
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

	Checkpoint checkpointOptions
	// changed holds the flags given on the command line, which override
	// what a resumed snapshot recorded.
	changed map[string]bool
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
reconstructions. Without the full data set it trains on an embedded sample.

With --checkpoint-dir it snapshots the whole training state every
--checkpoint-every and at each epoch end; 'autoenc train --resume DIR'
continues a run that was stopped or killed exactly where its newest valid
snapshot left it (see docs/RELIABILITY.md).`,
		Example: "  autoenc train conv\n  autoenc train stacked --epochs 5 --out out/stacked.safetensors\n  autoenc train conv --checkpoint-dir ckpt --checkpoint-every 2m --replica /mnt/backup/ckpt\n  autoenc train --resume ckpt",
		Args:    maxArgs(1, "one model name (see 'autoenc models')"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.changed = map[string]bool{}
			cmd.Flags().Visit(func(f *pflag.Flag) { o.changed[f.Name] = true })
			if threads < 0 {
				return usageError{fmt.Errorf("--threads must be positive, got %d", threads)}
			}
			if threads > 0 {
				kernels.SetThreads(threads)
			}
			o.Stdout, o.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			if o.Checkpoint.Resume != "" {
				if len(args) == 1 {
					o.Model = args[0]
				}
				for _, name := range []string{"batch-size", "lr", "optimizer", "momentum", "nesterov", "seed"} {
					if o.changed[name] {
						return usageError{fmt.Errorf("--%s cannot change when resuming: the run continues with its snapshot's settings (only --epochs may grow)", name)}
					}
				}
				return runTrain(cmd.Context(), o)
			}
			if len(args) != 1 {
				return usageError{fmt.Errorf("train expects one model name (see 'autoenc models') or --resume DIR, got %d arguments (see '%s --help')", len(args), cmd.CommandPath())}
			}
			b, err := models.Get(args[0])
			if err != nil {
				return err
			}
			// The model's settings, overridden by the flags given.
			cfg, given := b.Train, o.Config
			for flag, apply := range map[string]func(){
				"epochs":     func() { cfg.Epochs = given.Epochs },
				"batch-size": func() { cfg.BatchSize = given.BatchSize },
				"lr":         func() { cfg.LearningRate = given.LearningRate },
				"optimizer":  func() { cfg.Optimizer = given.Optimizer },
				"momentum":   func() { cfg.Momentum = given.Momentum },
				"nesterov":   func() { cfg.Nesterov = given.Nesterov },
				"seed":       func() { cfg.Seed = given.Seed },
			} {
				if o.changed[flag] {
					apply()
				}
			}
			o.Model, o.Config = args[0], cfg
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
	addCheckpointFlags(f, &o.Checkpoint)
	return cmd
}

func runTrain(ctx context.Context, o trainOptions) error {
	start := time.Now()
	var snap *checkpoint.Snapshot
	if o.Checkpoint.Resume != "" {
		var err error
		if snap, err = resumeOptions(&o); err != nil {
			return err
		}
	}
	b, err := models.Get(o.Model)
	if err != nil {
		return err
	}
	if err := o.Config.Validate(); err != nil {
		return usageError{err}
	}
	policy, err := o.Checkpoint.policy()
	if err != nil {
		return err
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
	var tr *train.Trainer
	if snap != nil {
		tr = snap.Trainer()
		tr.Config.Epochs = o.Config.Epochs
		if tr.State.Epoch > tr.Config.Epochs+1 {
			return usageError{fmt.Errorf("--epochs %d is fewer than the %d epochs the snapshot has completed", o.Config.Epochs, tr.State.Epoch-1)}
		}
		if n := len(tr.State.Order); n != ds.Train.Shape[0] {
			return fmt.Errorf("snapshot %s was taken training on %d images, the data set %s has %d: resume with the same --data and --dataset", snap.Path, n, ds.Name, ds.Train.Shape[0])
		}
	} else {
		m, err := nn.NewModel(b.Spec, o.Config.Seed)
		if err != nil {
			return err
		}
		if tr, err = train.NewTrainer(m, o.Config); err != nil {
			return err
		}
	}
	var w *checkpoint.Writer
	if o.Checkpoint.Dir != "" {
		w = &checkpoint.Writer{Dir: o.Checkpoint.Dir, Replica: o.Checkpoint.Replica, EverySteps: policy.steps, Every: policy.every,
			Keep: o.Checkpoint.Keep, KeepEpochs: o.Checkpoint.KeepEpochs, Meta: modelfile.Meta{Model: o.Model, Dataset: ds.Name},
			Run: o.runInfo(), Warn: o.Stderr}
		if testFault != nil {
			w.Fault = func(point string) { testFault(point, nil) }
		}
		if snap != nil {
			w.Last = snap.Path
		}
		if err := w.Start(tr); err != nil {
			return err
		}
	}
	if snap != nil {
		fmt.Fprintf(o.Stdout, "Resuming %s from %s: epoch %d/%d, %d steps done (snapshot of %s)\n",
			o.Model, snap.Path, tr.State.Epoch, tr.Config.Epochs, tr.State.Step, snap.Time.Local().Format("2006-01-02 15:04:05"))
	} else {
		fmt.Fprintf(o.Stdout, "Training %s on %d images of %s, validating on %d (%s, lr %g, batch %d, %d epochs)\n",
			o.Model, ds.Train.Shape[0], ds.Name, ds.Valid.Shape[0], o.Config.Optimizer, o.Config.LearningRate, o.Config.BatchSize, o.Config.Epochs)
	}
	hook := stepHook(w, snap != nil, start, o.Stdout)
	tr.AfterStep = hook
	progress := &kerasProgress{w: o.Stdout, json: o.JSON, terminal: isTerminal(o.Stdout)}
	var hist train.History
	var fitErr error
	for retries := 0; ; retries++ {
		hist, fitErr = tr.Fit(ctx, ds.Train, ds.Valid, progress)
		var de *train.DivergedError
		if !errors.As(fitErr, &de) || o.Checkpoint.OnNaN != "restore" || w == nil || w.Last == "" || retries == 3 {
			break
		}
		s, err := checkpoint.Load(w.Last)
		if err != nil {
			return fmt.Errorf("%v; cannot restore the last snapshot: %v", fitErr, err)
		}
		tr = s.Trainer()
		tr.Config.Epochs = o.Config.Epochs
		tr.Config.LearningRate /= 2
		setLearningRate(tr.Optimizer, tr.Config.LearningRate)
		tr.AfterStep = hook
		if err := w.Start(tr); err != nil {
			return err
		}
		fmt.Fprintf(o.Stderr, "autoenc: %v; restored %s and halved the learning rate to %g (--on-nan restore).\n", fitErr, s.Path, tr.Config.LearningRate)
	}
	interrupted := errors.Is(fitErr, context.Canceled)
	if fitErr != nil && !interrupted {
		if w != nil && w.Last != "" {
			return fmt.Errorf("%w; the last snapshot, %s, is intact", fitErr, w.Last)
		}
		return fitErr
	}
	resumeHint := ""
	if interrupted && w != nil {
		path, err := w.Save(tr, false)
		if err != nil {
			return fmt.Errorf("training interrupted at epoch %d, step %d; %v", tr.State.Epoch, tr.State.Step, err)
		}
		resumeHint = fmt.Sprintf("; snapshot saved to %s; resume with: autoenc train --resume %s", path, o.Checkpoint.Dir)
	}
	meta := modelfile.Meta{Model: o.Model, Dataset: ds.Name, Train: tr.Config, History: hist}
	if err := modelfile.Save(o.Out, tr.Model, meta); err != nil {
		return err
	}
	if interrupted {
		return fmt.Errorf("training interrupted at epoch %d of %d, step %d of %d; the model so far is saved in %s%s",
			tr.State.Epoch, tr.Config.Epochs, tr.State.Step, tr.StepsPerEpoch, o.Out, resumeHint)
	}
	fmt.Fprintf(o.Stdout, "Saved model to %s\n", o.Out)
	if err := writeReconstructions(o.PNG, tr.Model, ds.Valid, 10); err != nil {
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
