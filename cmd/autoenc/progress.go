package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/autoenc/autoenc/train"
)

// kerasProgress prints training progress the way Keras's fit does: a bar
// redrawn in place on a terminal (verbose=1), or one line per epoch
// otherwise (verbose=2), or one JSON object per epoch.
type kerasProgress struct {
	w        io.Writer
	terminal bool
	json     bool

	steps     int
	start     time.Time
	lastDraw  time.Time
	lastWidth int
}

func (p *kerasProgress) BeginEpoch(epoch, epochs, steps int) {
	p.steps, p.start = steps, time.Now()
	p.lastDraw = time.Time{}
	if !p.json {
		fmt.Fprintf(p.w, "Epoch %d/%d\n", epoch, epochs)
	}
}

func (p *kerasProgress) Step(step int, loss, accuracy float64) {
	if !p.terminal || p.json {
		return
	}
	now := time.Now()
	if step < p.steps && now.Sub(p.lastDraw) < 100*time.Millisecond {
		return
	}
	p.lastDraw = now
	const width = 30
	done := width * step / p.steps
	bar := strings.Repeat("=", done)
	if done < width {
		bar += ">" + strings.Repeat(".", width-done-1)
	}
	elapsed := now.Sub(p.start)
	eta := time.Duration(float64(elapsed) / float64(step) * float64(p.steps-step))
	line := fmt.Sprintf("%*d/%d [%s] - ETA: %s - loss: %.4f - rounded_accuracy: %.4f",
		len(fmt.Sprint(p.steps)), step, p.steps, bar, eta.Round(time.Second), loss, accuracy)
	p.draw(line)
}

func (p *kerasProgress) draw(line string) {
	pad := ""
	if n := p.lastWidth - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
	p.lastWidth = len(line)
}

func (p *kerasProgress) EndEpoch(l train.EpochLog) {
	if p.json {
		b, _ := json.Marshal(l)
		fmt.Fprintf(p.w, "%s\n", b)
		return
	}
	perStep := time.Duration(l.Seconds / float64(l.Steps) * float64(time.Second))
	stats := fmt.Sprintf("%ds %s/step - loss: %.4f - rounded_accuracy: %.4f - val_loss: %.4f - val_rounded_accuracy: %.4f",
		int(l.Seconds+0.5), shortDuration(perStep), l.Loss, l.RoundedAccuracy, l.ValLoss, l.ValRoundedAccuracy)
	if p.terminal {
		p.draw(fmt.Sprintf("%d/%d [%s] - %s", l.Steps, l.Steps, strings.Repeat("=", 30), stats))
		fmt.Fprintln(p.w)
		p.lastWidth = 0
		return
	}
	fmt.Fprintf(p.w, "%d/%d - %s\n", l.Steps, l.Steps, stats)
}

// shortDuration formats a per-step time as Keras does: 15ms, 850us.
func shortDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%ds", int(d.Seconds()+0.5))
	case d >= time.Millisecond:
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%dus", d.Microseconds())
}
