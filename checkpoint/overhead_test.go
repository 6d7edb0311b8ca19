//go:build overhead

package checkpoint

import (
	"context"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/autoenc/autoenc/data"
	"github.com/autoenc/autoenc/modelfile"
	"github.com/autoenc/autoenc/train"
)

var (
	overheadModel   = flag.String("model", "conv", "built-in model to train")
	overheadSegment = flag.Duration("segment", 61*time.Second, "length of each measured segment")
	overheadPairs   = flag.Int("pairs", 2, "pairs of segments (without, with snapshots)")
	overheadEvery   = flag.Duration("every", 30*time.Second, "snapshot interval in the segments with snapshots")
)

// TestSnapshotOverhead measures, in one run, training throughput without
// snapshots and with a snapshot every 30 s, in alternating segments of the
// same run (so that machine load drifts affect both alike), and reports the
// ratio. Run it with (see docs/RELIABILITY.md):
//
//	go test -tags overhead -run TestSnapshotOverhead -v -timeout 30m ./checkpoint
func TestSnapshotOverhead(t *testing.T) {
	ds, err := data.Load(data.Options{AllowSample: true})
	if err != nil {
		t.Fatal(err)
	}
	tr := newTrainer(t, *overheadModel, func(c *train.Config) { c.Epochs = 1000 })
	w := &Writer{Dir: t.TempDir(), Every: *overheadEvery, Keep: 2, Meta: modelfile.Meta{Model: *overheadModel, Dataset: ds.Name}}
	if err := w.Start(tr); err != nil {
		t.Fatal(err)
	}
	var saves int
	var saveTime time.Duration
	hook := func(t *train.Trainer, end bool) error {
		before := w.Last
		start := time.Now()
		err := w.Hook(t, end)
		if w.Last != before || end {
			saves++
			saveTime += time.Since(start)
		}
		return err
	}
	segment := func(on bool) float64 {
		tr.AfterStep = nil
		if on {
			tr.AfterStep = hook
			w.Start(tr) // the interval counts from the segment's start
		}
		ctx, cancel := context.WithTimeout(context.Background(), *overheadSegment)
		defer cancel()
		s0, t0 := tr.State.GlobalStep, time.Now()
		if _, err := tr.Fit(ctx, ds.Train, nil, nil); err != context.DeadlineExceeded {
			t.Fatalf("segment ended with %v", err)
		}
		return float64(tr.State.GlobalStep-s0) / time.Since(t0).Seconds()
	}
	segment(false) // warm up buffers and caches
	var off, on float64
	for range *overheadPairs {
		a, b := segment(false), segment(true)
		t.Logf("steps/s without snapshots %.2f, with %.2f", a, b)
		off, on = off+a, on+b
	}
	t.Logf("%s on %s, %d images: %d snapshots of %d bytes, mean write %v", *overheadModel, ds.Name, ds.Train.Shape[0], saves, sizeOf(w.Last), saveTime/time.Duration(max(saves, 1)))
	t.Logf("throughput with a snapshot every %v / without: %.4f (overhead %.2f%%)", *overheadEvery, on/off, 100*(1-on/off))
}

func sizeOf(path string) int64 {
	for _, f := range snapshotFiles(filepath.Dir(path)) {
		if f.path == path {
			return f.sizeOnDisk
		}
	}
	return 0
}
