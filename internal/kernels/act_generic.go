//go:build !amd64 || purego

package kernels

// archActKernels is empty: only the Go activations exist here.
var archActKernels []*actKernel
