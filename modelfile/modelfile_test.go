package modelfile

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoenc/autoenc/internal/safetensors"
	"github.com/autoenc/autoenc/models"
	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/tensor"
	"github.com/autoenc/autoenc/train"
)

func newModel(t *testing.T, name string) (*nn.Model, Meta) {
	t.Helper()
	b, err := models.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.NewModel(b.Spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	return m, Meta{Model: name, Dataset: "fashion", Train: b.Train,
		History: train.History{{Epoch: 1, Steps: 3, Loss: 0.5, ValLoss: 0.4}}}
}

func TestRoundTrip(t *testing.T) {
	for _, b := range models.All() {
		t.Run(b.Name, func(t *testing.T) {
			m, meta := newModel(t, b.Name)
			path := filepath.Join(t.TempDir(), "m.safetensors")
			if err := Save(path, m, meta); err != nil {
				t.Fatal(err)
			}
			got, gotMeta, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			gm, _ := json.Marshal(gotMeta)
			wm, _ := json.Marshal(meta)
			if string(gm) != string(wm) {
				t.Errorf("metadata: got %s, want %s", gm, wm)
			}
			if len(got.Params()) != len(m.Params()) {
				t.Fatalf("got %d params, want %d", len(got.Params()), len(m.Params()))
			}
			for i, p := range m.Params() {
				q := got.Params()[i]
				if p.Name != q.Name || !tensor.SameShape(p.Value.Shape, q.Value.Shape) {
					t.Fatalf("param %d: got %s %v, want %s %v", i, q.Name, q.Value.Shape, p.Name, p.Value.Shape)
				}
				for j := range p.Value.Data {
					if p.Value.Data[j] != q.Value.Data[j] {
						t.Fatalf("%s[%d]: got %v, want %v", p.Name, j, q.Value.Data[j], p.Value.Data[j])
					}
				}
			}
		})
	}
}

// rewrite saves a stacked model, lets edit change its tensors and metadata,
// and writes the result as a new file.
func rewrite(t *testing.T, edit func(tensors map[string]*tensor.Tensor, md map[string]string)) string {
	t.Helper()
	m, meta := newModel(t, "stacked")
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	if err := Save(path, m, meta); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edit(f.Tensors, f.Metadata)
	if err := safetensors.WriteFile(path, f.Tensors, f.Metadata); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadRejects(t *testing.T) {
	conv, _ := models.Get("conv")
	convArch, _ := json.Marshal(conv.Spec)
	cases := []struct {
		name string
		path func(t *testing.T) string
		want string
	}{
		{"missing file", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope.safetensors") }, "does not exist"},
		{"truncated", func(t *testing.T) string {
			p := rewrite(t, func(map[string]*tensor.Tensor, map[string]string) {})
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2], 0o644)
			return p
		}, "m.safetensors"},
		{"not safetensors", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "m.safetensors")
			os.WriteFile(p, []byte("this is not a model file at all"), 0o644)
			return p
		}, "m.safetensors"},
		{"other format", func(t *testing.T) string {
			return rewrite(t, func(_ map[string]*tensor.Tensor, md map[string]string) { md["format"] = "keras/3" })
		}, `format "keras/3" is not supported`},
		{"no format", func(t *testing.T) string {
			return rewrite(t, func(_ map[string]*tensor.Tensor, md map[string]string) { delete(md, "format") })
		}, "not an autoenc model"},
		{"other architecture", func(t *testing.T) string {
			return rewrite(t, func(_ map[string]*tensor.Tensor, md map[string]string) { md["architecture"] = string(convArch) })
		}, "architecture \"conv\""},
		{"corrupt architecture", func(t *testing.T) string {
			return rewrite(t, func(_ map[string]*tensor.Tensor, md map[string]string) {
				md["architecture"] = `{"type": "Sequential", "layers": [`
			})
		}, "architecture metadata is invalid"},
		{"unknown layer", func(t *testing.T) string {
			return rewrite(t, func(_ map[string]*tensor.Tensor, md map[string]string) {
				md["architecture"] = strings.Replace(md["architecture"], `"Flatten"`, `"Flattenx"`, 1)
			})
		}, `unknown layer type "Flattenx"`},
		{"huge layer", func(t *testing.T) string {
			return rewrite(t, func(_ map[string]*tensor.Tensor, md map[string]string) {
				md["architecture"] = strings.Replace(md["architecture"], `"units":100`, `"units":1000000000`, 1)
			})
		}, "size of 1000000000"},
		{"missing tensor", func(t *testing.T) string {
			return rewrite(t, func(ts map[string]*tensor.Tensor, _ map[string]string) { delete(ts, "decoder.1.bias") })
		}, "tensor decoder.1.bias is missing"},
		{"extra tensor", func(t *testing.T) string {
			return rewrite(t, func(ts map[string]*tensor.Tensor, _ map[string]string) { ts["decoder.9.kernel"] = tensor.New(2) })
		}, "decoder.9.kernel are not part"},
		{"wrong shape", func(t *testing.T) string {
			return rewrite(t, func(ts map[string]*tensor.Tensor, _ map[string]string) { ts["encoder.1.bias"] = tensor.New(99) })
		}, "tensor encoder.1.bias has shape [99]"},
		{"NaN weight", func(t *testing.T) string {
			return rewrite(t, func(ts map[string]*tensor.Tensor, _ map[string]string) {
				ts["encoder.1.kernel"].Data[5] = float32(math.NaN())
			})
		}, "expected finite weights"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Load(c.path(t))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
			if strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestSaveUnwritable(t *testing.T) {
	m, meta := newModel(t, "stacked")
	dir := t.TempDir()
	path := filepath.Join(dir, "missing-dir", "m.safetensors")
	err := Save(path, m, meta)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Save to a missing directory: got %v, want an error naming %s", err, path)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("Save left files behind: %v", entries)
	}
}
