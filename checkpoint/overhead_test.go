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
	overheadSegment = flag.Duration("segment", 10*time.Second, "length of each measured segment")
	overheadPairs   = flag.Int("pairs", 12, "pairs of segments (without, with snapshots)")
	overheadEvery   = flag.Duration("every", 30*time.Second, "snapshot interval, in time spent in segments with snapshots")
)

// TestSnapshotOverhead measures, in one run, training throughput without
// snapshots and with a snapshot every 30 s. The run alternates short
// segments without and with snapshots, so that changes in machine load hit
// both alike; the 30 s are counted in time spent in segments with
// snapshots. Run it with (see docs/RELIABILITY.md):
//
//	go test -tags overhead -run TestSnapshotOverhead -v -timeout 30m ./checkpoint
func TestSnapshotOverhead(t *testing.T) {
	ds, err := data.Load(data.Options{AllowSample: true})
	if err != nil {
		t.Fatal(err)
	}
	tr := newTrainer(t, *overheadModel, func(c *train.Config) { c.Epochs = 1000 })
	w := &Writer{Dir: t.TempDir(), Keep: 2, Meta: modelfile.Meta{Model: *overheadModel, Dataset: ds.Name}}
	if err := w.Start(tr); err != nil {
		t.Fatal(err)
	}
	var (
		saves    int
		saveTime time.Duration
		onTime   time.Duration // in segments with snapshots, up to the last step
		segStart time.Time
		lastSave time.Duration // onTime at the last snapshot
		onBefore time.Duration // onTime when the current segment began
	)
	hook := func(t *train.Trainer, end bool) error {
		onTime = onBefore + time.Since(segStart)
		if !end && onTime-lastSave < *overheadEvery {
			return nil
		}
		start := time.Now()
		if _, err := w.Save(t, end); err != nil {
			return err
		}
		saves++
		saveTime += time.Since(start)
		lastSave = onTime
		return nil
	}
	segment := func(on bool) (steps int, secs float64) {
		tr.AfterStep = nil
		if on {
			tr.AfterStep = hook
		}
		ctx, cancel := context.WithTimeout(context.Background(), *overheadSegment)
		defer cancel()
		s0 := tr.State.GlobalStep
		segStart, onBefore = time.Now(), onTime
		if _, err := tr.Fit(ctx, ds.Train, nil, nil); err != context.DeadlineExceeded {
			t.Fatalf("segment ended with %v", err)
		}
		if on {
			onTime = onBefore + time.Since(segStart)
		}
		return tr.State.GlobalStep - s0, time.Since(segStart).Seconds()
	}
	segment(false) // warm up buffers and caches
	var offSteps, onSteps int
	var offSecs, onSecs float64
	for range *overheadPairs {
		a, as := segment(false)
		b, bs := segment(true)
		offSteps, offSecs, onSteps, onSecs = offSteps+a, offSecs+as, onSteps+b, onSecs+bs
	}
	off, on := float64(offSteps)/offSecs, float64(onSteps)/onSecs
	t.Logf("%s on %s, %d images: %d snapshots of %d bytes, mean write %v", *overheadModel, ds.Name, ds.Train.Shape[0], saves, sizeOf(w.Last), saveTime/time.Duration(max(saves, 1)))
	t.Logf("steps/s without snapshots %.2f (%d steps in %.0f s), with a snapshot every %v %.2f (%d steps in %.0f s)", off, offSteps, offSecs, *overheadEvery, on, onSteps, onSecs)
	t.Logf("throughput ratio with/without: %.4f (overhead %.2f%%); snapshot time / interval: %.3f%%",
		on/off, 100*(1-on/off), 100*saveTime.Seconds()/float64(max(saves, 1))/overheadEvery.Seconds())
}
func sizeOf(path string) int64 {
	for _, f := range snapshotFiles(filepath.Dir(path)) {
		if f.path == path {
			return f.sizeOnDisk
		}
	}
	return 0
}
