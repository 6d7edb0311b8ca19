package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoenc/autoenc/internal/kernels"
	"github.com/autoenc/autoenc/tensor"
)

// LSTM is Keras's LSTM layer (activation tanh, recurrent activation sigmoid)
// over input x of shape [batch, time, in].
//
// Its parameters, with u = units and the four gates stacked along the last
// axis in Keras's order i, f, c, o:
//
//	kernel           W [in, 4u]  glorot_uniform (fan_in = in, fan_out = 4u)
//	recurrent_kernel U [u, 4u]   orthogonal
//	bias             b [4u]      zeros, except the forget slice [u:2u] = 1 (unit_forget_bias)
//
// For t = 1..T, with h_0 = c_0 = 0:
//
//	z_t = x_t W + h_{t-1} U + b              [batch, 4u]
//	i = σ(z_i), f = σ(z_f), g = tanh(z_c), o = σ(z_o)
//	c_t = f*c_{t-1} + i*g
//	h_t = o*tanh(c_t)
//
// The output is h_1..h_T as [batch, time, u] when returnSequences is set,
// else h_T as [batch, u].
//
// Layout: internally every per-step buffer is time-major ([T, batch, ...]),
// so the rows of one step are contiguous and the rows of all steps form one
// matrix. The input projection x W + b for every step is then a single
// Sgemm over [T*batch, in], each step adds h_{t-1} U with one Sgemm (beta=1),
// and backward needs one Sgemm per step for dh_{t-1} = dz_t U^T plus one
// each, over all steps at once, for dW, dU and dx. The input, the output and
// their gradients are transposed between the two layouts; that is a copy of
// batch*T rows, small beside the matrix products.
type LSTM struct {
	units           int
	returnSequences bool

	steps, features int // T and in, fixed by Build

	kernel, recurrent, bias *Param
	params                  []*Param

	// Saved by Forward for Backward, time-major.
	xT    *tensor.Tensor // [T, batch, in]: the input
	gates *tensor.Tensor // [T, batch, 4u]: i, f, g, o after their activations
	h     *tensor.Tensor // [T+1, batch, u]: h_0 = 0, h_1, ..., h_T
	c     *tensor.Tensor // [T+1, batch, u]: c_0 = 0, c_1, ..., c_T
	tanhC *tensor.Tensor // [T, batch, u]: tanh(c_1), ..., tanh(c_T)
	y     *tensor.Tensor // the output, batch-major

	// Backward's buffers.
	dz  *tensor.Tensor // [T, batch, 4u]: dL/dz_t
	dh  *tensor.Tensor // [batch, u]: dL/dh_t arriving through the recurrence
	dc  *tensor.Tensor // [batch, u]: dL/dc_t arriving from step t+1
	ut  *tensor.Tensor // [4u, u]: U^T, so that every step's dh = dz U^T is a plain (NN) product
	dxT *tensor.Tensor // [T, batch, in]: dL/dx, time-major
	dx  *tensor.Tensor // [batch, T, in]: dL/dx

	rows lstmRows // runs the recurrence over the worker pool

	noDx bool // Backward skips dx (first layer of a Model)
}

// NewLSTM returns an unbuilt LSTM with the given number of units that
// outputs every step's h when returnSequences is set, else the last one.
func NewLSTM(units int, returnSequences bool) *LSTM {
	return &LSTM{units: units, returnSequences: returnSequences}
}

// Build takes in = [time, features].
func (l *LSTM) Build(in []int, rng *rand.Rand) ([]int, error) {
	if len(in) != 2 || in[0] <= 0 || in[1] <= 0 {
		return nil, fmt.Errorf("LSTM: input must be [time, features], got %v", in)
	}
	if l.units <= 0 {
		return nil, fmt.Errorf("LSTM: units must be positive, got %d", l.units)
	}
	l.steps, l.features = in[0], in[1]
	u := l.units
	l.kernel = newParam("kernel", l.features, 4*u)
	l.recurrent = newParam("recurrent_kernel", u, 4*u)
	l.bias = newParam("bias", 4*u)
	glorotUniform(rng, l.kernel.Value.Data, l.features, 4*u)
	orthogonal(rng, l.recurrent.Value.Data, u, 4*u)
	for j := u; j < 2*u; j++ {
		l.bias.Value.Data[j] = 1 // unit_forget_bias
	}
	l.params = []*Param{l.kernel, l.recurrent, l.bias}
	if l.returnSequences {
		return []int{l.steps, u}, nil
	}
	return []int{u}, nil
}

