// Command aebench times autoenc on one built-in model: a number of SGD
// training steps at batch 32 and inference on a number of images, on the
// embedded Fashion-MNIST sample. It prints one JSON line for bench/run.sh,
// which runs it alternately with bench/torch_bench.py.
//
//	go run ./bench/cmd/aebench -model conv -steps 200 -infer 10000
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/autoenc/autoenc/data"
	"github.com/autoenc/autoenc/internal/kernels"
	"github.com/autoenc/autoenc/models"
	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/tensor"
	"github.com/autoenc/autoenc/train"
)

// result is one line of output; bench/run.sh reads the same fields from
// torch_bench.py.
type result struct {
	Impl        string  `json:"impl"`
	Model       string  `json:"model"`
	Threads     int     `json:"threads"`
	Steps       int     `json:"steps"`
	TrainImgS   float64 `json:"train_images_per_s"`
	InferImages int     `json:"infer_images"`
	InferImgS   float64 `json:"infer_images_per_s"`
	PeakRSSKB   int     `json:"peak_rss_kb"`
	FinalLoss   float64 `json:"final_loss"`
}

func main() {
	model := flag.String("model", "conv", "built-in model name")
	steps := flag.Int("steps", 200, "training steps (batch 32) to time, after 5 warm-up steps")
	infer := flag.Int("infer", 10000, "images to run through the model in inference mode")
	batch := flag.Int("batch", 32, "batch size for training and inference")
	threads := flag.Int("threads", 2, "threads for the kernels")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the timed part to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "aebench:", err)
			os.Exit(1)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "aebench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*model, *steps, *infer, *batch, *threads); err != nil {
		fmt.Fprintln(os.Stderr, "aebench:", err)
		os.Exit(1)
	}
}

func run(name string, steps, infer, batch, threads int) error {
	bi, err := models.Get(name)
	if err != nil {
		return err
	}
	kernels.SetThreads(threads)
	ds, err := data.Load(data.Options{Dir: data.SampleDir})
	if err != nil {
		return err
	}
	m, err := nn.NewModel(bi.Spec, 42)
	if err != nil {
		return err
	}
	imgs := ds.Train.Data
	const px = data.Height * data.Width
	n := len(imgs) / px
	x := tensor.New(batch, data.Height, data.Width)
	grad := tensor.New(batch, data.Height, data.Width)
	next := 0
	fill := func() { // the next batch, wrapping around the data set
		for i := range batch {
			copy(x.Data[i*px:(i+1)*px], imgs[next*px:(next+1)*px])
			next = (next + 1) % n
		}
	}
	loss := train.BinaryCrossentropy{}
	opt := &train.SGD{LearningRate: bi.Train.LearningRate}
	var last float64
	step := func() {
		fill()
		y := m.Net.Forward(x, true)
		last = float64(loss.Compute(y, x, grad))
		m.Net.Backward(grad)
		opt.Step(m.Params())
	}
	for range 5 {
		step()
	}
	t0 := time.Now()
	for range steps {
		step()
	}
	trainS := time.Since(t0).Seconds()

	fill()
	m.Predict(x) // warm-up: sizes the inference buffers
	next = 0
	t0 = time.Now()
	for done := 0; done < infer; done += batch {
		fill()
		m.Predict(x)
	}
	inferS := time.Since(t0).Seconds()

	out, _ := json.Marshal(result{
		Impl: "autoenc", Model: name, Threads: kernels.Threads(), Steps: steps,
		TrainImgS:   float64(steps*batch) / trainS,
		InferImages: infer, InferImgS: float64(infer) / inferS,
		PeakRSSKB: peakRSS(), FinalLoss: last,
	})
	fmt.Println(string(out))
	return nil
}

// peakRSS returns the process's peak resident set size (VmHWM) in KiB.
func peakRSS() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return kb
		}
	}
	return 0
}
