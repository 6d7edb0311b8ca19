package data

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// noData is a search setting in which no directory holds the data.
func noData(t *testing.T) (env, system, cache string) {
	return "", filepath.Join(t.TempDir(), "system"), filepath.Join(t.TempDir(), "cache")
}

func TestLoadFakeSet(t *testing.T) {
	s := newFakeSet(24, 5)
	for _, gz := range []bool{false, true} {
		dir := s.write(t, gz)
		ds, err := load(os.DirFS(dir), dir, s.spec(), s.spec().files, true)
		if err != nil {
			t.Fatalf("gz=%v: %v", gz, err)
		}
		// 24 training images: the last 24/12 = 2 validate.
		if got := [3]int{ds.Train.Shape[0], ds.Valid.Shape[0], ds.Test.Shape[0]}; got != [3]int{22, 2, 5} {
			t.Fatalf("split %v, want [22 2 5]", got)
		}
		if len(ds.TrainLabels) != 22 || len(ds.ValidLabels) != 2 || len(ds.TestLabels) != 5 {
			t.Fatalf("label counts %d %d %d", len(ds.TrainLabels), len(ds.ValidLabels), len(ds.TestLabels))
		}
		if ds.ValidLabels[0] != 22%10 || ds.TestLabels[4] != 4 {
			t.Errorf("labels %v %v", ds.ValidLabels, ds.TestLabels)
		}
		// Pixel i of the training file is i%256; image 22 starts at 22*784.
		if got, want := ds.Train.Data[1], float32(1)/255; got != want {
			t.Errorf("pixel 1 = %v, want %v", got, want)
		}
		if got, want := ds.Valid.Data[0], float32(22*784%256)/255; got != want {
			t.Errorf("first validation pixel = %v, want %v", got, want)
		}
		if got := ds.Train.Data[255]; got != 1 {
			t.Errorf("pixel 255 = %v, want 1", got)
		}
		if ds.Sample || ds.Source != dir || ds.Name != "Fashion-MNIST" || ds.Classes[9] != "Ankle boot" {
			t.Errorf("Sample=%v Source=%q Name=%q", ds.Sample, ds.Source, ds.Name)
		}
		if cap(ds.Train.Data) != len(ds.Train.Data) {
			t.Errorf("Train has spare capacity into Valid: an append would overwrite it")
		}
	}
}

func TestLoadErrors(t *testing.T) {
	good := newFakeSet(24, 5)
	for _, tc := range []struct {
		name   string
		edit   func(s *fakeSet) // applied after the spec's digests are taken
		file   int
		verify bool
		want   string
	}{
		{"wrong sha256", func(s *fakeSet) { s.raw[testImages][100] ^= 1 }, testImages, true,
			"t10k-images-idx3-ubyte: sha256 of the decompressed data is "},
		{"wrong shape", func(s *fakeSet) { s.raw[trainImages] = idxBytes([]int{24, 27, 28}, nil) }, trainImages, false,
			"train-images-idx3-ubyte: images are 27x28, expected 28x28"},
		{"label count", func(s *fakeSet) { s.raw[testLabels] = idxBytes([]int{4}, []byte{1, 2, 3, 4}) }, testLabels, false,
			"t10k-labels-idx1-ubyte: 4 labels for the 5 images of t10k-images-idx3-ubyte, expected one label per image"},
		{"label range", func(s *fakeSet) { s.raw[trainLabels][8+3] = 10 }, trainLabels, false,
			"train-labels-idx1-ubyte: label 10 at index 3, expected 0..9"},
		{"wrong magic", func(s *fakeSet) { s.raw[trainLabels] = idxBytes([]int{24, 1}, nil) }, trainLabels, false,
			"train-labels-idx1-ubyte: idx magic 0x00000802 (ubyte, rank 2), expected 0x00000801 (ubyte labels)"},
		{"truncated", func(s *fakeSet) { s.raw[trainImages] = s.raw[trainImages][:1000] }, trainImages, false,
			"train-images-idx3-ubyte: truncated idx file: dimensions [24 28 28] need 18832 bytes, the file has 1000"},
		{"too few", func(s *fakeSet) {
			s.raw[trainImages] = idxBytes([]int{11, 28, 28}, nil)
			s.raw[trainLabels] = idxBytes([]int{11}, make([]byte, 11))
		}, trainImages, false, "train-images-idx3-ubyte: 11 training images, expected at least 12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := *good
			s.raw = [4][]byte{}
			for i := range s.raw {
				s.raw[i] = append([]byte(nil), good.raw[i]...)
			}
			spec := s.spec()
			tc.edit(&s)
			dir := s.write(t, false)
			_, err := load(os.DirFS(dir), dir, spec, spec.files, tc.verify)
			if err == nil {
				t.Fatalf("load succeeded, want %q", tc.want)
			}
			if want := filepath.Join(dir, tc.want); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error\n  %q\nwant prefix\n  %q", err, want)
			}
		})
	}
}