// Params returns kernel, recurrent_kernel and bias.
func (l *LSTM) Params() []*Param { return l.params }

// Forward runs the recurrence over x [batch, T, in].
func (l *LSTM) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	if len(x.Shape) != 3 || x.Shape[1] != l.steps || x.Shape[2] != l.features {
		panic(fmt.Sprintf("nn: LSTM built for [batch, %d, %d] got input %v", l.steps, l.features, x.Shape))
	}
	nb, T, in, u := x.Shape[0], l.steps, l.features, l.units
	g4 := 4 * u
	bu := nb * u // elements of one step in the [batch, u] buffers

	l.xT = tensor.Resize(l.xT, T, nb, in)
	swap01(l.xT.Data, x.Data, nb, T, in)

	// z = x W + b for every step at once: one Sgemm over [T*batch, in] x
	// [in, 4u], then the bias added to every row.
	l.gates = tensor.Resize(l.gates, T, nb, g4)
	z := l.gates.Data
	kernels.Sgemm(false, false, T*nb, g4, in, 1, l.xT.Data, in, l.kernel.Value.Data, g4, 0, z, g4)
	kernels.BiasAct(z, l.bias.Value.Data, kernels.ActLinear)

	l.h = tensor.Resize(l.h, T+1, nb, u)
	l.c = tensor.Resize(l.c, T+1, nb, u)
	l.tanhC = tensor.Resize(l.tanhC, T, nb, u)
	clear(l.h.Data[:bu])   // h_0 = 0
	clear(l.c.Data[:bu])   // c_0 = 0
	l.rows.run(l, nil, nb) // the recurrence: forwardRows
	if l.returnSequences {
		l.y = tensor.Resize(l.y, nb, T, u)
		swap01(l.y.Data, l.h.Data[bu:], T, nb, u)
	} else {
		l.y = tensor.Resize(l.y, nb, u)
		copy(l.y.Data, l.h.Data[T*bu:])
	}
	return l.y
}

func (l *LSTM) skipInputGrad() { l.noDx = true }

// Backward propagates dy ([batch, T, u] or [batch, u]) back through time
// and returns dx (nil once skipInputGrad was called).
func (l *LSTM) Backward(dy *tensor.Tensor) *tensor.Tensor {
	nb, T, in, u := l.xT.Shape[1], l.steps, l.features, l.units
	g4 := 4 * u
	bu, bg := nb*u, nb*g4
	if len(dy.Data) != len(l.y.Data) {
		panic(fmt.Sprintf("nn: LSTM output is %v, got gradient %v", l.y.Shape, dy.Shape))
	}

	l.dz = tensor.Resize(l.dz, T, nb, g4)
	l.dh = tensor.Resize(l.dh, nb, u)
	l.dc = tensor.Resize(l.dc, nb, u)
	dz, dh, dc := l.dz.Data, l.dh.Data, l.dc.Data
	if l.returnSequences {
		clear(dh) // dy_t is added at each step below
	} else {
		copy(dh, dy.Data) // only h_T reaches the output
	}
	clear(dc)
	// U^T once: the per-step products then read it in place, where
	// transposing op(B) would re-pack U at every step.
	l.ut = tensor.Resize(l.ut, g4, u)
	transpose(l.ut.Data, l.recurrent.Value.Data, u, g4)
	l.rows.run(l, dy.Data, nb) // back through time: backwardRows

	// dW += x^T dz over all steps: [in, T*batch] x [T*batch, 4u].
	kernels.Sgemm(true, false, in, g4, T*nb, 1, l.xT.Data, in, dz, g4, 1, l.kernel.Grad.Data, g4)
	// dU += h_{t-1}^T dz_t summed over t = 2..T (h_0 = 0): [u, (T-1)*batch] x [(T-1)*batch, 4u].
	if T > 1 {
		kernels.Sgemm(true, false, u, g4, (T-1)*nb, 1, l.h.Data[bu:T*bu], u, dz[bg:], g4, 1, l.recurrent.Grad.Data, g4)
	}
	// db += sum over steps and batch of dz.
	sumRows(l.bias.Grad.Data, dz)
	if l.noDx {
		return nil
	}
	// dx = dz W^T: [T*batch, 4u] x [4u, in], then back to batch-major.
	l.dxT = tensor.Resize(l.dxT, T, nb, in)
	kernels.Sgemm(false, true, T*nb, in, g4, 1, dz, g4, l.kernel.Value.Data, g4, 0, l.dxT.Data, in)
	l.dx = tensor.Resize(l.dx, nb, T, in)
	swap01(l.dx.Data, l.dxT.Data, T, nb, in)
	return l.dx
}

