package kernels

import (
	"math"
	"sync"
)

// lossChunk is the fixed number of values per partial sum of BCE: the sum
// is taken in float64 over each chunk [c*lossChunk, (c+1)*lossChunk) and
// the chunks' sums are added in chunk order, so the result does not depend
// on how many goroutines ran the chunks. 4096 values: 48 KiB of pred,
// target and grad, a few microseconds of work, far more than a hand-off.
const lossChunk = 4096

// BCEEpsilon is Keras's backend epsilon(), with which BCE clips and guards
// its logs.
const BCEEpsilon = 1e-7

// BCE is Keras's binary cross-entropy on probabilities. With
// p = clip(pred[i], eps, 1-eps) and t = target[i], it returns
//
//	sum_i -(t*log(p+eps) + (1-t)*log(1-p+eps))
//
// skipping a log whose weight (t or 1-t) is 0, and sets
//
//	grad[i] = scale * ((1-t)*(p+eps) - t*(1-p+eps)) / ((p+eps)*(1-p+eps))
//
// (scale times the derivative), or 0 where the clip is active. A NaN in
// pred gives a NaN sum. target and grad must be at least len(pred) long.
// The sum is taken in fixed chunks of lossChunk values (see there) split
// over Threads() goroutines: the result is the same for any thread count.
func BCE(pred, target, grad []float32, scale float64) float64 {
	n := len(pred)
	target, grad = target[:n], grad[:n]
	chunks := (n + lossChunk - 1) / lossChunk
	parts := min(Threads(), chunks)
	if parts <= 1 {
		var sum float64
		for c := 0; c < chunks; c++ {
			lo, hi := c*lossChunk, min((c+1)*lossChunk, n)
			sum += bceChunk(pred[lo:hi], target[lo:hi], grad[lo:hi], scale)
		}
		return sum
	}
	j := lossJobs.Get().(*lossJob)
	if cap(j.partial) < chunks {
		j.partial = make([]float64, chunks)
	}
	j.p, j.t, j.g, j.scale = pred, target, grad, scale
	j.partial, j.chunks, j.parts = j.partial[:chunks], chunks, parts
	RunParts(j, parts)
	var sum float64
	for _, s := range j.partial {
		sum += s
	}
	j.p, j.t, j.g = nil, nil, nil
	lossJobs.Put(j)
	return sum
}

// lossJob is a BCE call split over the worker pool: part i computes the
// partial sums of chunks partRange(i, parts, chunks).
type lossJob struct {
	p, t, g       []float32
	scale         float64
	partial       []float64 // one sum per chunk, kept for the next call
	chunks, parts int
}

var lossJobs = sync.Pool{New: func() any { return new(lossJob) }}

func (j *lossJob) RunPart(i int) {
	c0, c1 := partRange(i, j.parts, j.chunks)
	n := len(j.p)
	for c := c0; c < c1; c++ {
		lo, hi := c*lossChunk, min((c+1)*lossChunk, n)
		j.partial[c] = bceChunk(j.p[lo:hi], j.t[lo:hi], j.g[lo:hi], j.scale)
	}
}

// bceChunk is BCE on one chunk, summed in order.
func bceChunk(pred, target, grad []float32, scale float64) float64 {
	var sum float64
	target, grad = target[:len(pred)], grad[:len(pred)]
	for i, p := range pred {
		t := float64(target[i])
		pc := min(max(float64(p), BCEEpsilon), 1-BCEEpsilon)
		a, b := pc+BCEEpsilon, 1-pc+BCEEpsilon
		// A term whose weight is 0 is skipped: images are mostly exact 0s and 1s.
		if t != 0 {
			sum -= t * math.Log(a)
		}
		if t != 1 {
			sum -= (1 - t) * math.Log(b)
		}
		if pc != float64(p) { // the clip is active (or p is NaN): its gradient is 0
			grad[i] = 0
			continue
		}
		// d/dp = -(t/a - (1-t)/b) = ((1-t)*a - t*b) / (a*b).
		grad[i] = float32(((1-t)*a - t*b) / (a * b) * scale)
	}
	return sum
}

// optGrain is the least number of parameters worth handing to a second
// goroutine in SGD: the update is a few loads and stores per value.
const optGrain = 16384

// SGD is Keras's SGD update of weights w from gradients g, which it then
// clears. Without momentum (v == nil): w[i] -= lr*g[i]. With momentum m:
// v[i] = m*v[i] - lr*g[i], then w[i] += v[i], or with nesterov
// w[i] += m*v[i] - lr*g[i]. g and v must be at least len(w) long. Large w
// is split over Threads() goroutines; each value's result is the same
// however it is split.
func SGD(w, g, v []float32, lr, m float32, nesterov bool) {
	g = g[:len(w)]
	if v != nil {
		v = v[:len(w)]
	}
	job := optJob{w: w, g: g, v: v, lr: lr, m: m, nesterov: nesterov}
	parts := min(Threads(), len(w)/optGrain)
	if parts <= 1 {
		job.runRange(0, len(w))
		return
	}
	j := optJobs.Get().(*optJob)
	*j = job
	j.parts = parts
	RunParts(j, parts)
	*j = optJob{}
	optJobs.Put(j)
}

// optJob is an SGD call split over the worker pool.
type optJob struct {
	w, g, v  []float32
	lr, m    float32
	nesterov bool
	parts    int
}

var optJobs = sync.Pool{New: func() any { return new(optJob) }}

func (j *optJob) RunPart(i int) {
	lo, hi := partRange(i, j.parts, len(j.w))
	j.runRange(lo, hi)
}

func (j *optJob) runRange(lo, hi int) {
	w, g := j.w[lo:hi], j.g[lo:hi]
	lr, m := j.lr, j.m
	switch {
	case j.v == nil:
		for i := range w {
			w[i] -= lr * g[i]
			g[i] = 0
		}
	case j.nesterov:
		v := j.v[lo:hi]
		for i := range w {
			v[i] = m*v[i] - lr*g[i]
			w[i] += m*v[i] - lr*g[i]
			g[i] = 0
		}
	default:
		v := j.v[lo:hi]
		for i := range w {
			v[i] = m*v[i] - lr*g[i]
			w[i] += v[i]
			g[i] = 0
		}
	}
}
