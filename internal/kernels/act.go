package kernels

import (
	"math"
	"sync"
)

// Act names an elementwise activation for BiasAct and ActBackward.
type Act int

const (
	ActLinear  Act = iota // f(z) = z
	ActReLU               // f(z) = max(z, 0)
	ActSigmoid            // f(z) = 1 / (1 + e^-z)
	ActTanh               // f(z) = tanh z
	ActSELU               // f(z) = scale*z for z > 0, scale*alpha*(e^z - 1) otherwise
)

// SELU's constants, from Klambauer et al. 2017 (as in Keras and PyTorch).
const (
	SELUScale = 1.0507009873554805
	SELUAlpha = 1.6732632423543772
)

// actGrain is the least number of values worth handing to a second
// goroutine: below it the hand-off costs more than the work.
const actGrain = 16384

// BiasAct sets y[r*len(bias)+j] = f(y[r*len(bias)+j] + bias[j]) in one pass
// over y, a [rows, len(bias)] matrix; bias may be empty (no bias). Large y
// is split by whole rows over Threads() goroutines; each value's result is
// the same however it is split.
func BiasAct(y, bias []float32, act Act) {
	if act == ActLinear && len(bias) == 0 {
		return
	}
	cols := max(len(bias), 1)
	if len(y)%cols != 0 {
		panic("kernels: BiasAct: len(y) is not a multiple of len(bias)")
	}
	forRows(len(y)/cols, eltJob{y: y, b: bias, act: act, cols: cols})
}

// ActBackward sets dy[i] *= f'(z[i]), where y[i] = f(z[i]) is the saved
// output: each derivative is a function of the output alone (sigmoid:
// y(1-y); tanh: 1-y^2; selu: scale for y > 0, else y + scale*alpha).
func ActBackward(dy, y []float32, act Act) {
	if act == ActLinear {
		return
	}
	y = y[:len(dy)]
	forRows(len(dy), eltJob{y: y, dy: dy, act: act, cols: 1, backward: true})
}

// forRows runs job over its rows [0, rows) of job.cols values each, in
// parts of whole rows split evenly over Threads() goroutines, or all on the
// caller when the work is small.
func forRows(rows int, job eltJob) {
	parts := min(Threads(), rows*job.cols/actGrain)
	if parts <= 1 {
		job.runRange(0, rows)
		return
	}
	j := eltJobs.Get().(*eltJob)
	*j = job
	j.rows, j.parts = rows, parts
	RunParts(j, parts)
	*j = eltJob{}
	eltJobs.Put(j)
}

// eltJob is an elementwise job split over the worker pool.
type eltJob struct {
	y, b, dy    []float32
	act         Act
	cols        int
	backward    bool
	rows, parts int
}

var eltJobs = sync.Pool{New: func() any { return new(eltJob) }}

func (j *eltJob) RunPart(i int) {
	r0, r1 := partRange(i, j.parts, j.rows)
	j.runRange(r0, r1)
}

func (j *eltJob) runRange(r0, r1 int) {
	if j.backward {
		actBackward(j.dy[r0*j.cols:r1*j.cols], j.y[r0*j.cols:r1*j.cols], j.act)
		return
	}
	biasAct(j.y[r0*j.cols:r1*j.cols], j.b, j.act)
}

// biasAct adds bias to each row of y and applies act, a chunk of about
// actChunk values (whole rows) at a time so that the chunk is still in L1.
func biasAct(y, bias []float32, act Act) {
	w := max(len(bias), 1)
	chunk := max(actChunk/w, 1) * w
	for c := 0; c < len(y); c += chunk {
		part := y[c:min(c+chunk, len(y))]
		actImpl.addBias(part, bias)
		actRow(part, act)
	}
}

// actChunk is the number of values biasAct handles per pass: 8 KiB.
const actChunk = 2048

func actRow(y []float32, act Act) {
	switch act {
	case ActLinear:
	case ActReLU:
		for i, v := range y {
			y[i] = max(v, 0)
		}
	case ActSigmoid:
		actImpl.sigmoid(y)
	case ActTanh:
		actImpl.tanh(y)
	case ActSELU:
		actImpl.selu(y)
	default:
		panic("kernels: unknown activation")
	}
}

// An actKernel is one implementation of the exp-based activations, each
// setting y[i] = f(y[i]) in place, and of their backward passes, each
// setting dy[i] *= f'(z[i]) from the saved outputs y[i] = f(z[i])
// (len(y) >= len(dy)).
type actKernel struct {
	name                            string
	ok                              bool // the CPU can run it
	selu, sigmoid, tanh             func(y []float32)
	seluBack, sigmoidBack, tanhBack func(dy, y []float32)
	addBias                         func(y, bias []float32) // y[r*len(bias)+j] += bias[j]; len(y) a multiple of len(bias)
}

// actGo is the portable implementation, always built and tested.
var actGo = actKernel{
	name: "go",
	ok:   true,
	selu: func(y []float32) {
		for i, v := range y {
			y[i] = SELU32(v)
		}
	},
	sigmoid: func(y []float32) {
		for i, v := range y {
			y[i] = Sigmoid32(v)
		}
	},
	tanh: func(y []float32) {
		for i, v := range y {
			y[i] = Tanh32(v)
		}
	},
	seluBack: func(dy, y []float32) { // f' = scale for z > 0, else scale*alpha*e^z = y + scale*alpha
		for i, v := range y[:len(dy)] {
			dy[i] *= selectGT0(v, SELUScale, v+SELUScale*SELUAlpha)
		}
	},
	sigmoidBack: func(dy, y []float32) { // f' = y(1-y)
		for i, v := range y[:len(dy)] {
			dy[i] *= v * (1 - v)
		}
	},
	tanhBack: func(dy, y []float32) { // f' = 1-y^2
		for i, v := range y[:len(dy)] {
			dy[i] *= 1 - v*v
		}
	},
	addBias: addBiasGo,
}

