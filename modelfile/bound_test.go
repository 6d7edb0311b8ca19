package modelfile

import (
	"strings"
	"testing"

	"github.com/autoenc/autoenc/internal/safetensors"
	"github.com/autoenc/autoenc/tensor"
)

// TestHugeArchitectureRejectedBeforeAllocation: a few bytes of file whose
// architecture would need 2^36 parameters (256 GiB) must be refused without
// building it. Found by FuzzMetadata's seeds before the bound existed.
func TestHugeArchitectureRejectedBeforeAllocation(t *testing.T) {
	meta := `{"model":"x","dataset":"x","training":{"loss":"mse","optimizer":"sgd","learning_rate":0.1,"epochs":1,"batch_size":2,"seed":1}}`
	for _, arch := range []string{
		`{"type":"Sequential","input_shape":[4096,4096],"layers":[{"type":"Flatten"},{"type":"Dense","units":4096}]}`,
		`{"type":"Sequential","input_shape":[64,64,64],"layers":[{"type":"Conv2DTranspose","filters":4096,"kernel_size":4096,"strides":4096}]}`,
		`{"type":"Sequential","input_shape":[10,4096],"layers":[{"type":"LSTM","units":4096},{"type":"RepeatVector","n":4096},{"type":"TimeDistributed","layer":{"type":"Dense","units":4096}}]}`,
	} {
		f := &safetensors.File{Tensors: map[string]*tensor.Tensor{"w": tensor.New(4)}, Metadata: map[string]string{keyFormat: Format, keyArchitecture: arch, keyMeta: meta}}
		allocs := testing.AllocsPerRun(1, func() { FromSafetensors(f) })
		_, _, err := FromSafetensors(f)
		if err == nil || !strings.Contains(err.Error(), "needs up to") || allocs > 1000 {
			t.Errorf("%s: %v after %v allocations, want a refusal before building", arch, err, allocs)
		}
	}
}
