package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/spf13/cobra"

	"github.com/autoenc/autoenc/modelfile"
	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/tensor"
	"github.com/autoenc/autoenc/viz"
)

func newReconstructCmd() *cobra.Command {
	var d dataOptions
	var out, splitName string
	var n int
	var noise float64
	var seed uint64
	cmd := &cobra.Command{
		Use:   "reconstruct FILE.safetensors",
		Short: "Write a PNG of images (top row) above the model's reconstructions (bottom row)",
		Example: `  autoenc reconstruct out/conv.safetensors --out conv.png
  autoenc reconstruct out/denoising-gaussian.safetensors --noise 0.2`,
		Args: exactArgs(1, "one model file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSplit(splitName); err != nil {
				return err
			}
			if n <= 0 {
				return usageError{fmt.Errorf("--n must be a positive number of images, got %d", n)}
			}
			if noise < 0 {
				return usageError{fmt.Errorf("--noise must be a standard deviation >= 0, got %g", noise)}
			}
			m, _, err := modelfile.Load(args[0])
			if err != nil {
				return err
			}
			if err := checkWritable(out); err != nil {
				return err
			}
			ds, err := loadData(d, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			x, _, err := split(ds, splitName)
			if err != nil {
				return err
			}
			x = x.Rows(0, min(n, x.Shape[0]))
			if noise > 0 {
				x = addNoise(x, noise, seed)
			}
			if err := writeReconstructions(out, m, x, n); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote %d %s images (top) and their reconstructions (bottom) to %s\n", x.Shape[0], splitName, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "out", "o", "reconstructions.png", "PNG file to write")
	f.StringVar(&splitName, "split", "valid", "which images: train, valid or test")
	f.IntVarP(&n, "n", "n", 10, "number of images")
	f.Float64Var(&noise, "noise", 0, "add Gaussian noise of this standard deviation to the inputs (the top row shows the noisy inputs)")
	f.Uint64Var(&seed, "seed", 42, "random seed for --noise")
	addDataFlags(f, &d)
	return cmd
}

// addNoise returns a copy of x with Gaussian noise of standard deviation
// stddev added, as the denoising tutorial shows its inputs.
func addNoise(x *tensor.Tensor, stddev float64, seed uint64) *tensor.Tensor {
	rng := rand.New(rand.NewPCG(seed, 0))
	y := x.Clone()
	for i := range y.Data {
		y.Data[i] += float32(stddev * rng.NormFloat64())
	}
	return y
}

// writeReconstructions runs the first n images of x through m and writes
// them above their reconstructions.
func writeReconstructions(path string, m *nn.Model, x *tensor.Tensor, n int) error {
	x = x.Rows(0, min(n, x.Shape[0]))
	y := m.Predict(x).Clone()
	return viz.WriteReconstructions(path, x, y, x.Shape[0])
}
