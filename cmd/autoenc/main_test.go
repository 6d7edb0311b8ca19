package main

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoenc/autoenc/modelfile"
)

// autoenc runs the CLI in-process and returns its exit code and output.
func autoenc(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// trained trains a stacked model for one epoch on the embedded sample
// into dir and returns the model file's path.
func trained(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "stacked.safetensors")
	code, out, errs := autoenc(t, "train", "stacked", "--data", "sample", "--epochs", "1", "--out", path)
	if code != 0 {
		t.Fatalf("train exited %d: %s%s", code, out, errs)
	}
	return path
}

func TestTrainAndUse(t *testing.T) {
	dir := t.TempDir()
	model := trained(t, dir)
	for _, f := range []string{model, filepath.Join(dir, "stacked.png")} {
		if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
			t.Fatalf("train did not write %s: %v", f, err)
		}
	}

	code, out, errs := autoenc(t, "eval", model, "--data", "sample")
	if code != 0 || !strings.Contains(out, "loss: ") || !strings.Contains(out, "rounded_accuracy: ") {
		t.Errorf("eval exited %d: %q %q", code, out, errs)
	}

	code, out, _ = autoenc(t, "summary", model)
	if code != 0 || !strings.Contains(out, "Total params: 163,814") {
		t.Errorf("summary of the model file exited %d:\n%s", code, out)
	}

	png := filepath.Join(dir, "noisy.png")
	code, _, errs = autoenc(t, "reconstruct", model, "--data", "sample", "--noise", "0.2", "--n", "5", "--out", png)
	if b, err := os.ReadFile(png); code != 0 || err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("reconstruct exited %d (%s), wrote %v", code, errs, err)
	}

	prefix := filepath.Join(dir, "codings")
	code, _, errs = autoenc(t, "encode", model, "--data", "sample", "--out", prefix)
	if code != 0 {
		t.Fatalf("encode exited %d: %s", code, errs)
	}
	npy, _ := os.ReadFile(prefix + ".npy")
	hlen := int(binary.LittleEndian.Uint16(npy[8:10]))
	header := string(npy[10 : 10+hlen])
	if !strings.Contains(header, "'shape': (1000, 30)") || (10+hlen)%64 != 0 || len(npy) != 10+hlen+1000*30*4 {
		t.Errorf("codings.npy: header %q, %d bytes", header, len(npy))
	}
	csv, _ := os.ReadFile(prefix + ".csv")
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 1001 || !strings.HasPrefix(lines[0], "label,c0,") || strings.Count(lines[1], ",") != 30 {
		t.Errorf("codings.csv: %d lines, first %q", len(lines), lines[0])
	}
}

func TestModelsAndSummary(t *testing.T) {
	code, out, _ := autoenc(t, "models")
	for _, name := range []string{"stacked", "conv", "recurrent", "denoising-gaussian", "denoising-dropout"} {
		if code != 0 || !strings.Contains(out, name) {
			t.Errorf("models exited %d and does not list %s:\n%s", code, name, out)
		}
	}
	code, out, _ = autoenc(t, "summary", "conv")
	for _, want := range []string{"Total params: 46,529", "Total params: 23,296", "Total params: 23,233", "(None, 3, 3, 64)"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("summary conv lacks %q:\n%s", want, out)
		}
	}
}

