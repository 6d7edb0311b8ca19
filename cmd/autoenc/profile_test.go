package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCPUProfile checks --cpuprofile writes a non-empty pprof file for a
// verb, and that a bad path is an error.
func TestCPUProfile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cpu.prof")
	var out, errb bytes.Buffer
	if code := run([]string{"--cpuprofile", p, "models"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
		t.Fatalf("profile not written: %v", err)
	}
	errb.Reset()
	if code := run([]string{"--cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir"), "models"}, &out, &errb); code != 1 {
		t.Fatalf("bad path: exit %d, want 1 (%s)", code, errb.String())
	}
}
