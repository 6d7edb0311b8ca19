package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/autoenc/autoenc/data"
)

func newDataCmd() *cobra.Command {
	var d dataOptions
	cmd := &cobra.Command{
		Use:   "data",
		Short: "Say where the data set is found; 'data download' fetches it",
		Long: `Say where autoenc finds the data set. It looks in --data DIR, then
$AUTOENC_DATA, then /usr/share/datasets/fashion-mnist (Debian's
dataset-fashion-mnist), then the user cache directory, and falls back to the
embedded sample.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ds, err := data.Load(data.Options{Dir: d.Dir, Dataset: d.Dataset, AllowSample: true})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", ds.Name, ds.Source)
			fmt.Fprintf(cmd.OutOrStdout(), "train %d, valid %d, test %d images of %dx%d\n",
				ds.Train.Shape[0], ds.Valid.Shape[0], ds.Test.Shape[0], ds.Train.Shape[1], ds.Train.Shape[2])
			if ds.Sample {
				fmt.Fprintln(cmd.OutOrStdout(), "This is the embedded sample. Get the full set with 'apt-get install dataset-fashion-mnist' or 'autoenc data download'.")
			}
			return nil
		},
	}
	addDataFlags(cmd.Flags(), &d)
	cmd.AddCommand(newDownloadCmd())
	return cmd
}

func newDownloadCmd() *cobra.Command {
	var dir, dataset, mirror string
	cmd := &cobra.Command{
		Use:   "download",
		Short: "Download the data set into the user cache (or --dir), verified by SHA-256",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				var err error
				if dir, err = data.CacheDir(dataset); err != nil {
					return err
				}
			}
			if err := data.Download(cmd.Context(), dir, mirror, dataset, cmd.ErrOrStderr()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Data set %s is in %s\n", dataset, dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory to download into (default: the user cache directory)")
	cmd.Flags().StringVar(&dataset, "dataset", "fashion", "data set: fashion or mnist")
	cmd.Flags().StringVar(&mirror, "mirror", "", "base URL to download from (default: the canonical mirror)")
	return cmd
}
