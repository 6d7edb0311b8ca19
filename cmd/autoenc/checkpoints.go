package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/autoenc/autoenc/checkpoint"
	"github.com/autoenc/autoenc/data"
	"github.com/autoenc/autoenc/modelfile"
	"github.com/autoenc/autoenc/train"
)

// checkpointOptions are train's snapshot flags.
type checkpointOptions struct {
	Dir        string
	Every      string // steps ("500") or a duration ("2m"): the RPO
	Keep       int
	KeepEpochs bool
	Replica    string
	Resume     string
	OnNaN      string // "stop" or "restore"
}

func addCheckpointFlags(f *pflag.FlagSet, o *checkpointOptions) {
	f.StringVar(&o.Dir, "checkpoint-dir", "", "directory for training snapshots (default: none; with --resume, the resumed directory)")
	f.StringVar(&o.Every, "checkpoint-every", "2m", "snapshot every N steps (\"500\") or every duration (\"2m\"), and at each epoch end")
	f.IntVar(&o.Keep, "keep", 3, "newest snapshots to keep")
	f.BoolVar(&o.KeepEpochs, "keep-epochs", true, "also keep the snapshot at the end of every epoch")
	f.StringVar(&o.Replica, "replica", "", "second directory that receives a verified copy of every snapshot")
	f.StringVar(&o.Resume, "resume", "", "continue the run whose snapshots are in this directory (falls back to older snapshots, then to --replica)")
	f.StringVar(&o.OnNaN, "on-nan", "stop", "when the loss becomes NaN or Inf: stop, or restore the last snapshot and halve the learning rate")
}

type snapshotPolicy struct {
	steps int
	every time.Duration
}

func (o checkpointOptions) policy() (snapshotPolicy, error) {
	switch o.OnNaN {
	case "stop", "restore":
	default:
		return snapshotPolicy{}, usageError{fmt.Errorf("unknown --on-nan %q, expected stop or restore", o.OnNaN)}
	}
	if o.Keep < 1 {
		return snapshotPolicy{}, usageError{fmt.Errorf("--keep must be at least 1, got %d", o.Keep)}
	}
	if o.Replica != "" && o.Dir == "" {
		return snapshotPolicy{}, usageError{fmt.Errorf("--replica needs --checkpoint-dir (or --resume)")}
	}
	if n, err := strconv.Atoi(o.Every); err == nil {
		if n <= 0 {
			return snapshotPolicy{}, usageError{fmt.Errorf("--checkpoint-every must be a positive number of steps or a duration such as 2m, got %q", o.Every)}
		}
		return snapshotPolicy{steps: n}, nil
	}
	d, err := time.ParseDuration(o.Every)
	if err != nil || d <= 0 {
		return snapshotPolicy{}, usageError{fmt.Errorf("--checkpoint-every must be a positive number of steps or a duration such as 2m, got %q", o.Every)}
	}
	return snapshotPolicy{every: d}, nil
}

// runInfo is what train records in each snapshot to resume with.
type runInfo struct {
	Model      string      `json:"model"`
	Data       dataOptions `json:"data"`
	Out        string      `json:"out"`
	PNG        string      `json:"png"`
	Every      string      `json:"checkpoint_every"`
	Keep       int         `json:"keep"`
	KeepEpochs bool        `json:"keep_epochs"`
	Replica    string      `json:"replica,omitempty"`
	OnNaN      string      `json:"on_nan"`
}

func (o *trainOptions) runInfo() string {
	// Absolute paths, so that a resume from another directory writes to
	// the same places.
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	d, replica := o.Data, o.Checkpoint.Replica
	if d.Dir != "" && d.Dir != data.SampleDir {
		d.Dir = abs(d.Dir)
	}
	if replica != "" {
		replica = abs(replica)
	}
	b, _ := json.Marshal(runInfo{Model: o.Model, Data: d, Out: abs(o.Out), PNG: abs(o.PNG), Every: o.Checkpoint.Every,
		Keep: o.Checkpoint.Keep, KeepEpochs: o.Checkpoint.KeepEpochs, Replica: replica, OnNaN: o.Checkpoint.OnNaN})
	return string(b)
}

