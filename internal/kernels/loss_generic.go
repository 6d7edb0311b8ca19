//go:build !amd64 || purego

package kernels

// hasBCEAVX512 is false: no assembly here.
const hasBCEAVX512 = false

// bceLanes is bceLanesGo.
func bceLanes(pred, target, grad []float32, scale float32, lanes *[16]float64) {
	bceLanesGo(pred, target, grad, scale, lanes)
}
