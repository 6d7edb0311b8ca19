package main

import (
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autoenc/autoenc/internal/safetensors"
	"github.com/autoenc/autoenc/train"
)

// TestMain lets the test binary stand in for autoenc: with AUTOENC_TEST_MAIN
// set it runs its arguments as a command line. AUTOENC_TEST_FAULT names a
// fault point ("step 37", or "partial#3" for the third snapshot write) at
// which it sends itself AUTOENC_TEST_SIGNAL (default SIGKILL); "nan@step
// 37" instead makes a weight infinite once, after step 37.
func TestMain(m *testing.M) {
	if os.Getenv("AUTOENC_TEST_MAIN") == "" {
		os.Exit(m.Run())
	}
	if fault := os.Getenv("AUTOENC_TEST_FAULT"); fault != "" {
		sig := syscall.SIGKILL
		switch os.Getenv("AUTOENC_TEST_SIGNAL") {
		case "INT":
			sig = syscall.SIGINT
		case "TERM":
			sig = syscall.SIGTERM
		}
		partials, poisoned := 0, false
		testFault = func(point string, t *train.Trainer) {
			if "nan@"+point == fault && !poisoned { // poison the weights once
				poisoned = true
				t.Model.Params()[0].Value.Data[0] = float32(math.Inf(1))
				return
			}
			if point == "partial" {
				partials++
				point = "partial#" + strconv.Itoa(partials)
			}
			if point == fault {
				syscall.Kill(os.Getpid(), sig)
				if sig == syscall.SIGKILL {
					time.Sleep(time.Minute) // never returns
				}
			}
		}
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type result struct {
	code           int
	stdout, stderr string
}

// child runs autoenc args in a new process with fault (see TestMain), and
// kills it after killAfter if that is positive.
func child(t *testing.T, fault, signal string, killAfter time.Duration, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "AUTOENC_TEST_MAIN=1", "AUTOENC_TEST_FAULT="+fault, "AUTOENC_TEST_SIGNAL="+signal)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if killAfter > 0 {
		timer := time.AfterFunc(killAfter, func() { cmd.Process.Kill() })
		defer timer.Stop()
	}
	cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = -int(ws.Signal())
	}
	return result{code, out.String(), errb.String()}
}

// weights reads the tensors of a model file.
func weights(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	w := make(map[string][]float32)
	for name, x := range f.Tensors {
		w[name] = x.Data
	}
	return w
}

func sameBits(t *testing.T, what string, want, got map[string][]float32) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d tensors, want %d", what, len(got), len(want))
	}
	for name, w := range want {
		g := got[name]
		for i := range w {
			if math.Float32bits(w[i]) != math.Float32bits(g[i]) {
				t.Fatalf("%s: %s[%d] = %v, uninterrupted run has %v", what, name, i, g[i], w[i])
			}
		}
	}
}

// trainArgs is a 2-epoch run of the stacked model on the embedded sample
// (172 steps an epoch) with snapshots every 20 steps.
func trainArgs(dir, out string, extra ...string) []string {
	return append([]string{"train", "stacked", "--data", "sample", "--epochs", "2", "--threads", "2",
		"--checkpoint-dir", dir, "--checkpoint-every", "20", "--keep", "2", "--out", out}, extra...)
}

// TestKillAndResume kills training with SIGKILL at several points (mid
// epoch, during a snapshot write, during the epoch-end snapshot, at a
// random moment), resumes it, and checks that the final weights are
// bit-identical to those of an uninterrupted run.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("trains several times")
	}
	base := t.TempDir()
	refOut := filepath.Join(base, "ref.safetensors")
	if r := child(t, "", "", 0, "train", "stacked", "--data", "sample", "--epochs", "2", "--threads", "2", "--out", refOut); r.code != 0 {
		t.Fatalf("reference run exited %d: %s", r.code, r.stderr)
	}
	want := weights(t, refOut)

	randomKill := time.Duration(300+rand.IntN(900)) * time.Millisecond
	cases := []struct {
		name      string
		fault     string
		killAfter time.Duration
	}{
		{"mid epoch 1", "step 97", 0},
		{"during a snapshot write", "partial#3", 0},
		{"during the epoch-end snapshot", "partial#9", 0},
		{"mid epoch 2", "step 251", 0},
		{"after " + randomKill.String(), "", randomKill},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ckpt")
			out := filepath.Join(t.TempDir(), "m.safetensors")
			r := child(t, c.fault, "", c.killAfter, trainArgs(dir, out)...)
			if r.code != -int(syscall.SIGKILL) && !(c.killAfter > 0 && r.code == 0) {
				t.Fatalf("first run exited %d, want killed: %s", r.code, r.stderr)
			}
			if r.code != 0 {
				r = child(t, "", "", 0, "train", "--resume", dir)
				if r.code != 0 && strings.Contains(r.stderr, "no snapshots") {
					r = child(t, "", "", 0, trainArgs(dir, out)...) // killed before the first snapshot
				}
				if r.code != 0 {
					t.Fatalf("resumed run exited %d: %s", r.code, r.stderr)
				}
				if !strings.Contains(r.stdout, "Resuming stacked from") && !strings.Contains(r.stdout, "Training stacked") {
					t.Errorf("resumed run says:\n%s", r.stdout)
				}
			}
			sameBits(t, c.name, want, weights(t, out))
			if tmp, _ := filepath.Glob(filepath.Join(dir, ".snap-*")); len(tmp) != 0 {
				t.Errorf("temporary files left behind: %v", tmp)
			}
		})
	}
}

