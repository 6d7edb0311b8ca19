//go:build amd64 && !purego

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// maxPool2RowAVX512 (pool_amd64.s) is maxPool2RowGo for c a multiple of 16,
// 16 channels per vector; the caller guarantees the slices cover the row.
//
//go:noescape
func maxPool2RowAVX512(y *float32, arg *int32, x *float32, i00, ow, c, wc int)

// poolRow is the AVX-512 pooling row, or nil without AVX-512.
var poolRow = pickPoolRow()

func pickPoolRow() func(y []float32, arg []int32, x []float32, i00, ow, c, wc int) {
	if !cpu.X86.HasAVX512F {
		return nil
	}
	return func(y []float32, arg []int32, x []float32, i00, ow, c, wc int) {
		if ow == 0 {
			return
		}
		_ = x[i00+2*(ow-1)*c+wc+2*c-1] // the last tap of the row is in x
		_, _ = y[ow*c-1], arg[ow*c-1]
		maxPool2RowAVX512(unsafe.SliceData(y), unsafe.SliceData(arg), unsafe.SliceData(x), i00, ow, c, wc)
	}
}