func TestLoadCorruptGzip(t *testing.T) {
	s := newFakeSet(24, 5)
	dir := s.write(t, true)
	p := filepath.Join(dir, "train-images-idx3-ubyte.gz")
	b, _ := os.ReadFile(p)
	b[len(b)-8] ^= 0xff // the CRC-32 of the gzip trailer
	os.WriteFile(p, b, 0o644)
	_, err := load(os.DirFS(dir), dir, s.spec(), s.spec().files, true)
	if want := p + ": corrupt gzip data: checksum mismatch"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

func TestDigestErrorNamesOtherDataSet(t *testing.T) {
	mnist := catalog[1].files[trainImages]
	err := digestError(catalog[0].files[trainImages].sha256, mnist)
	if !strings.Contains(err.Error(), "(this is Fashion-MNIST's train-images-idx3-ubyte)") {
		t.Errorf("error %q does not say whose file it is", err)
	}
}

func TestLocate(t *testing.T) {
	fashion := &catalog[0]
	full := newFakeSet(12, 1).write(t, true)
	partial := t.TempDir()
	os.WriteFile(filepath.Join(partial, "train-images-idx3-ubyte.gz"), nil, 0o644)
	env, system, cache := noData(t)

	for _, tc := range []struct {
		name                string
		opts                Options
		env, system, cache  string
		want, wantErrPrefix string
	}{
		{"explicit dir", Options{Dir: full, AllowSample: true}, env, system, cache, full, ""},
		{"explicit dir beats env", Options{Dir: full}, partial, system, cache, full, ""},
		{"env", Options{}, full, system, cache, full, ""},
		{"system", Options{}, "", full, cache, full, ""},
		{"cache", Options{}, "", system, full, full, ""},
		{"system before cache", Options{}, "", full, partial, full, ""},
		{"sample", Options{AllowSample: true}, env, system, cache, SampleSource, ""},
		{"partial system dir skipped", Options{AllowSample: true}, env, partial, cache, SampleSource, ""},
		{"explicit dir missing files: no fallback", Options{Dir: partial, AllowSample: true}, env, full, full, "",
			"data directory " + partial + ": missing train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz] (expected the four Fashion-MNIST idx files)"},
		{"explicit dir absent", Options{Dir: filepath.Join(partial, "nope")}, env, full, full, "",
			"data directory " + filepath.Join(partial, "nope") + ": does not exist"},
		{"explicit dir is a file", Options{Dir: filepath.Join(partial, "train-images-idx3-ubyte.gz")}, env, full, full, "",
			"data directory " + filepath.Join(partial, "train-images-idx3-ubyte.gz") + ": is not a directory"},
		{"env missing files: no fallback", Options{AllowSample: true}, partial, full, full, "",
			"data directory $AUTOENC_DATA=" + partial + ": missing"},
		{"nothing", Options{}, env, system, cache, "",
			"data set not found: no Fashion-MNIST files in " + system + " or " + cache + "; install them with `apt-get install dataset-fashion-mnist` or download them to " + cache},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := locate(fashion, tc.opts, tc.env, tc.system, tc.cache)
			if tc.wantErrPrefix != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErrPrefix) {
					t.Fatalf("got %q, %v; want error starting %q", got, err, tc.wantErrPrefix)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}

	_, err := locate(fashion, Options{}, env, system, cache)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("error %v does not wrap ErrNotFound", err)
	}
	// MNIST has no embedded sample.
	if _, err := locate(&catalog[1], Options{AllowSample: true}, env, system, cache); !errors.Is(err, ErrNotFound) {
		t.Errorf("MNIST fell back to the Fashion-MNIST sample: %v", err)
	}
}

