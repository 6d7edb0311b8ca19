package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/autoenc/autoenc/modelfile"
	"github.com/autoenc/autoenc/train"
)

func newEvalCmd() *cobra.Command {
	var d dataOptions
	var splitName string
	cmd := &cobra.Command{
		Use:     "eval FILE.safetensors",
		Short:   "Report a trained model's loss and rounded_accuracy on the test set",
		Example: "  autoenc eval out/conv.safetensors",
		Args:    exactArgs(1, "one model file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSplit(splitName); err != nil {
				return err
			}
			m, meta, err := modelfile.Load(args[0])
			if err != nil {
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
			loss, err := train.LossByName(meta.Train.Loss)
			if err != nil {
				return fmt.Errorf("model file %s: %w", args[0], err)
			}
			l, acc := train.Evaluate(m, x, loss, 256)
			fmt.Fprintf(cmd.OutOrStdout(), "%s on %d %s images of %s: loss: %.4f - rounded_accuracy: %.4f\n",
				meta.Model, x.Shape[0], splitName, ds.Name, l, acc)
			return nil
		},
	}
	cmd.Flags().StringVar(&splitName, "split", "test", "which images: train, valid or test")
	addDataFlags(cmd.Flags(), &d)
	return cmd
}
