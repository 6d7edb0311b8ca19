package main

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/autoenc/autoenc/modelfile"
	"github.com/autoenc/autoenc/models"
	"github.com/autoenc/autoenc/nn"
)

func newSummaryCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "summary MODEL|FILE.safetensors",
		Short:   "Print a Keras-style layer table (layer, output shape, parameters)",
		Example: "  autoenc summary conv\n  autoenc summary out/conv.safetensors",
		Args:    exactArgs(1, "a built-in model name or a model file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := modelOrFile(args[0])
			if err != nil {
				return err
			}
			nn.Summary(cmd.OutOrStdout(), m.Net)
			return nil
		},
	}
}

// modelOrFile builds the built-in model called arg, or loads arg as a model
// file when it names one.
func modelOrFile(arg string) (*nn.Model, error) {
	if _, err := os.Stat(arg); err == nil || strings.HasSuffix(arg, ".safetensors") {
		m, _, err := modelfile.Load(arg)
		return m, err
	}
	b, err := models.Get(arg)
	if err != nil {
		return nil, err
	}
	return nn.NewModel(b.Spec, b.Train.Seed)
}