func TestLoadOptions(t *testing.T) {
	s := newFakeSet(24, 5)
	dir := s.write(t, false)
	// The fake files are not the canonical ones: verification rejects them,
	// NoVerify accepts them.
	if _, err := Load(Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "sha256 of the decompressed data is") {
		t.Errorf("Load of non-canonical files: %v, want a sha256 error", err)
	}
	ds, err := Load(Options{Dir: dir, NoVerify: true, Dataset: "mnist"})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Name != "MNIST" || ds.Classes[3] != "3" || ds.Train.Shape[0] != 22 {
		t.Errorf("got %s %v %v", ds.Name, ds.Classes, ds.Train.Shape)
	}
	if _, err := Load(Options{Dataset: "cifar"}); err == nil || err.Error() != `unknown data set "cifar", expected fashion or mnist` {
		t.Errorf("unknown data set: %v", err)
	}
	t.Setenv(EnvVar, dir)
	if got, err := Locate(Options{}); got != dir || err != nil {
		t.Errorf("Locate with $%s=%s: %q, %v", EnvVar, dir, got, err)
	}
}

func TestLoadSample(t *testing.T) {
	fsys, files := sampleFS()
	ds, err := load(fsys, SampleSource, &catalog[0], files, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := [3]int{ds.Train.Shape[0], ds.Valid.Shape[0], ds.Test.Shape[0]}; got != [3]int{5500, 500, 1000} {
		t.Errorf("sample split %v, want [5500 500 1000]", got)
	}
	if !ds.Sample || ds.Source != SampleSource {
		t.Errorf("Sample=%v Source=%q", ds.Sample, ds.Source)
	}
	// Fashion-MNIST's first training image is an ankle boot (label 9),
	// its first test image too.
	if ds.TrainLabels[0] != 9 || ds.TestLabels[0] != 9 {
		t.Errorf("first labels %d %d, want 9 9", ds.TrainLabels[0], ds.TestLabels[0])
	}
	if !strings.Contains(SampleLicense(), "Copyright (c) 2017 Zalando SE") {
		t.Error("sample license lacks the copyright line")
	}

	// The sample is the first records of the full set.
	full := catalog[0].systemDir
	if hasFiles(full, &catalog[0]) != nil {
		t.Skipf("Fashion-MNIST not installed in %s (apt-get install dataset-fashion-mnist): not comparing the sample with it", full)
	}
	f, err := os.Open(filepath.Join(full, "t10k-images-idx3-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ReadIDX(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Data[:1000*784], floatsToBytes(ds.Test.Data)) {
		t.Error("the sample's test images are not the first 1,000 of the full set")
	}
}

func TestLoadFull(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: not reading the full data set")
	}
	full := catalog[0].systemDir
	if hasFiles(full, &catalog[0]) != nil {
		t.Skipf("Fashion-MNIST not installed in %s (apt-get install dataset-fashion-mnist)", full)
	}
	ds, err := Load(Options{Dir: full})
	if err != nil {
		t.Fatal(err)
	}
	if got := [3]int{ds.Train.Shape[0], ds.Valid.Shape[0], ds.Test.Shape[0]}; got != [3]int{55000, 5000, 10000} {
		t.Errorf("split %v, want [55000 5000 10000]", got)
	}
	if ds.Sample || ds.Source != full {
		t.Errorf("Sample=%v Source=%q", ds.Sample, ds.Source)
	}
	var sum float64
	for _, v := range ds.Train.Data {
		sum += float64(v)
	}
	// The mean pixel of Fashion-MNIST's training images is 0.2860 (the
	// normalisation constant torchvision examples use).
	if mean := sum / float64(len(ds.Train.Data)); mean < 0.285 || mean > 0.287 {
		t.Errorf("mean training pixel %.4f, want about 0.286", mean)
	}
}

func floatsToBytes(x []float32) []byte {
	b := make([]byte, len(x))
	for i, v := range x {
		b[i] = byte(v*255 + 0.5)
	}
	return b
}
