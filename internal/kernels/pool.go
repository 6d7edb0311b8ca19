package kernels

import (
	"runtime"
	"sync/atomic"
	"time"
)

// PartRunner is a job split in parts that the worker pool runs; part i
// of a job always covers the same work, whichever goroutine runs it, so
// results do not depend on how many goroutines ran the parts.
type PartRunner interface{ RunPart(i int) }

// The worker pool: long-lived goroutines, worker i running part i+1 of
// each job, so a parallel call spawns nothing and allocates nothing.
//
// Hand-overs go through atomics, not channels or locks: the caller
// publishes a part in the worker's slot and bumps its sequence number; the
// worker, polling that number, runs the part and counts down pending,
// which the caller polls. Both poll for up to spinWait before parking on a
// channel. A hand-over so costs a cache line or two moving between cores
// (under a microsecond), which matters because a training step makes a
// few dozen of them, most around work of tens of microseconds.
var pool struct {
	busy    atomic.Bool // a RunParts call has the workers
	_       [64]byte
	pending atomic.Int32 // parts of the current job still running on workers
	_       [64]byte
	waiter  parker    // the caller, waiting for pending to reach 0
	workers []*worker // only the busy holder touches them
}

func init() { pool.waiter.wake = make(chan struct{}, 1) }

// spinWait is how long an idle worker polls for a part, and RunParts for
// its workers' end, before parking. Waking a parked thread costs 50-200 µs
// on the 2-vCPU KVM machine of docs/PERFORMANCE.md (the idle vCPU halts):
// longer than many of a training step's parallel calls, which come a few
// microseconds to a few milliseconds apart. Polling through a step keeps
// both threads awake (as OpenMP's and OpenBLAS's spinning workers do);
// after spinWait without work the threads park and cost nothing.
const spinWait = 5 * time.Millisecond

// parker lets one goroutine park until another wakes it, without losing a
// wake-up that races with parking.
type parker struct {
	parked atomic.Bool
	wake   chan struct{} // capacity 1
}

// park blocks until unpark, unless ready (checked after announcing the
// park) is already true.
func (p *parker) park(ready func() bool) {
	p.parked.Store(true)
	if ready() {
		if p.parked.CompareAndSwap(true, false) {
			return
		}
		// unpark has cleared parked and is sending (or has sent) a wake-up.
	}
	<-p.wake
}

// unpark wakes the goroutine if it parked (or is about to).
func (p *parker) unpark() {
	if p.parked.Load() && p.parked.CompareAndSwap(true, false) {
		p.wake <- struct{}{}
	}
}

// worker is one pool goroutine's slot, padded to its own cache lines.
type worker struct {
	_    [64]byte
	seq  atomic.Uint64 // bumped by RunParts after job and part are set
	job  PartRunner
	part int
	p    parker
	_    [64]byte
}

func (w *worker) run() {
	var last uint64
	for {
		for !w.poll(last) {
			w.p.park(func() bool { return w.seq.Load() != last })
		}
		last = w.seq.Load()
		w.job.RunPart(w.part)
		w.job = nil
		if pool.pending.Add(-1) == 0 {
			pool.waiter.unpark()
		}
	}
}

// poll polls w.seq for up to spinWait and reports whether it moved past last.
func (w *worker) poll(last uint64) bool {
	var start time.Time
	for i := 0; w.seq.Load() == last; i++ {
		if !spinning(i, &start) {
			return false
		}
	}
	return true
}

// spinning reports, every 256th poll i, whether less than spinWait has
// passed since *start (set on the first check). It yields the processor at
// each check, so that a poller never holds up the goroutine it waits for
// when there are more threads than processors (GOMAXPROCS).
func spinning(i int, start *time.Time) bool {
	if i%256 != 255 {
		return true
	}
	runtime.Gosched()
	if start.IsZero() {
		*start = time.Now()
		return true
	}
	return time.Since(*start) < spinWait
}

// RunParts runs parts 0..parts-1 of job and returns when all are done:
// part 0 on the calling goroutine, the others on pool workers. While
// another call has the workers (a part of an outer job calling Sgemm, say,
// or a second model on another goroutine), it runs every part on the
// calling goroutine in order instead: nested calls cannot deadlock, and
// the parts are the same either way.
func RunParts(job PartRunner, parts int) {
	if parts <= 1 || !pool.busy.CompareAndSwap(false, true) {
		for i := range parts {
			job.RunPart(i)
		}
		return
	}
	for len(pool.workers) < parts-1 {
		w := &worker{p: parker{wake: make(chan struct{}, 1)}}
		pool.workers = append(pool.workers, w)
		go w.run()
	}
	pool.pending.Store(int32(parts - 1))
	for i, w := range pool.workers[:parts-1] {
		w.job, w.part = job, i+1
		w.seq.Add(1)
		w.p.unpark()
	}
	job.RunPart(0)
	var start time.Time
	for i := 0; pool.pending.Load() > 0; i++ {
		if !spinning(i, &start) {
			pool.waiter.park(func() bool { return pool.pending.Load() == 0 })
			break
		}
	}
	pool.busy.Store(false)
}