// lstmChunk is how many batch rows go through one per-step product of
// the recurrence. The rows of a batch are independent through time, so
// parts of the batch run the whole recurrence on different goroutines
// (lstmRows). Cutting the batch in fixed chunks, whatever the thread count,
// keeps every product the same and so the results bit-identical.
const lstmChunk = 8

// lstmRows runs an LSTM's recurrence, forward or backward (dy != nil), over
// the worker pool, each part taking whole chunks of lstmChunk rows.
type lstmRows struct {
	l                 *LSTM
	dy                []float32
	nb, chunks, parts int
}

func (j *lstmRows) run(l *LSTM, dy []float32, nb int) {
	j.l, j.dy, j.nb = l, dy, nb
	j.chunks = (nb + lstmChunk - 1) / lstmChunk
	j.parts = min(kernels.Threads(), j.chunks)
	kernels.RunParts(j, j.parts)
	j.l, j.dy = nil, nil
}

func (j *lstmRows) RunPart(p int) {
	c0, c1 := p*j.chunks/j.parts, (p+1)*j.chunks/j.parts
	r0, r1 := c0*lstmChunk, min(c1*lstmChunk, j.nb)
	if j.dy == nil {
		j.l.forwardRows(j.nb, r0, r1)
	} else {
		j.l.backwardRows(j.dy, j.nb, r0, r1)
	}
}

// recurrentProduct adds h U (or, in backward, sets dh = dz U^T) for batch
// rows [r0, r1) of one step, one lstmChunk at a time: C[r] = A[r] B +
// beta*C[r], with A rows k wide, B [k, n] and C rows n wide.
func recurrentProduct(r0, r1, n, k int, a, b []float32, beta float32, c []float32) {
	for q := r0; q < r1; q += lstmChunk {
		m := min(lstmChunk, r1-q)
		kernels.Sgemm(false, false, m, n, k, 1, a[q*k:], k, b, n, beta, c[q*n:], n)
	}
}

// forwardRows runs the recurrence for batch rows [r0, r1) of nb.
func (l *LSTM) forwardRows(nb, r0, r1 int) {
	T, u := l.steps, l.units
	g4 := 4 * u
	bu, bg := nb*u, nb*g4
	z := l.gates.Data
	U := l.recurrent.Value.Data
	for t := 0; t < T; t++ {
		zt := z[t*bg : (t+1)*bg]
		hPrev, hNow := l.h.Data[t*bu:(t+1)*bu], l.h.Data[(t+1)*bu:(t+2)*bu]
		cPrev, cNow := l.c.Data[t*bu:(t+1)*bu], l.c.Data[(t+1)*bu:(t+2)*bu]
		tc := l.tanhC.Data[t*bu : (t+1)*bu]
		if t > 0 { // z_t += h_{t-1} U; h_0 = 0 adds nothing
			recurrentProduct(r0, r1, g4, u, hPrev, U, 1, zt)
		}
		for r := r0; r < r1; r++ {
			row := zt[r*g4 : (r+1)*g4]
			// Gates in place, each a vector op over its contiguous slice:
			// i, f = sigmoid(z_i, z_f); g = tanh(z_g); o = sigmoid(z_o).
			kernels.Sigmoid(row[:2*u])
			kernels.Tanh(row[2*u : 3*u])
			kernels.Sigmoid(row[3*u : g4])
			ig, fg, gg := row[:u], row[u:2*u], row[2*u:3*u]
			cp, cn, tcr := cPrev[r*u:(r+1)*u], cNow[r*u:(r+1)*u], tc[r*u:(r+1)*u]
			for j := range u {
				cn[j] = fg[j]*cp[j] + ig[j]*gg[j] // c_t = f*c_{t-1} + i*g
			}
			copy(tcr, cn)
			kernels.Tanh(tcr) // tanh(c_t)
		}
		for r := r0; r < r1; r++ {
			og, tcr, hn := zt[r*g4+3*u:(r+1)*g4], tc[r*u:(r+1)*u], hNow[r*u:(r+1)*u]
			for j := range u {
				hn[j] = og[j] * tcr[j] // h_t = o*tanh(c_t)
			}
		}
	}
}

