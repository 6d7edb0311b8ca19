//go:build !amd64 || purego

package kernels

// archKernels is empty without assembly: Sgemm runs on kernelGo.
var archKernels []*gemmKernel

// transpose16 transposes 16x16 blocks when packing B^T.
var transpose16 = transpose16x16Go
