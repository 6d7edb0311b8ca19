package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
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

// parallelJob is a gemm job shared with workers, recycled through jobs.
type parallelJob struct {
	gemmJob
}

// RunPart runs part i with packing buffers from the free list.
func (j *parallelJob) RunPart(i int) {
	buf := getGemmBuf()
	j.run(i, buf)
	putGemmBuf(buf)
}

// jobs recycles parallelJobs, so a parallel Sgemm allocates nothing.
var jobs = sync.Pool{New: func() any { return new(parallelJob) }}

// runParallel runs part 0 of the job on the calling goroutine and the
// others on workers, and returns when all are done.
func runParallel(g *gemmJob) {
	job := jobs.Get().(*parallelJob)
	job.gemmJob = *g
	RunParts(job, g.parts)
	job.gemmJob = gemmJob{} // drop references to the caller's matrices
	jobs.Put(job)
}
