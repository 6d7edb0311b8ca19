package checkpoint

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/autoenc/autoenc/internal/atomicfile"
	"github.com/autoenc/autoenc/modelfile"
	"github.com/autoenc/autoenc/train"
)

// Writer writes the snapshots of a training run into Dir (and a copy into
// Replica) by the policy its fields set. Use its Hook as the trainer's
// AfterStep.
type Writer struct {
	Dir     string
	Replica string // "" for none

	// A snapshot is taken every EverySteps steps or Every of time, whichever
	// comes first (0 turns either off), and at the end of each epoch.
	EverySteps int
	Every      time.Duration

	// Keep is how many of the newest snapshots are kept (at least 1); with
	// KeepEpochs, the snapshot at the end of every epoch is kept as well.
	Keep       int
	KeepEpochs bool

	// Meta's model and data set names are recorded in every snapshot, and
	// Run as it is (the CLI stores its options there, to resume with).
	Meta modelfile.Meta
	Run  string

	// Warn receives one line when the replica cannot be written; the
	// primary snapshot is durable by then, so training goes on.
	Warn io.Writer

	// Fault, if set, is called at points of a write named "partial" (half
	// the temporary file written), for fault-injection tests.
	Fault func(point string)

	// Last is the path of the newest snapshot written.
	Last string

	lastStep int
	lastTime time.Time
}

// Start checks that the directories can take snapshots, creating them if
// needed, removes temporary files that a crash left behind, and starts the
// clocks of the snapshot policy at t's position.
func (w *Writer) Start(t *train.Trainer) error {
	if w.Keep < 1 {
		return fmt.Errorf("snapshots to keep must be at least 1, got %d", w.Keep)
	}
	for _, dir := range w.dirs() {
		if err := checkDir(dir); err != nil {
			return err
		}
		stale, _ := filepath.Glob(filepath.Join(dir, "."+prefix+"*.tmp-*"))
		for _, p := range stale {
			os.Remove(p)
		}
	}
	w.lastStep, w.lastTime = t.State.GlobalStep, time.Now()
	return nil
}

// checkDir creates dir if needed and checks that it accepts new files.
func checkDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create checkpoint directory %s: %v", dir, unwrap(err))
	}
	f, err := os.CreateTemp(dir, ".autoenc-check-*")
	if err != nil {
		return fmt.Errorf("checkpoint directory %s is not writable: %v", dir, unwrap(err))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func (w *Writer) dirs() []string {
	if w.Replica == "" {
		return []string{w.Dir}
	}
	return []string{w.Dir, w.Replica}
}

// Hook takes a snapshot when the policy says so; it has the signature of
// train.Trainer.AfterStep. The last step of an epoch is left to the
// epoch-end snapshot that follows it.
func (w *Writer) Hook(t *train.Trainer, epochEnd bool) error {
	s := &t.State
	if !epochEnd {
		if s.Step == t.StepsPerEpoch {
			return nil
		}
		due := w.EverySteps > 0 && s.GlobalStep-w.lastStep >= w.EverySteps
		if !due && w.Every > 0 && time.Since(w.lastTime) >= w.Every {
			due = true
		}
		if !due {
			return nil
		}
	}
	_, err := w.Save(t, epochEnd)
	return err
}

// Save writes a snapshot of t now, then its replica, then removes what the
// retention policy no longer keeps. It returns the snapshot's path.
func (w *Writer) Save(t *train.Trainer, epochEnd bool) (string, error) {
	b, err := encode(t, w.Meta, w.Run, epochEnd, time.Now())
	if err != nil {
		return "", err
	}
	name := fileName(t.State.GlobalStep, epochEnd, t.State.Epoch-1)
	path := filepath.Join(w.Dir, name)
	err = atomicfile.Write(path, func(f io.Writer) error {
		half := len(b) / 2
		if _, err := f.Write(b[:half]); err != nil {
			return err
		}
		if w.Fault != nil {
			w.Fault("partial")
		}
		_, err := f.Write(b[half:])
		return err
	})
	if err != nil {
		prev := "no earlier snapshot"
		if w.Last != "" {
			prev = "the previous snapshot " + w.Last + " is intact"
		}
		return "", fmt.Errorf("cannot save snapshot: %w (%s)", err, prev)
	}
	w.Last = path
	w.lastStep, w.lastTime = t.State.GlobalStep, time.Now()
	w.prune(w.Dir)
	if w.Replica != "" {
		if err := copyVerified(filepath.Join(w.Replica, name), b); err != nil {
			if w.Warn != nil {
				fmt.Fprintf(w.Warn, "autoenc: warning: replica not written: %v; the snapshot in %s is.\n", err, w.Dir)
			}
		} else {
			w.prune(w.Replica)
		}
	}
	return path, nil
}

// copyVerified writes b to path atomically and loads it back.
func copyVerified(path string, b []byte) error {
	if err := atomicfile.Write(path, func(f io.Writer) error { _, err := f.Write(b); return err }); err != nil {
		return err
	}
	got, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, b) {
		return fmt.Errorf("copy %s reads back differently", path)
	}
	if _, err := Read(bytes.NewReader(got), int64(len(got))); err != nil {
		return fmt.Errorf("copy %s: %w", path, err)
	}
	return nil
}

// prune removes the snapshots of dir beyond the newest Keep, except
// epoch-end ones when KeepEpochs is set.
func (w *Writer) prune(dir string) {
	files := snapshotFiles(dir)
	kept := 0
	for _, f := range files { // newest first
		if kept < w.Keep {
			kept++
			continue
		}
		if w.KeepEpochs && f.epochEnd {
			continue
		}
		os.Remove(f.path)
	}
}

// File names: snap-<global step>.safetensors, and for the snapshot at the
// end of epoch E, snap-<global step>-epoch<E>.safetensors. Zero-padded, so
// they sort by step.
const prefix = "snap-"

func fileName(globalStep int, epochEnd bool, epoch int) string {
	if epochEnd {
		return fmt.Sprintf("%s%09d-epoch%d.safetensors", prefix, globalStep, epoch)
	}
	return fmt.Sprintf("%s%09d.safetensors", prefix, globalStep)
}

type fileInfo struct {
	path       string
	step       int
	epochEnd   bool
	dirIndex   int
	modTime    time.Time
	sizeOnDisk int64
}

// snapshotFiles lists the snapshot files of dir, newest (highest step) first.
func snapshotFiles(dir string) []fileInfo {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []fileInfo
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, prefix) || !strings.HasSuffix(n, ".safetensors") || !e.Type().IsRegular() {
			continue
		}
		core := strings.TrimSuffix(strings.TrimPrefix(n, prefix), ".safetensors")
		num, tag, _ := strings.Cut(core, "-")
		step, err := strconv.Atoi(num)
		if err != nil || step < 0 {
			continue
		}
		fi := fileInfo{path: filepath.Join(dir, n), step: step, epochEnd: strings.HasPrefix(tag, "epoch")}
		if info, err := e.Info(); err == nil {
			fi.modTime, fi.sizeOnDisk = info.ModTime(), info.Size()
		}
		out = append(out, fi)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].step != out[j].step {
			return out[i].step > out[j].step
		}
		return out[i].epochEnd && !out[j].epochEnd
	})
	return out
}

func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
