//go:build amd64 && !purego

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The AVX-512 activations (act_amd64.s) set y[i] = f(y[i]) for i < n, like
// their Go twins:
//
//	for i := range y { y[i] = SELU32(y[i]) }    // seluAVX512
//	for i := range y { y[i] = Sigmoid32(y[i]) } // sigmoidAVX512
//	for i := range y { y[i] = Tanh32(y[i]) }    // tanhAVX512
//
//go:noescape
func seluAVX512(y *float32, n int)

//go:noescape
func sigmoidAVX512(y *float32, n int)

//go:noescape
func tanhAVX512(y *float32, n int)

// addBiasAVX512 is addBiasGo: y[r*w+j] += bias[j] for r < rows, j < w.
//
//go:noescape
func addBiasAVX512(y *float32, rows int, bias *float32, w int)

// The backward passes (act_amd64.s) set dy[i] *= f'(z[i]) for i < n from
// the saved outputs y, exactly as their Go twins in actGo.
//
//go:noescape
func seluBackAVX512(dy, y *float32, n int)

//go:noescape
func sigmoidBackAVX512(dy, y *float32, n int)

//go:noescape
func tanhBackAVX512(dy, y *float32, n int)

var actAVX512 = actKernel{
	name:        "avx512",
	ok:          cpu.X86.HasAVX512F,
	selu:        func(y []float32) { seluAVX512(unsafe.SliceData(y), len(y)) },
	sigmoid:     func(y []float32) { sigmoidAVX512(unsafe.SliceData(y), len(y)) },
	tanh:        func(y []float32) { tanhAVX512(unsafe.SliceData(y), len(y)) },
	seluBack:    func(dy, y []float32) { seluBackAVX512(unsafe.SliceData(dy), unsafe.SliceData(y), len(dy)) },
	sigmoidBack: func(dy, y []float32) { sigmoidBackAVX512(unsafe.SliceData(dy), unsafe.SliceData(y), len(dy)) },
	tanhBack:    func(dy, y []float32) { tanhBackAVX512(unsafe.SliceData(dy), unsafe.SliceData(y), len(dy)) },
	addBias: func(y, bias []float32) {
		if len(bias) > 0 {
			addBiasAVX512(unsafe.SliceData(y), len(y)/len(bias), unsafe.SliceData(bias), len(bias))
		}
	},
}

// archActKernels are in order of preference, best last.
var archActKernels = []*actKernel{&actAVX512}
