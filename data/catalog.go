package data

import (
	"fmt"
	"strings"
)

// fileSpec describes one of the four idx files of a data set.
type fileSpec struct {
	name   string // without ".gz"
	rank   int    // 3 for images, 1 for labels
	size   int64  // bytes, decompressed
	sha256 string // of the decompressed bytes; "" skips the check
}

// datasetSpec describes a data set: its files, where a system package puts
// them and where to download them from.
type datasetSpec struct {
	name      string // as in Options.Dataset: "fashion", "mnist"
	title     string // for messages: "Fashion-MNIST"
	systemDir string // where a system package installs the files
	mirror    string // base URL of the canonical .gz files
	install   string // how to install the system package, "" if none
	// files are the training images, training labels, test images and
	// test labels, in that order.
	files [4]fileSpec
}

const (
	trainImages = iota
	trainLabels
	testImages
	testLabels
)

// The digests are of the decompressed files (the .gz bytes differ between
// mirrors). Fashion-MNIST's were checked against the files of the Debian
// package dataset-fashion-mnist. MNIST's could not be checked against a
// local copy (Debian ships no MNIST package); they are the digests of the
// decompressed files that many independent projects pin. The digests often
// quoted for MNIST (440fcabf..., 3552534a..., 8d422c7b..., f7ae60f9...) are
// of the original .gz archives, not of their contents.
var catalog = []datasetSpec{
	{
		name:      "fashion",
		title:     "Fashion-MNIST",
		systemDir: "/usr/share/datasets/fashion-mnist",
		mirror:    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com",
		install:   "apt-get install dataset-fashion-mnist",
		files: [4]fileSpec{
			{"train-images-idx3-ubyte", 3, 47040016, "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"},
			{"train-labels-idx1-ubyte", 1, 60008, "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"},
			{"t10k-images-idx3-ubyte", 3, 7840016, "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"},
			{"t10k-labels-idx1-ubyte", 1, 10008, "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
		},
	},
	{
		name:      "mnist",
		title:     "MNIST",
		systemDir: "/usr/share/datasets/mnist",
		mirror:    "https://ossci-datasets.s3.amazonaws.com/mnist",
		files: [4]fileSpec{
			{"train-images-idx3-ubyte", 3, 47040016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
			{"train-labels-idx1-ubyte", 1, 60008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
			{"t10k-images-idx3-ubyte", 3, 7840016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
			{"t10k-labels-idx1-ubyte", 1, 10008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
		},
	},
}

// lookup returns the spec of a data set by name; "" means Fashion-MNIST.
func lookup(name string) (*datasetSpec, error) {
	switch strings.ToLower(name) {
	case "", "fashion", "fashion-mnist", "fashion_mnist":
		return &catalog[0], nil
	case "mnist":
		return &catalog[1], nil
	}
	return nil, fmt.Errorf("unknown data set %q, expected fashion or mnist", name)
}

// whoseFile names the data set and file that a digest belongs to, so that a
// mismatch can say "this is Fashion-MNIST's file" rather than only "wrong".
func whoseFile(sha string) string {
	for _, d := range catalog {
		for _, f := range d.files {
			if f.sha256 == sha {
				return d.title + "'s " + f.name
			}
		}
	}
	return ""
}