// TestBadInput checks that each bad input gives one error line naming the
// problem, a non-zero exit, and leaves no file behind.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	model := trained(t, dir)
	garbage := filepath.Join(dir, "garbage.safetensors")
	os.WriteFile(garbage, []byte("\x10\x00\x00\x00\x00\x00\x00\x00{not json at all"), 0o644)
	truncated := filepath.Join(dir, "truncated.safetensors")
	b, _ := os.ReadFile(model)
	os.WriteFile(truncated, b[:len(b)-100], 0o644)
	blocker := filepath.Join(dir, "a-file")
	os.WriteFile(blocker, nil, 0o644)
	badData := t.TempDir()
	for _, name := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		os.WriteFile(filepath.Join(badData, name), []byte{0, 0, 8, 3, 0, 0}, 0o644) // truncated header
	}

	out := filepath.Join(t.TempDir(), "out")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown model", []string{"train", "nosuch"}, 1, `unknown model "nosuch"`},
		{"zero epochs", []string{"train", "stacked", "--epochs", "0"}, 2, "epochs must be a positive integer, got 0"},
		{"negative epochs", []string{"train", "stacked", "--epochs", "-2"}, 2, "got -2"},
		{"zero batch", []string{"train", "stacked", "--batch-size", "0"}, 2, "batch size must be a positive integer, got 0"},
		{"negative lr", []string{"train", "stacked", "--lr", "-0.5"}, 2, "learning rate must be a positive number, got -0.5"},
		{"zero lr", []string{"train", "stacked", "--lr", "0"}, 2, "learning rate must be a positive number, got 0"},
		{"not a number", []string{"train", "stacked", "--epochs", "many"}, 2, `invalid argument "many"`},
		{"unknown optimizer", []string{"train", "stacked", "--optimizer", "rmsprop"}, 2, `unknown optimizer "rmsprop"`},
		{"unwritable output", []string{"train", "stacked", "--data", "sample", "--out", filepath.Join(blocker, "m.safetensors")}, 1, "cannot create output directory"},
		{"missing data dir", []string{"train", "stacked", "--data", filepath.Join(dir, "nowhere"), "--out", filepath.Join(out, "m.safetensors")}, 1, "does not exist"},
		{"truncated data file", []string{"train", "stacked", "--data", badData, "--out", filepath.Join(out, "m.safetensors")}, 1, "train-images-idx3-ubyte"},
		{"missing model file", []string{"eval", filepath.Join(dir, "none.safetensors")}, 1, "does not exist"},
		{"corrupt model file", []string{"eval", garbage}, 1, "garbage.safetensors"},
		{"truncated model file", []string{"reconstruct", truncated, "--out", filepath.Join(out, "r.png")}, 1, "truncated.safetensors"},
		{"unwritable png", []string{"reconstruct", model, "--data", "sample", "--out", filepath.Join(blocker, "r.png")}, 1, "cannot create output directory"},
		{"bad split", []string{"eval", model, "--data", "sample", "--split", "dev"}, 2, `unknown split "dev"`},
		{"too many args", []string{"eval", model, model}, 2, "expects one model file"},
		{"unknown verb", []string{"fly"}, 1, `unknown command "fly"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := autoenc(t, c.args...)
			if code != c.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, c.code, errs)
			}
			if !strings.Contains(errs, c.want) {
				t.Errorf("stderr %q does not say %q", errs, c.want)
			}
			if strings.Count(strings.TrimSpace(errs), "\n") != 0 || strings.Contains(errs, "goroutine") {
				t.Errorf("stderr is not one line: %q", errs)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("left files behind in %s: %v", out, entries)
			}
		})
	}
}

// TestSeedGivesIdenticalWeights trains twice with one seed and once with
// another: the same seed must give bit-identical weights, another seed not.
func TestSeedGivesIdenticalWeights(t *testing.T) {
	dir := t.TempDir()
	weights := func(name, seed string) map[string][]float32 {
		path := filepath.Join(dir, name+".safetensors")
		code, _, errs := autoenc(t, "train", "denoising-dropout", "--data", "sample", "--epochs", "1", "--seed", seed, "--out", path)
		if code != 0 {
			t.Fatalf("train exited %d: %s", code, errs)
		}
		m, _, err := modelfile.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		w := map[string][]float32{}
		for _, p := range m.Params() {
			w[p.Name] = p.Value.Data
		}
		return w
	}
	a, b, c := weights("a", "7"), weights("b", "7"), weights("c", "8")
	same := func(x, y map[string][]float32) bool {
		for name, v := range x {
			for i := range v {
				if math.Float32bits(v[i]) != math.Float32bits(y[name][i]) {
					return false
				}
			}
		}
		return true
	}
	if !same(a, b) {
		t.Error("two runs with --seed 7 gave different weights")
	}
	if same(a, c) {
		t.Error("--seed 7 and --seed 8 gave the same weights")
	}
}
