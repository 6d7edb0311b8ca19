package data

import (
	"embed"
	"io/fs"
)

//go:generate go run sample/gen.go

// SampleSource is the Source of a Dataset read from the embedded sample,
// and what Locate returns when it falls back to it.
const SampleSource = "embedded sample"

// sampleFiles holds the first 6,000 training and the first 1,000 test
// images and labels of Fashion-MNIST (MIT License, see
// sample/LICENSE-fashion-mnist), made by sample/gen.go.
//
//go:embed sample/*.gz sample/LICENSE-fashion-mnist
var sampleFiles embed.FS

// sampleFS returns the embedded sample as a file system holding the four
// files at its root, and their specs.
func sampleFS() (fs.FS, [4]fileSpec) {
	sub, err := fs.Sub(sampleFiles, "sample")
	if err != nil {
		panic(err) // "sample" is a valid path: cannot happen
	}
	files := catalog[0].files
	for i := range files {
		d := sampleDigests[files[i].name]
		files[i].size, files[i].sha256 = d.size, d.sha256
	}
	return sub, files
}

// SampleLicense is the notice under which the embedded sample of
// Fashion-MNIST is distributed (MIT License, Copyright (c) 2017 Zalando SE).
func SampleLicense() string {
	b, err := sampleFiles.ReadFile("sample/LICENSE-fashion-mnist")
	if err != nil {
		panic(err) // embedded above: cannot happen
	}
	return string(b)
}
