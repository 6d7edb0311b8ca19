package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/autoenc/autoenc/data"
	"github.com/autoenc/autoenc/tensor"
)

// dataOptions selects the data set, shared by every verb that reads one.
type dataOptions struct {
	Dir     string
	Dataset string
}

func addDataFlags(f *pflag.FlagSet, o *dataOptions) {
	f.StringVar(&o.Dir, "data", "", "directory with the four idx files, or \"sample\" for the embedded sample (default: $AUTOENC_DATA, /usr/share/datasets/..., the user cache, then the sample)")
	f.StringVar(&o.Dataset, "dataset", "fashion", "data set: fashion (Fashion-MNIST) or mnist (digits)")
}

// loadData finds and reads the data set, telling stderr in one line when it
// falls back to the embedded sample.
func loadData(o dataOptions, stderr io.Writer) (*data.Dataset, error) {
	ds, err := data.Load(data.Options{Dir: o.Dir, Dataset: o.Dataset, AllowSample: true})
	if err != nil {
		return nil, err
	}
	if ds.Sample && o.Dir == data.SampleDir {
		fmt.Fprintf(stderr, "autoenc: using the embedded sample of %s (%d images).\n", ds.Name, ds.Train.Shape[0]+ds.Valid.Shape[0])
	} else if ds.Sample {
		fmt.Fprintf(stderr, "autoenc: the full %s data set was not found; using the embedded sample (%d images). Get the full set with 'apt-get install dataset-fashion-mnist' or 'autoenc data download'.\n",
			ds.Name, ds.Train.Shape[0]+ds.Valid.Shape[0])
	}
	return ds, nil
}

// split returns the images and labels of one part of the data set.
func split(ds *data.Dataset, name string) (*tensor.Tensor, []uint8, error) {
	switch name {
	case "train":
		return ds.Train, ds.TrainLabels, nil
	case "valid", "validation":
		return ds.Valid, ds.ValidLabels, nil
	case "test":
		return ds.Test, ds.TestLabels, nil
	}
	return nil, nil, checkSplit(name)
}

// checkSplit reports whether name is a split, before any data is read.
func checkSplit(name string) error {
	switch name {
	case "train", "valid", "validation", "test":
		return nil
	}
	return usageError{fmt.Errorf("unknown split %q, expected train, valid or test", name)}
}
