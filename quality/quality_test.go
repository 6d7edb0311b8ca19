//go:build quality

// Package quality trains every built-in model on the full Fashion-MNIST
// with the tutorial's settings and checks that validation loss and rounded
// accuracy reach what Keras and PyTorch reached. It takes tens of minutes:
//
//	go test -tags quality -timeout 80m -v ./quality
//
// AUTOENC_QUALITY_MODELS=conv,stacked limits the run to some models.
package quality

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/autoenc/autoenc/data"
	"github.com/autoenc/autoenc/models"
	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/train"
)

// target is one row of the table in issue 2: the references and the bar.
type target struct {
	model               string
	epochs              int
	kerasLoss, kerasAcc float64 // from the tutorial's Keras logs (0: not logged)
	torchLoss, torchAcc float64 // PyTorch reproduction on this machine type (0: none)
	maxLoss, minAcc     float64 // what autoenc must reach
}

var targets = []target{
	{"stacked", 20, 0.2835, 0.9370, 0.2868, 0.9339, 0.292, 0.929},
	{"conv", 5, 0.2671, 0, 0.2674, 0.9507, 0.272, 0.946},
	{"recurrent", 10, 0.3206, 0.9015, 0, 0, 0.326, 0.896},
	{"denoising-gaussian", 10, 0.2920, 0.9291, 0.2918, 0.9300, 0.297, 0.925},
	{"denoising-dropout", 10, 0.2958, 0, 0.2956, 0.9230, 0.301, 0.918},
}

func TestQuality(t *testing.T) {
	ds, err := data.Load(data.Options{Dataset: "fashion"})
	if err != nil {
		t.Fatalf("the quality suite needs the full Fashion-MNIST (apt-get install dataset-fashion-mnist): %v", err)
	}
	only := os.Getenv("AUTOENC_QUALITY_MODELS")
	var rows []string
	for _, tg := range targets {
		if only != "" && !strings.Contains(","+only+",", ","+tg.model+",") {
			continue
		}
		t.Run(tg.model, func(t *testing.T) {
			b, err := models.Get(tg.model)
			if err != nil {
				t.Fatal(err)
			}
			cfg := b.Train
			cfg.Epochs = tg.epochs
			m, err := nn.NewModel(b.Spec, cfg.Seed)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			hist, err := train.Fit(context.Background(), m, ds.Train, ds.Valid, cfg, logProgress{t})
			if err != nil {
				t.Fatal(err)
			}
			last := hist[len(hist)-1]
			ok := last.ValLoss <= tg.maxLoss && last.ValRoundedAccuracy >= tg.minAcc
			verdict := "PASS"
			if !ok {
				verdict = "FAIL"
				t.Errorf("%s after %d epochs: val_loss %.4f (must be <= %.3f), val_rounded_accuracy %.4f (must be >= %.3f)",
					tg.model, tg.epochs, last.ValLoss, tg.maxLoss, last.ValRoundedAccuracy, tg.minAcc)
			}
			rows = append(rows, fmt.Sprintf("| %s | %d | %s | %s | %.4f / %.4f | %.3f / %.3f | %s | %.0fs |",
				tg.model, tg.epochs, ref(tg.kerasLoss, tg.kerasAcc), ref(tg.torchLoss, tg.torchAcc),
				last.ValLoss, last.ValRoundedAccuracy, tg.maxLoss, tg.minAcc, verdict, time.Since(start).Seconds()))
		})
	}
	fmt.Println("\n| model | epochs | Keras val_loss / acc | PyTorch val_loss / acc | autoenc val_loss / acc | bar: loss <= / acc >= | result | time |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Println(r)
	}
}

func ref(loss, acc float64) string {
	switch {
	case loss == 0:
		return "—"
	case acc == 0:
		return fmt.Sprintf("%.4f / (not logged)", loss)
	}
	return fmt.Sprintf("%.4f / %.4f", loss, acc)
}

// logProgress prints one line per epoch into the test log.
type logProgress struct{ t *testing.T }

func (logProgress) BeginEpoch(epoch, epochs, steps int) {}
func (logProgress) Step(step int, loss, acc float64)    {}
func (p logProgress) EndEpoch(l train.EpochLog) {
	p.t.Logf("epoch %d: %ds - loss: %.4f - rounded_accuracy: %.4f - val_loss: %.4f - val_rounded_accuracy: %.4f",
		l.Epoch, int(l.Seconds+0.5), l.Loss, l.RoundedAccuracy, l.ValLoss, l.ValRoundedAccuracy)
}
