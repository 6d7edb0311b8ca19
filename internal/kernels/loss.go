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

// BCE is Keras's binary cross-entropy on probabilities, in float32 as
// Keras computes it. With p = clip(pred[i], eps, 1-eps) and t = target[i],
// it returns
//
//	sum_i -(t*log(p+eps) + (1-t)*log(1-p+eps))
//
// and sets
//
//	grad[i] = scale * ((1-t)*(p+eps) - t*(1-p+eps)) / ((p+eps)*(1-p+eps))
//
// (scale times the derivative), or 0 where the clip is active. Each term is
// computed in float32 (log32 for the logs) and summed in float64, in 16
// lanes (term i in lane i%16) that are added in lane order at the end of
// each chunk. A NaN in pred gives a NaN sum. target and grad must be at
// least len(pred) long. The sum is taken in fixed chunks of lossChunk
// values (see there) split over Threads() goroutines: the result is the
// same for any thread count.
func BCE(pred, target, grad []float32, scale float64) float64 {
	n := len(pred)
	target, grad = target[:n], grad[:n]
	chunks := (n + lossChunk - 1) / lossChunk
	parts := min(Threads(), chunks)
	if parts <= 1 {
		var sum float64
		for c := 0; c < chunks; c++ {
			lo, hi := c*lossChunk, min((c+1)*lossChunk, n)
			sum += bceChunk(pred[lo:hi], target[lo:hi], grad[lo:hi], float32(scale))
		}
		return sum
	}
	j := lossJobs.Get().(*lossJob)
	if cap(j.partial) < chunks {
		j.partial = make([]float64, chunks)
	}
	j.p, j.t, j.g, j.scale = pred, target, grad, float32(scale)
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
	scale         float32
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

// bceChunk is BCE on one chunk: the lane sums of bceLanes, added in order.
func bceChunk(pred, target, grad []float32, scale float32) float64 {
	var lanes [16]float64
	bceLanes(pred, target[:len(pred)], grad[:len(pred)], scale, &lanes)
	var sum float64
	for _, v := range lanes {
		sum += v
	}
	return sum
}

// BCE's clip bounds in float32: eps and 1-eps (0x3f7ffffe).
const (
	bceEps32    float32 = BCEEpsilon
	bceOneMinus float32 = 1 - bceEps32
)

// bceLanesGo is the portable bceLanes: for each i it sets grad[i] and
// subtracts term i from lanes[i%16]. Every operation is a single float32
// operation in the order written (no fused multiply-adds), so the AVX-512
// version matches it bit for bit.
func bceLanesGo(pred, target, grad []float32, scale float32, lanes *[16]float64) {
	for i, p := range pred {
		t := target[i]
		pc := min(max(p, bceEps32), bceOneMinus) // NaN stays NaN
		a := pc + bceEps32
		b := (1 - pc) + bceEps32
		term := t*log32(a) + (1-t)*log32(b)
		term += pc - pc // NaN if p is NaN (log32 does not keep NaN); else +0
		lanes[i%16] -= float64(term)
		// d/dp = -(t/a - (1-t)/b) = ((1-t)*a - t*b) / (a*b).
		g := ((1-t)*a - t*b) / (a * b) * scale
		if pc != p { // the clip is active (or p is NaN): its gradient is 0
			g = 0
		}
		grad[i] = g
	}
}

// log32 is the natural logarithm of a positive, normal, finite x in
// float32, to within 1 ulp: musl's logf (from FreeBSD's e_logf.c) without
// its special cases. x = 2^k * m with m in [sqrt(2)/2, sqrt(2)), f = m-1,
// s = f/(2+f), and log(1+f) = f - f^2/2 + s*(f^2/2 + R(s^2)).
func log32(x float32) float32 {
	const (
		ln2Hi = 6.9313812256e-01 // 0x3f317180
		ln2Lo = 9.0580006145e-06 // 0x3717f7d1
		lg1   = 0.66666662693    // 0x3f2aaaaa
		lg2   = 0.40000972152    // 0x3eccce13
		lg3   = 0.28498786688    // 0x3e91e9ee
		lg4   = 0.24279078841    // 0x3e789e26
	)
	ix := math.Float32bits(x) + (0x3f800000 - 0x3f3504f3)
	k := int32(ix>>23) - 0x7f
	m := math.Float32frombits(ix&0x007fffff + 0x3f3504f3)
	f := m - 1
	s := f / (2 + f)
	z := s * s
	w := z * z
	t1 := w * (lg2 + w*lg4)
	t2 := z * (lg1 + w*lg3)
	r := t2 + t1
	hfsq := 0.5 * f * f
	dk := float32(k)
	return s*(hfsq+r) + dk*ln2Lo - hfsq + f + dk*ln2Hi
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