// resumeOptions loads the newest valid snapshot of o's --resume directory
// (or its replica) and fills in o from it where no flag says otherwise.
func resumeOptions(o *trainOptions) (*checkpoint.Snapshot, error) {
	dir := o.Checkpoint.Resume
	dirs := []string{dir}
	if o.Checkpoint.Replica != "" {
		dirs = append(dirs, o.Checkpoint.Replica)
	}
	snap, err := checkpoint.Latest(dirs, func(path string, err error) {
		fmt.Fprintf(o.Stderr, "autoenc: warning: skipping snapshot %s: %v\n", path, err)
	})
	if err != nil {
		return nil, fmt.Errorf("cannot resume: %w", err)
	}
	var ri runInfo
	if err := json.Unmarshal([]byte(snap.Run), &ri); err != nil {
		return nil, fmt.Errorf("cannot resume from %s: its run options are invalid: %v", snap.Path, err)
	}
	if o.Model != "" && o.Model != ri.Model {
		return nil, usageError{fmt.Errorf("snapshot %s is of model %q, not %q", snap.Path, ri.Model, o.Model)}
	}
	o.Model = ri.Model
	epochs := o.Config.Epochs
	o.Config = snap.Meta.Train
	if o.changed["epochs"] {
		o.Config.Epochs = epochs
	}
	pick := func(flag string, dst *string, v string) {
		if !o.changed[flag] {
			*dst = v
		}
	}
	pick("data", &o.Data.Dir, ri.Data.Dir)
	pick("dataset", &o.Data.Dataset, ri.Data.Dataset)
	pick("out", &o.Out, ri.Out)
	pick("png", &o.PNG, ri.PNG)
	pick("checkpoint-every", &o.Checkpoint.Every, ri.Every)
	pick("replica", &o.Checkpoint.Replica, ri.Replica)
	pick("on-nan", &o.Checkpoint.OnNaN, ri.OnNaN)
	pick("checkpoint-dir", &o.Checkpoint.Dir, dir)
	if !o.changed["keep"] {
		o.Checkpoint.Keep = ri.Keep
	}
	if !o.changed["keep-epochs"] {
		o.Checkpoint.KeepEpochs = ri.KeepEpochs
	}
	return snap, nil
}

// testFault, set only by tests, is called at fault-injection points: while
// a snapshot is half written ("partial", t nil) and after each step ("step
// N", with the trainer).
var testFault func(point string, t *train.Trainer)

// stepHook returns the trainer's AfterStep: w's snapshot policy, and after
// a resume one line saying how long it took to the first step (the RTO).
// It returns nil when there is nothing to do, so that training runs without.
func stepHook(w *checkpoint.Writer, resumed bool, start time.Time, out io.Writer) func(*train.Trainer, bool) error {
	if w == nil && !resumed && testFault == nil {
		return nil
	}
	first := resumed
	return func(t *train.Trainer, epochEnd bool) error {
		if first {
			first = false
			fmt.Fprintf(out, "First step after resuming done %.2f s after start\n", time.Since(start).Seconds())
		}
		if testFault != nil && !epochEnd {
			testFault("step "+strconv.Itoa(t.State.GlobalStep), t)
		}
		if w == nil {
			return nil
		}
		return w.Hook(t, epochEnd)
	}
}

func setLearningRate(o train.Optimizer, lr float64) {
	switch o := o.(type) {
	case *train.SGD:
		o.LearningRate = lr
	case *train.Adam:
		o.LearningRate = lr
	}
}

// maxArgs is cobra.MaximumNArgs with a usage error that says what was expected.
func maxArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return usageError{fmt.Errorf("%s expects %s, got %d arguments (see '%s --help')", cmd.Name(), what, len(args), cmd.CommandPath())}
		}
		return nil
	}
}

func newCheckpointsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "checkpoints",
		Short: "List, verify and restore training snapshots",
		Long: `Inspect the snapshots that 'autoenc train --checkpoint-dir DIR' writes:
list them, verify their checksums, or restore the model of one of them (a
point-in-time restore) as a model file.`,
	}
	cmd.AddCommand(newCheckpointsListCmd(), newCheckpointsVerifyCmd(), newCheckpointsRestoreCmd())
	return cmd
}

func newCheckpointsListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list DIR",
		Short:   "List the snapshots in DIR with their time, epoch, step, val_loss, size and checksum state",
		Example: "  autoenc checkpoints list ckpt",
		Args:    exactArgs(1, "one checkpoint directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			entries, err := checkpoint.List(args[0])
			if err != nil {
				return err
			}
			printEntries(cmd.OutOrStdout(), entries)
			return nil
		},
	}
}

