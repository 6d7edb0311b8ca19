package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autoenc/autoenc/data"
	"github.com/autoenc/autoenc/modelfile"
	"github.com/autoenc/autoenc/models"
	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/tensor"
	"github.com/autoenc/autoenc/train"
)

// sample returns the first n training and 64 validation images of the
// embedded sample.
func sample(t testing.TB, n int) (x, val *tensor.Tensor) {
	t.Helper()
	ds, err := data.Load(data.Options{Dir: data.SampleDir, AllowSample: true})
	if err != nil {
		t.Fatal(err)
	}
	return ds.Train.Rows(0, n), ds.Valid.Rows(0, 64)
}

// newTrainer returns a trainer of a built-in model with cfg's overrides.
func newTrainer(t testing.TB, model string, edit func(*train.Config)) *train.Trainer {
	t.Helper()
	b, err := models.Get(model)
	if err != nil {
		t.Fatal(err)
	}
	cfg := b.Train
	cfg.Epochs, cfg.BatchSize = 2, 32
	if edit != nil {
		edit(&cfg)
	}
	m, err := nn.NewModel(b.Spec, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func sameWeights(t *testing.T, a, b *nn.Model) {
	t.Helper()
	pb := b.Params()
	for i, p := range a.Params() {
		for j, v := range p.Value.Data {
			if math.Float32bits(v) != math.Float32bits(pb[i].Value.Data[j]) {
				t.Fatalf("%s[%d] = %v, resumed run has %v", p.Name, j, v, pb[i].Value.Data[j])
			}
		}
	}
}

var errStop = errors.New("stop")

// TestResumeIsExact stops runs at several steps (as a crash would: after
// the last snapshot, with work lost), resumes each from its newest snapshot
// and checks the final weights and history against an uninterrupted run.
func TestResumeIsExact(t *testing.T) {
	x, val := sample(t, 320) // 10 steps per epoch
	cases := []struct {
		model string
		edit  func(*train.Config)
	}{
		{"denoising-dropout", func(c *train.Config) { c.Optimizer, c.Momentum = "sgd", 0.9 }},
		{"denoising-gaussian", func(c *train.Config) { c.Optimizer, c.LearningRate = "adam", 1e-3 }},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			ref := newTrainer(t, c.model, c.edit)
			want, err := ref.Fit(context.Background(), x, val, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, stopAt := range []int{1, 4, 10, 11, 17} {
				dir := t.TempDir()
				tr := newTrainer(t, c.model, c.edit)
				w := &Writer{Dir: dir, EverySteps: 3, Keep: 2, KeepEpochs: true, Meta: modelfile.Meta{Model: c.model}}
				if err := w.Start(tr); err != nil {
					t.Fatal(err)
				}
				tr.AfterStep = func(tr *train.Trainer, end bool) error {
					if err := w.Hook(tr, end); err != nil {
						return err
					}
					if !end && tr.State.GlobalStep == stopAt {
						return errStop
					}
					return nil
				}
				if _, err := tr.Fit(context.Background(), x, val, nil); err != errStop {
					t.Fatalf("stop at %d: %v", stopAt, err)
				}
				s, err := Latest([]string{dir}, nil)
				if stopAt < 3 {
					if err == nil {
						t.Fatalf("stop at %d: found snapshot %s before the first was due", stopAt, s.Path)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				res := s.Trainer()
				got, err := res.Fit(context.Background(), x, val, nil)
				if err != nil {
					t.Fatal(err)
				}
				sameWeights(t, ref.Model, res.Model)
				for i := range want {
					if got[i].Loss != want[i].Loss || got[i].ValLoss != want[i].ValLoss {
						t.Errorf("stop at %d: epoch %d loss %v val %v, uninterrupted %v %v", stopAt, i+1, got[i].Loss, got[i].ValLoss, want[i].Loss, want[i].ValLoss)
					}
				}
			}
		})
	}
}

// run trains the stacked model on x for 2 epochs with snapshots every 4
// steps into w's directories and returns the writer.
func run(t *testing.T, x *tensor.Tensor, w *Writer) *train.Trainer {
	t.Helper()
	tr := newTrainer(t, "stacked", nil)
	if w.Keep == 0 {
		w.Keep = 2
	}
	w.EverySteps = 4
	if err := w.Start(tr); err != nil {
		t.Fatal(err)
	}
	tr.AfterStep = w.Hook
	if _, err := tr.Fit(context.Background(), x, nil, nil); err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestRetentionAndSelect(t *testing.T) {
	x, _ := sample(t, 320)
	dir := t.TempDir()
	run(t, x, &Writer{Dir: dir, KeepEpochs: true})
	var names []string
	for _, f := range snapshotFiles(dir) {
		names = append(names, filepath.Base(f.path))
	}
	// Steps 4, 8, epoch end 10, 14, 18, epoch end 20: keep the newest two and
	// both epoch ends.
	want := "snap-000000020-epoch2.safetensors snap-000000018.safetensors snap-000000010-epoch1.safetensors"
	if strings.Join(names, " ") != want {
		t.Errorf("kept %v, want %s", names, want)
	}
	for _, c := range []struct {
		p    Point
		want string
	}{
		{Point{}, "snap-000000020-epoch2.safetensors"},
		{Point{Epoch: 1}, "snap-000000010-epoch1.safetensors"},
		{Point{Step: 19}, "snap-000000018.safetensors"},
		{Point{Before: time.Now().Add(time.Hour)}, "snap-000000020-epoch2.safetensors"},
	} {
		s, err := Select([]string{dir}, c.p, nil)
		if err != nil || filepath.Base(s.Path) != c.want {
			t.Errorf("Select(%v) = %v, %v; want %s", c.p, s, err, c.want)
		}
	}
	if _, err := Select([]string{dir}, Point{Step: 5}, nil); err == nil {
		t.Errorf("Select(step 5) found a snapshot, want none (step 4 was pruned)")
	}
	entries, err := List(dir)
	if err != nil || len(entries) != 3 || entries[0].Err != nil || entries[0].Snapshot.State.GlobalStep != 20 {
		t.Errorf("List = %v, %v", entries, err)
	}
}

// TestCorruptNewestFallsBack flips one byte in the newest snapshot, then
// removes the primary directory: Latest warns naming the bad file and uses
// the next one, then the replica.
func TestCorruptNewestFallsBack(t *testing.T) {
	x, _ := sample(t, 320)
	dir, replica := t.TempDir(), t.TempDir()
	run(t, x, &Writer{Dir: dir, Replica: replica, Keep: 3})
	files := snapshotFiles(dir)
	newest := files[0].path
	b, _ := os.ReadFile(newest)
	b[len(b)-5] ^= 1 // a weight bit: the file still parses
	os.WriteFile(newest, b, 0o644)

	var warned []string
	warn := func(path string, err error) { warned = append(warned, path+": "+err.Error()) }
	s, err := Latest([]string{dir}, warn)
	if err != nil {
		t.Fatal(err)
	}
	if s.Path != files[1].path || len(warned) != 1 || !strings.Contains(warned[0], newest) || !strings.Contains(warned[0], "SHA-256") {
		t.Errorf("Latest chose %s after warnings %q; want %s after one naming %s", s.Path, warned, files[1].path, newest)
	}
	// With the replica listed too, its intact copy of the newest wins.
	s, err = Latest([]string{dir, replica}, nil)
	if err != nil || filepath.Dir(s.Path) != replica || s.State.GlobalStep != files[0].step {
		t.Errorf("Latest with replica = %v, %v", s, err)
	}
	os.RemoveAll(dir)
	s, err = Latest([]string{dir, replica}, nil)
	if err != nil || filepath.Dir(s.Path) != replica || s.State.GlobalStep != 20 {
		t.Errorf("Latest without the primary = %v, %v; want the replica's step 20", s, err)
	}
	// Truncated: every snapshot in the replica cut short.
	for _, f := range snapshotFiles(replica) {
		b, _ := os.ReadFile(f.path)
		os.WriteFile(f.path, b[:len(b)/2], 0o644)
	}
	warned = nil
	if _, err := Latest([]string{dir, replica}, warn); err == nil || len(warned) != 3 || !strings.Contains(err.Error(), "none of the 3 snapshots") {
		t.Errorf("all truncated: err %v, warnings %q", err, warned)
	}
}

// TestNaNStopsAndKeepsSnapshot poisons a weight after step 5: step 6 stops
// with an error naming epoch and step, and the snapshot of step 4 loads.
func TestNaNStopsAndKeepsSnapshot(t *testing.T) {
	x, _ := sample(t, 320)
	dir := t.TempDir()
	tr := newTrainer(t, "stacked", nil)
	w := &Writer{Dir: dir, EverySteps: 2, Keep: 2}
	if err := w.Start(tr); err != nil {
		t.Fatal(err)
	}
	tr.AfterStep = func(tr *train.Trainer, end bool) error {
		err := w.Hook(tr, end)
		if tr.State.GlobalStep == 5 {
			tr.Model.Params()[0].Value.Data[0] = float32(math.Inf(1))
		}
		return err
	}
	_, err := tr.Fit(context.Background(), x, nil, nil)
	var de *train.DivergedError
	if !errors.As(err, &de) || de.Epoch != 1 || de.Step != 6 || !strings.Contains(err.Error(), "epoch 1, step 6") || !strings.Contains(err.Error(), "lower learning rate") {
		t.Fatalf("got %v, want divergence at epoch 1, step 6", err)
	}
	s, err := Latest([]string{dir}, nil)
	if err != nil || s.State.GlobalStep != 4 {
		t.Fatalf("after NaN: Latest = %v, %v; want the snapshot of step 4", s, err)
	}
}

func TestUnwritableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o644)
	w := &Writer{Dir: filepath.Join(file, "ckpt"), Keep: 1}
	err := w.Start(newTrainer(t, "stacked", nil))
	if err == nil || !strings.Contains(err.Error(), "cannot create checkpoint directory "+w.Dir) {
		t.Errorf("Start in a file's subdirectory: %v", err)
	}
	// A directory that disappears (or fills up) mid-run: Save says so and
	// names the intact previous snapshot.
	dir := t.TempDir()
	tr := newTrainer(t, "stacked", nil)
	tr.State.Order = make([]int, 10)
	for i := range tr.State.Order {
		tr.State.Order[i] = i
	}
	w = &Writer{Dir: dir, Keep: 1}
	if err := w.Start(tr); err != nil {
		t.Fatal(err)
	}
	first, err := w.Save(tr, false)
	if err != nil {
		t.Fatal(err)
	}
	w.Dir = filepath.Join(dir, "gone")
	tr.State.GlobalStep++
	if _, err := w.Save(tr, false); err == nil || !strings.Contains(err.Error(), first+" is intact") {
		t.Errorf("Save into a missing directory: %v", err)
	}
}

// TestLoadRejects checks that a damaged snapshot is refused with a reason.
func TestLoadRejects(t *testing.T) {
	x, _ := sample(t, 64)
	dir := t.TempDir()
	run(t, x, &Writer{Dir: dir, Keep: 1})
	good, _ := os.ReadFile(snapshotFiles(dir)[0].path)
	cases := map[string]struct {
		b    []byte
		want string
	}{
		"empty":     {nil, "too few"},
		"truncated": {good[:len(good)-3], "out of range"},
		"bit flip":  {flip(good, len(good)-1), "SHA-256"},
		"model":     {mustModelFile(t), "is not a snapshot"},
	}
	for name, c := range cases {
		_, err := Read(bytes.NewReader(c.b), int64(len(c.b)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x40
	return c
}

func mustModelFile(t *testing.T) []byte {
	p := filepath.Join(t.TempDir(), "m.safetensors")
	tr := newTrainer(t, "stacked", nil)
	if err := modelfile.Save(p, tr.Model, modelfile.Meta{Train: tr.Config}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	return b
}
