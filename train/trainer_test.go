package train

import (
	"context"
	"errors"
	"testing"
)

// TestTrainerStepsDoNotAllocate checks that, without a hook, the cost in
// allocations of an epoch does not grow with its number of steps: 64
// steps allocate as much as 8 (the per-epoch history entry and the like).
func TestTrainerStepsDoNotAllocate(t *testing.T) {
	allocs := func(batch int) float64 {
		cfg := Config{Loss: "mse", Optimizer: "adam", LearningRate: 0.01, Epochs: 1, BatchSize: batch, Seed: 1}
		tr, err := NewTrainer(tinyModel(t, 1), cfg)
		if err != nil {
			t.Fatal(err)
		}
		x := tinyData(64)
		if _, err := tr.Fit(context.Background(), x, nil, nil); err != nil {
			t.Fatal(err)
		}
		return testing.AllocsPerRun(3, func() {
			tr.Config.Epochs++
			tr.Fit(context.Background(), x, nil, nil)
		})
	}
	if few, many := allocs(8), allocs(1); many != few {
		t.Errorf("an epoch of 64 steps makes %v allocations, one of 8 steps %v: steps allocate", many, few)
	}
}

// TestTrainerResumesInMemory stops a run after every possible step,
// continues it with the same Trainer, and checks the result against an
// uninterrupted run: the state between steps is complete.
func TestTrainerResumesInMemory(t *testing.T) {
	cfg := Config{Loss: "binary_crossentropy", Optimizer: "sgd", LearningRate: 0.5, Momentum: 0.9, Epochs: 3, BatchSize: 5, Seed: 7}
	x, val := tinyData(23), tinyData(6)
	ref, _ := NewTrainer(tinyModel(t, cfg.Seed), cfg)
	want, err := ref.Fit(context.Background(), x, val, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	tr, _ := NewTrainer(tinyModel(t, cfg.Seed), cfg)
	tr.AfterStep = func(*Trainer, bool) error { return stop }
	for i := 0; ; i++ {
		hist, err := tr.Fit(context.Background(), x, val, nil)
		if err == nil {
			for j := range want {
				if hist[j].Loss != want[j].Loss || hist[j].ValLoss != want[j].ValLoss {
					t.Errorf("epoch %d: loss %v val %v, uninterrupted %v %v", j+1, hist[j].Loss, hist[j].ValLoss, want[j].Loss, want[j].ValLoss)
				}
			}
			break
		}
		if err != stop || i > 100 {
			t.Fatalf("Fit after %d stops: %v", i, err)
		}
	}
	for i, p := range ref.Model.Params() {
		for j, v := range p.Value.Data {
			if got := tr.Model.Params()[i].Value.Data[j]; got != v {
				t.Fatalf("%s[%d] = %v after stops, %v uninterrupted", p.Name, j, got, v)
			}
		}
	}
}
