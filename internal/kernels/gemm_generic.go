//go:build !amd64 || purego

package kernels

// archKernels is empty without assembly: Sgemm runs on kernelGo.
var archKernels []*gemmKernel