// TestInterruptCorruptAndReplica stops a run with SIGINT (snapshot, exit
// 130, a line on how to resume), corrupts the newest snapshot (resume warns
// naming it and uses the previous one), then loses the primary directory
// (resume uses the replica); the weights still match an uninterrupted run.
func TestInterruptCorruptAndReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("trains several times")
	}
	base := t.TempDir()
	refOut := filepath.Join(base, "ref.safetensors")
	if r := child(t, "", "", 0, "train", "stacked", "--data", "sample", "--epochs", "2", "--threads", "2", "--out", refOut); r.code != 0 {
		t.Fatalf("reference run exited %d: %s", r.code, r.stderr)
	}
	want := weights(t, refOut)
	dir, replica := filepath.Join(base, "ckpt"), filepath.Join(base, "replica")
	out := filepath.Join(base, "m.safetensors")

	r := child(t, "step 50", "INT", 0, trainArgs(dir, out, "--replica", replica)...)
	if r.code != 130 || !strings.Contains(r.stderr, "resume with: autoenc train --resume "+dir) || !strings.Contains(r.stderr, "snapshot saved to "+dir) {
		t.Fatalf("SIGINT: exit %d, stderr %q; want 130, a snapshot and a resume line", r.code, r.stderr)
	}

	// Resume to a kill in epoch 2, then corrupt the newest snapshot.
	r = child(t, "step 260", "", 0, "train", "--resume", dir)
	if r.code != -int(syscall.SIGKILL) {
		t.Fatalf("resumed run exited %d: %s", r.code, r.stderr)
	}
	snaps, _ := filepath.Glob(filepath.Join(dir, "snap-*.safetensors")) // sorted: oldest first
	if len(snaps) < 2 {
		t.Fatalf("snapshots %v, want at least 2", snaps)
	}
	newest, previous := snaps[len(snaps)-1], snaps[len(snaps)-2]
	b, err := os.ReadFile(newest)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1000] ^= 0x10
	os.WriteFile(newest, b, 0o644)
	r = child(t, "step 265", "", 0, "train", "--resume", dir)
	if r.code != -int(syscall.SIGKILL) || !strings.Contains(r.stderr, "warning: skipping snapshot "+newest) || !strings.Contains(r.stdout, "Resuming stacked from "+previous) {
		t.Fatalf("resume past a corrupt snapshot: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	// Lose the primary: the replica (recorded in the snapshots, so named
	// again here) takes over.
	os.RemoveAll(dir)
	r = child(t, "", "", 0, "train", "--resume", dir, "--replica", replica)
	if r.code != 0 || !strings.Contains(r.stdout, replica) {
		t.Fatalf("resume from the replica: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	sameBits(t, "after SIGINT, corruption and replica recovery", want, weights(t, out))

	code, stdout, _ := autoenc(t, "checkpoints", "verify", replica)
	if code != 0 || !strings.Contains(stdout, "intact") {
		t.Errorf("verify replica: exit %d: %s", code, stdout)
	}
	code, stdout, _ = autoenc(t, "checkpoints", "list", dir)
	if code != 0 || !strings.Contains(stdout, "end") || !strings.Contains(stdout, "ok") {
		t.Errorf("list: exit %d: %s", code, stdout)
	}
	restored := filepath.Join(base, "epoch1.safetensors")
	code, stdout, stderr := autoenc(t, "checkpoints", "restore", dir, "--replica", replica, "--epoch", "1", "--out", restored)
	if code != 0 || !strings.Contains(stdout, "epoch1") {
		t.Fatalf("restore --epoch 1: exit %d: %s %s", code, stdout, stderr)
	}
	if code, _, stderr := autoenc(t, "eval", restored, "--data", "sample"); code != 0 {
		t.Errorf("eval of the restored model: exit %d: %s", code, stderr)
	}
}

// TestCheckpointErrors covers bad flags, an unwritable checkpoint directory
// and corrupt snapshots in list, verify and restore.
func TestCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "a-file")
	os.WriteFile(blocker, nil, 0o644)
	junk := filepath.Join(dir, "junk")
	os.MkdirAll(junk, 0o755)
	os.WriteFile(filepath.Join(junk, "snap-000000001.safetensors"), []byte("\x08\x00\x00\x00\x00\x00\x00\x00{}      "), 0o644)
	out := filepath.Join(dir, "m.safetensors")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unwritable checkpoint dir", []string{"train", "stacked", "--data", "sample", "--out", out, "--checkpoint-dir", filepath.Join(blocker, "ckpt")}, 1, "cannot create checkpoint directory"},
		{"bad every", []string{"train", "stacked", "--checkpoint-dir", dir, "--checkpoint-every", "soon"}, 2, `--checkpoint-every must be a positive number of steps or a duration such as 2m, got "soon"`},
		{"keep 0", []string{"train", "stacked", "--checkpoint-dir", dir, "--keep", "0"}, 2, "--keep must be at least 1, got 0"},
		{"bad on-nan", []string{"train", "stacked", "--on-nan", "pray"}, 2, `unknown --on-nan "pray"`},
		{"no model", []string{"train"}, 2, "or --resume DIR"},
		{"resume nothing", []string{"train", "--resume", filepath.Join(dir, "none")}, 1, "cannot resume: no snapshots"},
		{"resume junk", []string{"train", "--resume", junk}, 1, "none of the 1 snapshots"},
		{"resume with lr", []string{"train", "--resume", junk, "--lr", "0.1"}, 2, "--lr cannot change when resuming"},
		{"verify junk", []string{"checkpoints", "verify", junk}, 1, "1 of 1 snapshots in " + junk + " are bad"},
		{"list missing", []string{"checkpoints", "list", filepath.Join(dir, "none")}, 1, "no such file"},
		{"restore no out", []string{"checkpoints", "restore", junk}, 2, "needs --out"},
		{"restore bad time", []string{"checkpoints", "restore", junk, "--out", out, "--before", "yesterday"}, 2, "neither an RFC 3339 time"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := autoenc(t, c.args...)
			if code != c.code || !strings.Contains(errs, c.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errs, c.code, c.want)
			}
		})
	}
}

