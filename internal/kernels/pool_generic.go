//go:build !amd64 || purego

package kernels

// poolRow is nil: maxPool2 uses maxPool2RowGo.
var poolRow func(y []float32, arg []int32, x []float32, i00, ow, c, wc int)