// addBiasGo adds bias to every row of y (rows len(bias) wide).
func addBiasGo(y, bias []float32) {
	switch len(bias) {
	case 0:
		return
	case 1:
		b := bias[0]
		for i := range y {
			y[i] += b
		}
		return
	}
	for r := 0; r+len(bias) <= len(y); r += len(bias) {
		row := y[r : r+len(bias)]
		for j, b := range bias {
			row[j] += b
		}
	}
}

// actImpl is the best implementation this CPU runs, chosen once.
var actImpl = pickAct()

func pickAct() *actKernel {
	best := &actGo
	for _, k := range archActKernels {
		if k.ok {
			best = k
		}
	}
	return best
}

// Sigmoid sets y[i] = 1/(1+e^-y[i]) in place (one goroutine).
func Sigmoid(y []float32) { actImpl.sigmoid(y) }

// Tanh sets y[i] = tanh y[i] in place (one goroutine).
func Tanh(y []float32) { actImpl.tanh(y) }

func actBackward(dy, y []float32, act Act) {
	switch act {
	case ActReLU:
		for i, v := range y {
			dy[i] = selectGT0(v, dy[i], 0)
		}
	case ActSigmoid:
		actImpl.sigmoidBack(dy, y)
	case ActTanh:
		actImpl.tanhBack(dy, y)
	case ActSELU:
		actImpl.seluBack(dy, y)
	default:
		panic("kernels: unknown activation")
	}
}

// selectGT0 returns a if v > 0 and b otherwise (also for v = -0), without a
// branch: activations see signs at random, which defeats branch prediction.
func selectGT0(v, a, b float32) float32 {
	m := uint32((int64(int32(math.Float32bits(v))) - 1) >> 63) // all ones iff v <= 0 (as int32 bits: v = +0 or negative)
	return math.Float32frombits(math.Float32bits(a)&^m | math.Float32bits(b)&m)
}

// Fast float32 exponentials. x = n*ln2 + r with n = round(x/ln2) and
// |r| <= ln2/2; e^r - 1 = r + r^2*p(r), p Cephes's expm1f minimax
// polynomial (relative error about 1e-7 on that range); then
// e^x - 1 = 2^n*(e^r - 1) + (2^n - 1), which has no cancellation for
// n != 0 and is e^r - 1 itself for n = 0, so it is accurate near 0.
const (
	ln2Hi  = 0.693359375      // ln 2 split in two (Cody-Waite): Hi has few bits, so n*ln2Hi is exact
	ln2Lo  = -2.12194440e-4   // ln 2 - ln2Hi
	log2e  = 1.44269504088896 // 1/ln 2
	expMin = -87.0            // below it e^x is 0 to float32 precision (2^-126 is about e^-87.3)
)

// expm1Neg returns e^x - 1 for x <= 0 (x is clamped to expMin; NaN gives NaN).
func expm1Neg(x float32) float32 {
	x = max(x, expMin)
	n := float32(int32(x*log2e - 0.5)) // round to nearest for x <= 0 (truncation toward 0)
	r := x - n*ln2Hi - n*ln2Lo
	// p(r): Cephes expm1f coefficients for e^r - 1 - r - r^2/2, folded with the 1/2.
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	q := r + r*r*p // e^r - 1
	s := math.Float32frombits(uint32(int32(n)+127) << 23)
	return s*q + (s - 1)
}

// expNeg returns e^x for x <= 0 (x is clamped to expMin), as expm1Neg but
// ending in 2^n*q + 2^n, which keeps full relative precision for large -x.
func expNeg(x float32) float32 {
	x = max(x, expMin)
	n := float32(int32(x*log2e - 0.5))
	r := x - n*ln2Hi - n*ln2Lo
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	q := r + r*r*p
	s := math.Float32frombits(uint32(int32(n)+127) << 23)
	return s*q + s
}

// SELU32 is selu(z) = scale*z for z > 0, scale*alpha*(e^z - 1) otherwise,
// computed without a branch.
func SELU32(z float32) float32 {
	neg := SELUScale * SELUAlpha * expm1Neg(min(z, 0))
	return selectGT0(z, SELUScale*z, neg)
}

// Sigmoid32 is 1/(1+e^-z), from e = e^-|z| as 1/(1+e) for z >= 0 and
// e/(1+e) for z < 0, so neither side loses precision.
func Sigmoid32(z float32) float32 {
	e := expNeg(-abs32(z))
	s := 1 / (1 + e)
	return selectGT0(-z, e*s, s)
}

// Tanh32 is tanh z = sign(z) * -t/(2+t) with t = e^(-2|z|) - 1, which stays
// accurate near 0 through expm1.
func Tanh32(z float32) float32 {
	t := expm1Neg(-2 * abs32(z))
	a := -t / (2 + t)
	return math.Float32frombits(math.Float32bits(a) | math.Float32bits(z)&(1<<31))
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }
