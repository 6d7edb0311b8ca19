package modelfile

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/autoenc/autoenc/internal/safetensors"
	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/tensor"
	"github.com/autoenc/autoenc/train"
)

// tinySpec is a small model of the kinds of layers the built-ins use.
var tinySpec = nn.Spec{Type: "Sequential", Name: "tiny", InputShape: []int{4, 4, 1}, Layers: []nn.Spec{
	{Type: "Sequential", Name: "encoder", Layers: []nn.Spec{
		{Type: "Conv2D", Filters: 2, KernelSize: 3, Padding: "same", Activation: "selu"},
		{Type: "MaxPool2D", PoolSize: 2},
		{Type: "Flatten"},
		{Type: "Dense", Units: 3, Activation: "selu"}}},
	{Type: "Sequential", Name: "decoder", Layers: []nn.Spec{
		{Type: "Dense", Units: 16, Activation: "sigmoid"},
		{Type: "Reshape", TargetShape: []int{4, 4, 1}}}},
}}

func tinyFile(f *testing.F) []byte {
	m, err := nn.NewModel(tinySpec, 1)
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	tensors := map[string]*tensor.Tensor{}
	for _, p := range m.Params() {
		tensors[p.Name] = p.Value
	}
	arch, _ := json.Marshal(m.Spec)
	meta, _ := json.Marshal(Meta{Model: "tiny", Train: train.Config{Loss: "mse", Optimizer: "sgd", LearningRate: 0.1, Epochs: 1, BatchSize: 2}})
	md := map[string]string{keyFormat: Format, keyArchitecture: string(arch), keyMeta: string(meta)}
	if err := safetensors.Write(&buf, tensors, md); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzLoad feeds arbitrary bytes to the model loader (safetensors reader,
// metadata and architecture parser, model builder): never a panic, and
// never an allocation beyond what the input's size justifies.
func FuzzLoad(f *testing.F) {
	good := tinyFile(f)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("\x10\x00\x00\x00\x00\x00\x00\x00{not json at all"))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := safetensors.Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		FromSafetensors(file)
	})
}

// FuzzMetadata fuzzes the architecture and training metadata of an
// otherwise valid model file, whose tensors stay those of tinySpec.
func FuzzMetadata(f *testing.F) {
	arch, _ := json.Marshal(tinySpec)
	meta := `{"model":"tiny","dataset":"x","training":{"loss":"mse","optimizer":"sgd","learning_rate":0.1,"epochs":1,"batch_size":2,"seed":1}}`
	f.Add(string(arch), meta)
	f.Add(`{"type":"Sequential","input_shape":[4096,4096],"layers":[{"type":"Flatten"},{"type":"Dense","units":4096}]}`, meta)
	f.Add(`{"type":"Sequential","input_shape":[64,64,64],"layers":[{"type":"Conv2DTranspose","filters":4096,"kernel_size":4096,"strides":4096}]}`, meta)
	f.Add(`{"type":"Sequential","input_shape":[1],"layers":[{"type":"Dense","units":-1}]}`, `{"training":{"epochs":-1}}`)
	m, err := nn.NewModel(tinySpec, 1)
	if err != nil {
		f.Fatal(err)
	}
	tensors := map[string]*tensor.Tensor{}
	for _, p := range m.Params() {
		tensors[p.Name] = p.Value
	}
	f.Fuzz(func(t *testing.T, arch, meta string) {
		FromSafetensors(&safetensors.File{Tensors: tensors, Metadata: map[string]string{keyFormat: Format, keyArchitecture: arch, keyMeta: meta}})
	})
}
