package safetensors

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGoldensRewriteIdentically reads the parity goldens, which
// tools/torchref/gen.py writes with its own (Python) writer, and checks that
// Write reproduces them byte for byte: an independent check of both the
// reader and the writer's layout.
func TestGoldensRewriteIdentically(t *testing.T) {
	var paths []string
	for _, dir := range []string{"../../nn/testdata/parity", "../../models/testdata/parity"} {
		p, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		if len(p) == 0 {
			t.Fatalf("no goldens in %s", dir)
		}
		paths = append(paths, p...)
	}
	for _, path := range paths {
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := read(want)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var got bytes.Buffer
		if err := Write(&got, f.Tensors, f.Metadata); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: rewriting gives %d different bytes (%d before)", path, got.Len(), len(want))
		}
	}
}
