package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// threads is the number of goroutines Sgemm may use (SetThreads).
var threads atomic.Int32

func init() { threads.Store(int32(runtime.GOMAXPROCS(0))) }

// SetThreads sets how many goroutines Sgemm splits big products over;
// n < 1 means runtime.GOMAXPROCS(0). Results do not depend on it.
func SetThreads(n int) {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	threads.Store(int32(n))
}

// Threads reports the number of goroutines Sgemm may use.
func Threads() int { return int(threads.Load()) }

// gemmBuf holds one goroutine's packing buffers.
type gemmBuf struct {
	a    []float32 // packed Mc x Kc block of A (kernels with packA)
	b    []float32 // packed Kc x Nc block of B
	edge []float32 // the last, partial mr-tile of A, packed and zero-padded
	t    []float32 // an edge tile of C, computed aside
}

const (
	maxMr = 16 // largest Mr of any kernel
	maxNr = 32 // largest Nr of any kernel
)

// gemmBufs keeps the buffers of finished calls for the next ones: a free
// list rather than a sync.Pool, which the garbage collector would empty.
// It holds as many buffers as calls and workers ever ran at once.
var gemmBufs struct {
	mu   sync.Mutex
	free []*gemmBuf
}

func getGemmBuf() *gemmBuf {
	gemmBufs.mu.Lock()
	defer gemmBufs.mu.Unlock()
	if n := len(gemmBufs.free); n > 0 {
		buf := gemmBufs.free[n-1]
		gemmBufs.free = gemmBufs.free[:n-1]
		return buf
	}
	return &gemmBuf{
		a:    make([]float32, (gemmMc+maxMr)*gemmKc),
		b:    make([]float32, (gemmNc+maxNr)*gemmKc),
		edge: make([]float32, maxMr*gemmKc),
		t:    make([]float32, maxMr*maxNr),
	}
}

func putGemmBuf(buf *gemmBuf) {
	gemmBufs.mu.Lock()
	gemmBufs.free = append(gemmBufs.free, buf)
	gemmBufs.mu.Unlock()
}

// PartRunner is a job split in parts that the worker pool runs; part i
// of a job always covers the same work, whichever goroutine runs it, so
// results do not depend on how many goroutines ran the parts.
type PartRunner interface{ RunPart(i int) }

// task is part i of a job, sent to a worker, which calls done.finish after it.
type task struct {
	job  PartRunner
	i    int
	done *join
}

// join is how runParts waits for its workers: a counter it spins on for a
// while (a part usually ends within microseconds of the caller's own), and
// a WaitGroup to park on after that.
type join struct {
	pending atomic.Int32
	wg      sync.WaitGroup
}

func (j *join) finish() {
	j.pending.Add(-1)
	j.wg.Done()
}

// spinWait is how long an idle worker polls for a task, and runParts for
// its workers' end, before parking on a futex. Waking a parked thread costs
// 50-200 µs on the 2-vCPU KVM machine of docs/PERFORMANCE.md (the idle vCPU
// halts): longer than many of a training step's parallel kernel calls,
// which come a few microseconds to a few milliseconds apart. Polling through
// a step keeps both threads awake (as OpenMP's and OpenBLAS's spinning
// workers do); after spinWait without work the threads park and cost nothing.
const spinWait = 5 * time.Millisecond

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

// parallelJob is a gemm job shared with workers, recycled through jobs.
type parallelJob struct {
	gemmJob
}

// runPart runs part i with packing buffers from the free list.
func (j *parallelJob) RunPart(i int) {
	buf := getGemmBuf()
	j.run(i, buf)
	putGemmBuf(buf)
}

// The worker pool: long-lived goroutines that run parts of jobs, so a
// parallel Sgemm spawns nothing and allocates nothing.
var (
	workMu  sync.Mutex
	workers int
	work    = make(chan task, 64)
	jobs    = sync.Pool{New: func() any { return new(parallelJob) }}
	joins   = sync.Pool{New: func() any { return new(join) }}
)

// ensureWorkers starts workers until n are running.
func ensureWorkers(n int) {
	workMu.Lock()
	for ; workers < n; workers++ {
		go worker()
	}
	workMu.Unlock()
}

func worker() {
	for {
		t := nextTask()
		t.job.RunPart(t.i)
		t.done.finish()
	}
}

// nextTask polls the work queue for up to spinWait before blocking on it.
func nextTask() task {
	var start time.Time
	for i := 0; spinning(i, &start); i++ {
		select {
		case t := <-work:
			return t
		default:
		}
	}
	return <-work
}

// poolBusy is set while a RunParts call has the workers.
var poolBusy atomic.Bool

// RunParts runs parts 0..parts-1 of job and returns when all are done:
// part 0 on the calling goroutine, the others on pool workers. While
// another call has the workers (a part of an outer job calling Sgemm, say,
// or a second model on another goroutine), it runs every part on the
// calling goroutine in order instead: nested calls cannot deadlock, and
// the parts are the same either way.
func RunParts(job PartRunner, parts int) {
	if parts <= 1 || !poolBusy.CompareAndSwap(false, true) {
		for i := range parts {
			job.RunPart(i)
		}
		return
	}
	ensureWorkers(parts - 1)
	done := joins.Get().(*join)
	done.pending.Store(int32(parts - 1))
	done.wg.Add(parts - 1)
	for i := 1; i < parts; i++ {
		work <- task{job: job, i: i, done: done}
	}
	job.RunPart(0)
	var start time.Time
	for i := 0; done.pending.Load() > 0 && spinning(i, &start); i++ {
	}
	done.wg.Wait()
	joins.Put(done)
	poolBusy.Store(false)
}

// runParallel runs part 0 of the job on the calling goroutine and the
// others on workers, and returns when all are done.
func runParallel(g *gemmJob) {
	job := jobs.Get().(*parallelJob)
	job.gemmJob = *g
	RunParts(job, g.parts)
	job.gemmJob = gemmJob{} // drop references to the caller's matrices
	jobs.Put(job)
}
