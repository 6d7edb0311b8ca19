package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/autoenc/autoenc/models"
	"github.com/autoenc/autoenc/nn"
)

func newModelsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "models",
		Short: "List the built-in models and their training settings",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tPARAMS\tOPTIMIZER\tLR\tEPOCHS\tDESCRIPTION")
			for _, b := range models.All() {
				m, err := nn.NewModel(b.Spec, 0)
				if err != nil {
					return err
				}
				c := b.Train
				fmt.Fprintf(w, "%s\t%d\t%s\t%g\t%d\t%s\n", b.Name, nn.CountParams(m.Params()), c.Optimizer, c.LearningRate, c.Epochs, b.Description)
			}
			return w.Flush()
		},
	}
}
