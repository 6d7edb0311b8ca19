//go:build amd64 && !purego

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// bceLanesAVX512 (loss_amd64.s) is bceLanesGo on n values, 16 at a time,
// bit for bit; the last, partial vector is under a mask.
//
//go:noescape
func bceLanesAVX512(pred, target, grad *float32, n int, scale float32, lanes *[16]float64)

// hasBCEAVX512 reports whether bceLanes runs bceLanesAVX512.
var hasBCEAVX512 = cpu.X86.HasAVX512F

// bceLanes is bceLanesAVX512 when the CPU has AVX-512, else bceLanesGo.
// A plain function, not a function variable, so that lanes stays on the
// caller's stack.
func bceLanes(pred, target, grad []float32, scale float32, lanes *[16]float64) {
	if !hasBCEAVX512 {
		bceLanesGo(pred, target, grad, scale, lanes)
		return
	}
	n := len(pred)
	_, _ = target[:n], grad[:n]
	bceLanesAVX512(unsafe.SliceData(pred), unsafe.SliceData(target), unsafe.SliceData(grad), n, scale, lanes)
}