// TestTerminate stops a run with SIGTERM: like SIGINT it finishes the step
// and writes a snapshot, but exits 143; the resumed run completes.
func TestTerminate(t *testing.T) {
	if testing.Short() {
		t.Skip("trains")
	}
	dir := filepath.Join(t.TempDir(), "ckpt")
	out := filepath.Join(t.TempDir(), "m.safetensors")
	r := child(t, "step 30", "TERM", 0, trainArgs(dir, out, "--epochs", "1")...)
	if r.code != 143 || !strings.Contains(r.stderr, "resume with: autoenc train --resume "+dir) {
		t.Fatalf("SIGTERM: exit %d, stderr %q; want 143 and a resume line", r.code, r.stderr)
	}
	if r = child(t, "", "", 0, "train", "--resume", dir); r.code != 0 {
		t.Fatalf("resume after SIGTERM exited %d: %s", r.code, r.stderr)
	}
}

// TestNaN makes a weight infinite after step 30: with --on-nan stop the next
// step stops with an error naming epoch and step, and the last snapshot
// loads; with --on-nan restore training goes on from that snapshot at half
// the learning rate.
func TestNaN(t *testing.T) {
	if testing.Short() {
		t.Skip("trains")
	}
	dir := filepath.Join(t.TempDir(), "ckpt")
	out := filepath.Join(t.TempDir(), "m.safetensors")
	r := child(t, "nan@step 30", "", 0, trainArgs(dir, out, "--epochs", "1")...)
	if r.code != 1 || !strings.Contains(r.stderr, "epoch 1, step 31") || !strings.Contains(r.stderr, "lower learning rate") ||
		!strings.Contains(r.stderr, "the last snapshot, "+filepath.Join(dir, "snap-000000020.safetensors")+", is intact") {
		t.Fatalf("--on-nan stop: exit %d, stderr %q", r.code, r.stderr)
	}
	if code, stdout, _ := autoenc(t, "checkpoints", "verify", dir); code != 0 {
		t.Errorf("verify after NaN: exit %d: %s", code, stdout)
	}
	r = child(t, "nan@step 30", "", 0, trainArgs(dir, out, "--epochs", "1", "--on-nan", "restore")...)
	if r.code != 0 || !strings.Contains(r.stderr, "halved the learning rate to 0.5") {
		t.Fatalf("--on-nan restore: exit %d, stderr %q", r.code, r.stderr)
	}
}
