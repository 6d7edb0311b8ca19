// Package modelfile saves and loads autoenc models: one .safetensors file
// holding the weights under their path names (encoder.1.kernel, ...) in
// Keras's layouts, and in its metadata the architecture and training config
// as JSON. docs/FORMAT.md describes the format.
package modelfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/autoenc/autoenc/internal/safetensors"
	"github.com/autoenc/autoenc/internal/strictjson"
	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/tensor"
	"github.com/autoenc/autoenc/train"
)

// Format is the value of the "format" metadata key; Load refuses others.
const Format = "autoenc.model/1"

// Meta is what a model file records beside the weights.
type Meta struct {
	Model   string        `json:"model"`   // built-in name, or a user's
	Dataset string        `json:"dataset"` // what it was trained on
	Train   train.Config  `json:"training"`
	History train.History `json:"history,omitempty"`
}

// Metadata keys.
const (
	keyFormat       = "format"
	keyArchitecture = "architecture"
	keyMeta         = "autoenc"
)

// Save writes m's weights and architecture with meta to path, crash-safely:
// either the whole new file is there afterwards or the old one is untouched.
func Save(path string, m *nn.Model, meta Meta) error {
	arch, err := json.Marshal(m.Spec)
	if err != nil {
		return fmt.Errorf("cannot encode architecture: %w", err)
	}
	mj, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("cannot encode model metadata: %w", err)
	}
	tensors := make(map[string]*tensor.Tensor)
	for _, p := range m.Params() {
		tensors[p.Name] = p.Value
	}
	md := map[string]string{keyFormat: Format, keyArchitecture: string(arch), keyMeta: string(mj)}
	if err := safetensors.WriteFile(path, tensors, md); err != nil {
		return fmt.Errorf("cannot write model file %s: %w", path, err)
	}
	return nil
}

// Load reads a model file, rebuilds its architecture and fills in the
// weights, checking that every tensor the architecture needs is there with
// the right shape and finite values, and that nothing else is.
func Load(path string) (*nn.Model, Meta, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, Meta{}, fmt.Errorf("model file %s does not exist", path)
		}
		return nil, Meta{}, fmt.Errorf("cannot read model file: %w", err)
	}
	m, meta, err := FromSafetensors(f)
	if err != nil {
		return nil, Meta{}, fmt.Errorf("model file %s: %w", path, err)
	}
	return m, meta, nil
}

// FromSafetensors builds the model a parsed safetensors file describes.
func FromSafetensors(f *safetensors.File) (*nn.Model, Meta, error) {
	var meta Meta
	switch got := f.Metadata[keyFormat]; {
	case got == "":
		return nil, meta, fmt.Errorf("not an autoenc model (no %q metadata; expected %q)", keyFormat, Format)
	case got != Format:
		return nil, meta, fmt.Errorf("format %q is not supported, expected %q", got, Format)
	}
	var spec nn.Spec
	if err := strictjson.Unmarshal(f.Metadata[keyArchitecture], &spec); err != nil {
		return nil, meta, fmt.Errorf("architecture metadata is invalid: %w", err)
	}
	if err := strictjson.Unmarshal(f.Metadata[keyMeta], &meta); err != nil {
		return nil, meta, fmt.Errorf("%q metadata is invalid: %w", keyMeta, err)
	}
	if err := checkSpecSize(spec, 0); err != nil {
		return nil, meta, err
	}
	if err := checkParamBound(spec, f); err != nil {
		return nil, meta, err
	}
	m, err := nn.NewModel(spec, meta.Train.Seed)
	if err != nil {
		return nil, meta, fmt.Errorf("architecture: %w", err)
	}
	want := make(map[string]bool)
	for _, p := range m.Params() {
		want[p.Name] = true
		t, ok := f.Tensors[p.Name]
		if !ok {
			return nil, meta, fmt.Errorf("tensor %s is missing; architecture %q needs it with shape %v", p.Name, spec.Name, p.Value.Shape)
		}
		if !tensor.SameShape(t.Shape, p.Value.Shape) {
			return nil, meta, fmt.Errorf("tensor %s has shape %v, architecture %q expects %v", p.Name, t.Shape, spec.Name, p.Value.Shape)
		}
		for i, v := range t.Data {
			if v != v || v > 3.4e38 || v < -3.4e38 {
				return nil, meta, fmt.Errorf("tensor %s holds %v at index %d, expected finite weights", p.Name, v, i)
			}
		}
		copy(p.Value.Data, t.Data)
	}
	var extra []string
	for _, name := range f.Names() {
		if !want[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		return nil, meta, fmt.Errorf("tensors %s are not part of architecture %q", strings.Join(extra, ", "), spec.Name)
	}
	return m, meta, nil
}

// Limits on architectures read from files, so a hostile file cannot make
// Load allocate without bound. The built-in models are far inside them.
const (
	maxDepth       = 8
	maxLayers      = 64
	maxDim         = 4096
	maxParamsTotal = 1 << 28
)

// checkSpecSize rejects architectures too deep, too wide or too large to be
// one of ours before anything is allocated.
func checkSpecSize(s nn.Spec, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("architecture nests deeper than %d levels", maxDepth)
	}
	if len(s.Layers) > maxLayers {
		return fmt.Errorf("architecture has %d layers in one Sequential, at most %d supported", len(s.Layers), maxLayers)
	}
	for _, v := range append([]int{s.Units, s.Filters, s.KernelSize, s.Strides, s.PoolSize, s.N}, append(s.TargetShape, s.InputShape...)...) {
		if v < 0 || v > maxDim {
			return fmt.Errorf("architecture has a size of %d in layer %s, expected 0..%d", v, s.Type, maxDim)
		}
	}
	if len(s.InputShape) > 0 && tensor.Numel(s.InputShape) > maxParamsTotal {
		return fmt.Errorf("architecture input shape %v is too large", s.InputShape)
	}
	if s.Layer != nil {
		if err := checkSpecSize(*s.Layer, depth+1); err != nil {
			return err
		}
	}
	for _, l := range s.Layers {
		if err := checkSpecSize(l, depth+1); err != nil {
			return err
		}
	}
	return nil
}