// backwardRows runs backpropagation through time for batch rows [r0, r1)
// of nb, filling their rows of dz.
func (l *LSTM) backwardRows(dyAll []float32, nb, r0, r1 int) {
	T, u := l.steps, l.units
	g4 := 4 * u
	bu, bg := nb*u, nb*g4
	dz, dh, dc, Ut := l.dz.Data, l.dh.Data, l.dc.Data, l.ut.Data
	for t := T - 1; t >= 0; t-- {
		gt, dzt := l.gates.Data[t*bg:(t+1)*bg], dz[t*bg:(t+1)*bg]
		cPrev := l.c.Data[t*bu : (t+1)*bu]
		tc := l.tanhC.Data[t*bu : (t+1)*bu]
		for r := r0; r < r1; r++ {
			row, drow := gt[r*g4:(r+1)*g4], dzt[r*g4:(r+1)*g4]
			ig, fg, gg, og := row[:u], row[u:2*u], row[2*u:3*u], row[3*u:g4]
			dzi, dzf, dzc, dzo := drow[:u], drow[u:2*u], drow[2*u:3*u], drow[3*u:g4]
			cp, tcr := cPrev[r*u:(r+1)*u], tc[r*u:(r+1)*u]
			dhr, dcr := dh[r*u:(r+1)*u], dc[r*u:(r+1)*u]
			var dyr []float32
			if l.returnSequences {
				dyr = dyAll[(r*T+t)*u : (r*T+t+1)*u]
			}
			for j := range u {
				dhv := dhr[j] // dL/dh_t = dy_t + dz_{t+1} U^T
				if dyr != nil {
					dhv += dyr[j]
				}
				i, f, g, o, tv := ig[j], fg[j], gg[j], og[j], tcr[j]
				// h_t = o*tanh(c_t): dc_t = dh_t*o*(1-tanh²(c_t)) + dc_t from step t+1
				dcv := dcr[j] + dhv*o*(1-tv*tv)
				// c_t = f*c_{t-1} + i*g, and σ' = σ(1-σ), tanh' = 1-tanh²
				dzi[j] = dcv * g * i * (1 - i)
				dzf[j] = dcv * cp[j] * f * (1 - f)
				dzc[j] = dcv * i * (1 - g*g)
				dzo[j] = dhv * tv * o * (1 - o)
				dcr[j] = dcv * f // dc_{t-1} = dc_t * f
			}
		}
		if t > 0 { // dh_{t-1} = dz_t U^T: [batch, 4u] x [4u, u]
			recurrentProduct(r0, r1, u, g4, dzt, Ut, 0, dh)
		}
	}
}

// swap01 transposes the first two axes of src [n0, n1, inner] into
// dst [n1, n0, inner]: dst[j][i][:] = src[i][j][:].
func swap01(dst, src []float32, n0, n1, inner int) {
	for i := 0; i < n0; i++ {
		for j := 0; j < n1; j++ {
			copy(dst[(j*n0+i)*inner:(j*n0+i+1)*inner], src[(i*n1+j)*inner:(i*n1+j+1)*inner])
		}
	}
}

// transpose sets dst ([cols, rows]) to the transpose of src ([rows, cols]),
// in 16x16 blocks so that both sides stay in cache lines.
func transpose(dst, src []float32, rows, cols int) {
	const blk = 16
	for i0 := 0; i0 < rows; i0 += blk {
		for j0 := 0; j0 < cols; j0 += blk {
			for i := i0; i < min(i0+blk, rows); i++ {
				row := src[i*cols : (i+1)*cols]
				for j := j0; j < min(j0+blk, cols); j++ {
					dst[j*rows+i] = row[j]
				}
			}
		}
	}
}

// tanh32 is tanh in float32, as the LSTM computes it.
func tanh32(v float32) float32 { return kernels.Tanh32(v) }
