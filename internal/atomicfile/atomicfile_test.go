package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteCreatesAndReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.safetensors")
	for _, content := range []string{"first version", "second"} {
		err := Write(path, func(w io.Writer) error {
			_, err := io.WriteString(w, content)
			return err
		})
		if err != nil {
			t.Fatalf("Write: %v", err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != content {
			t.Fatalf("file holds %q, want %q", got, content)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	assertOnly(t, dir, "x.safetensors")
}

func TestWriteFuncErrorLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.safetensors")
	boom := errors.New("encoder exploded")
	err := Write(path, func(w io.Writer) error {
		io.WriteString(w, strings.Repeat("partial ", 1<<18)) // more than the buffer
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v does not wrap the write func's error", err)
	}
	if want := "cannot write " + path + ": encoder exploded"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	assertOnly(t, dir)
}

func TestWriteFuncErrorKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.bin")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Write(path, func(w io.Writer) error {
		io.WriteString(w, "new but broken")
		return errors.New("broken")
	})
	if err == nil {
		t.Fatal("Write succeeded, want error")
	}
	got, _ := os.ReadFile(path)
	if string(got) != "old" {
		t.Errorf("old file changed to %q", got)
	}
	assertOnly(t, dir, "x.bin")
}

func TestWriteMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "x.png")
	err := Write(path, func(w io.Writer) error { return nil })
	if err == nil {
		t.Fatal("Write succeeded, want error")
	}
	if !strings.Contains(err.Error(), "cannot write "+path) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("unclear error: %v", err)
	}
}

func TestWriteUnwritableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permission bits do not stop root")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "x.png")
	called := false
	err := Write(path, func(w io.Writer) error { called = true; return nil })
	if err == nil {
		t.Fatal("Write succeeded, want error")
	}
	if called {
		t.Error("write func called although the temp file could not be created")
	}
	if want := "cannot write " + path + ": permission denied"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	assertOnly(t, dir)
}

// TestWriteParentIsFile covers an unwritable directory in a way that also
// holds when the tests run as root.
func TestWriteParentIsFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(file, "x.png")
	err := Write(path, func(w io.Writer) error { return nil })
	if err == nil {
		t.Fatal("Write succeeded, want error")
	}
	if want := "cannot write " + path + ": not a directory"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	assertOnly(t, dir, "file")
}

func TestWriteTargetIsDirectory(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "out")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	err := Write(target, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err })
	if err == nil {
		t.Fatal("Write over a directory succeeded, want error")
	}
	if !strings.HasPrefix(err.Error(), "cannot write "+target+": ") {
		t.Errorf("error %q does not name the target", err)
	}
	assertOnly(t, dir, "out")
}

// assertOnly fails unless dir holds exactly the named entries.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("directory holds %v, want %v", got, names)
	}
}