func printEntries(out io.Writer, entries []checkpoint.Entry) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tEPOCH\tSTEP\tGLOBAL STEP\tVAL_LOSS\tSIZE\tCHECKSUM\tFILE")
	for _, e := range entries {
		name := filepath.Base(e.Path)
		if e.Err != nil {
			fmt.Fprintf(tw, "-\t-\t-\t-\t-\t%d\tBAD: %s\t%s\n", e.Size, strings.TrimPrefix(e.Err.Error(), "snapshot "+e.Path+": "), name)
			continue
		}
		s := e.Snapshot
		vl := "-"
		if v := s.ValLoss(); !math.IsNaN(v) {
			vl = fmt.Sprintf("%.4f", v)
		}
		step := fmt.Sprint(s.State.Step)
		if s.EpochEnd {
			step = "end"
		}
		epoch := s.State.Epoch
		if s.EpochEnd {
			epoch--
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%d\tok\t%s\n", s.Time.Local().Format("2006-01-02 15:04:05"), epoch, step, s.State.GlobalStep, vl, e.Size, name)
	}
	tw.Flush()
}

func newCheckpointsVerifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "verify DIR",
		Short:   "Check every snapshot in DIR against its SHA-256 and structure; exit 1 if any is bad",
		Example: "  autoenc checkpoints verify ckpt",
		Args:    exactArgs(1, "one checkpoint directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			entries, err := checkpoint.List(args[0])
			if err != nil {
				return err
			}
			var bad []string
			for _, e := range entries {
				if e.Err != nil {
					bad = append(bad, filepath.Base(e.Path))
					fmt.Fprintf(cmd.OutOrStdout(), "BAD  %v\n", e.Err)
				} else {
					fmt.Fprintf(cmd.OutOrStdout(), "ok   %s\n", e.Path)
				}
			}
			switch {
			case len(entries) == 0:
				return fmt.Errorf("no snapshots in %s", args[0])
			case len(bad) > 0:
				return fmt.Errorf("%d of %d snapshots in %s are bad: %s", len(bad), len(entries), args[0], strings.Join(bad, ", "))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "All %d snapshots in %s are intact.\n", len(entries), args[0])
			return nil
		},
	}
}

func newCheckpointsRestoreCmd() *cobra.Command {
	var (
		p       checkpoint.Point
		before  string
		out     string
		replica string
	)
	cmd := &cobra.Command{
		Use:   "restore DIR --out MODEL.safetensors [--epoch E | --step S | --before TIME]",
		Short: "Write the model of the newest snapshot at or before a point in time as a model file",
		Long: `Write the model of a snapshot in DIR as a model file that eval, encode and
reconstruct accept. Without a selector, the newest valid snapshot; --epoch E
takes the newest with at most E epochs completed, --step S the newest at or
before global step S, --before TIME (RFC 3339, or a duration ago such as
90m) the newest taken before then. Files that do not verify are skipped
with a warning; --replica is searched too.`,
		Example: "  autoenc checkpoints restore ckpt --epoch 3 --out conv-epoch3.safetensors\n  autoenc checkpoints restore ckpt --before 2026-12-03T14:00:00Z --out before-2pm.safetensors",
		Args:    exactArgs(1, "one checkpoint directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{fmt.Errorf("restore needs --out MODEL.safetensors")}
			}
			if p.Epoch < 0 || p.Step < 0 {
				return usageError{fmt.Errorf("--epoch and --step must be positive")}
			}
			if before != "" {
				t, err := parseBefore(before, time.Now())
				if err != nil {
					return usageError{err}
				}
				p.Before = t
			}
			dirs := []string{args[0]}
			if replica != "" {
				dirs = append(dirs, replica)
			}
			s, err := checkpoint.Select(dirs, p, func(path string, err error) {
				fmt.Fprintf(cmd.ErrOrStderr(), "autoenc: warning: skipping snapshot %s: %v\n", path, err)
			})
			if err != nil {
				return fmt.Errorf("no snapshot to restore (%s): %w", p, err)
			}
			meta := s.Meta
			meta.History = s.State.History
			if err := modelfile.Save(out, s.Model, meta); err != nil {
				return err
			}
			where := fmt.Sprintf("epoch %d, step %d", s.State.Epoch, s.State.Step)
			if s.State.Step == 0 {
				where = fmt.Sprintf("end of epoch %d", s.State.Epoch-1)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Restored %s (%s, global step %d, taken %s) to %s\n",
				s.Path, where, s.State.GlobalStep, s.Time.Local().Format("2006-01-02 15:04:05"), out)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&p.Epoch, "epoch", 0, "newest snapshot with at most this many epochs completed")
	f.IntVar(&p.Step, "step", 0, "newest snapshot at or before this global step")
	f.StringVar(&before, "before", "", "newest snapshot taken before this time (RFC 3339) or this long ago (90m)")
	f.StringVarP(&out, "out", "o", "", "model file to write")
	f.StringVar(&replica, "replica", "", "replica directory to search as well")
	return cmd
}

// parseBefore reads an RFC 3339 time or a duration before now.
func parseBefore(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--before %q is neither an RFC 3339 time (2026-12-03T14:00:00Z) nor a duration ago (90m)", s)
}
