package kernels

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countJob counts how often each part ran, and runs an inner job from
// each part when nested is set.
type countJob struct {
	runs   [8]atomic.Int32
	nested *countJob
}

func (j *countJob) RunPart(i int) {
	j.runs[i].Add(1)
	if j.nested != nil {
		RunParts(j.nested, 3)
	}
}

func (j *countJob) check(t *testing.T, parts int, want int32) {
	t.Helper()
	for i := range j.runs {
		w := want
		if i >= parts {
			w = 0
		}
		if got := j.runs[i].Load(); got != w {
			t.Fatalf("part %d ran %d times, want %d", i, got, w)
		}
	}
}

// TestRunParts checks that every part runs exactly once: with workers
// awake, after they have parked (spinWait), when parts call RunParts
// themselves (those run on the caller), and from several goroutines at once.
func TestRunParts(t *testing.T) {
	for _, parts := range []int{0, 1, 2, 3, 8} {
		j := &countJob{}
		for range 100 {
			RunParts(j, parts)
		}
		j.check(t, parts, 100)
	}

	j := &countJob{}
	RunParts(j, 3)
	time.Sleep(3 * spinWait) // workers and waiter park
	RunParts(j, 3)
	j.check(t, 3, 2)

	inner := &countJob{}
	outer := &countJob{nested: inner}
	RunParts(outer, 2)
	outer.check(t, 2, 1)
	inner.check(t, 3, 2)

	var wg sync.WaitGroup
	jobs := make([]*countJob, 4)
	for g := range jobs {
		jobs[g] = &countJob{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				RunParts(jobs[g], 4)
			}
		}()
	}
	wg.Wait()
	for _, j := range jobs {
		j.check(t, 4, 500)
	}
}
