// Package safetensors reads and writes the safetensors format, in which
// autoenc stores weights and the PyTorch parity goldens.
//
// A file is an 8-byte little-endian header length N, then N bytes of JSON
//
//	{"__metadata__": {"key": "value", ...},
//	 "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
//
// then the tensors' raw little-endian bytes, where each tensor's
// data_offsets are relative to the end of the header. Only F32 tensors are
// supported: autoenc has one dtype.
//
// Write is deterministic: tensors are laid out in sorted name order and the
// header is padded with spaces so that the data starts at a multiple of 8
// bytes, as the format allows. Read treats its input as untrusted: it checks
// every length and offset before allocating, never allocates more than the
// input's size, and rejects anything the format does not allow (holes or
// overlaps between tensors, trailing bytes, unknown dtypes, bad shapes).
package safetensors
