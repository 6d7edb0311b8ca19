package data

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/autoenc/autoenc/tensor"
)

// Image height and width of every image of MNIST and Fashion-MNIST.
const (
	Height = 28
	Width  = 28
)

// FashionClasses names Fashion-MNIST's ten labels, in label order.
var FashionClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// DigitClasses names MNIST's ten labels.
var DigitClasses = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// ErrNotFound is wrapped by the error of Load and Locate when no directory
// in the search order holds the data set and the sample is not allowed.
var ErrNotFound = errors.New("data set not found")

// SampleDir, given as the data directory, selects the embedded sample.
const SampleDir = "sample"

// EnvVar names the environment variable that points at a directory with
// the four idx files.
const EnvVar = "AUTOENC_DATA"

// Options says which data set to load and where to look for it.
type Options struct {
	// Dir is a directory holding the four idx files (each either raw or
	// gzipped, e.g. train-images-idx3-ubyte or train-images-idx3-ubyte.gz).
	// When set, it is the only place searched. SampleDir ("sample")
	// selects the embedded sample.
	Dir string
	// Dataset is "fashion" (Fashion-MNIST, the default when empty) or "mnist".
	Dataset string
	// AllowSample lets Load fall back to the embedded sample of
	// Fashion-MNIST when no directory holds the data.
	AllowSample bool
	// NoVerify skips the SHA-256 check of the files, for idx files of the
	// same shape that are not the canonical ones. The sample is always checked.
	NoVerify bool
}

// Dataset is a loaded data set: images as [n, 28, 28] float32 pixels/255
// and their labels, split into training, validation and test sets.
//
// The validation set is the last n/12 training images: 5,000 of
// Fashion-MNIST's 60,000 (as in the tutorial) and 500 of the sample's 6,000.
// Train and Valid share one backing array.
type Dataset struct {
	Name                                 string   // "Fashion-MNIST" or "MNIST"
	Classes                              []string // label names, indexed by label
	Train, Valid, Test                   *tensor.Tensor
	TrainLabels, ValidLabels, TestLabels []uint8
	// Source is the directory the files were read from, or SampleSource.
	Source string
	// Sample is true when the data is the embedded sample.
	Sample bool
}

// Load finds a data set (see Locate), reads it, checks it and splits it.
//
// Each file must be a ubyte idx file of the right rank, images must be
// 28x28, labels must match the images in number and lie in 0..9, and unless
// opts.NoVerify is set the decompressed bytes must have the canonical
// SHA-256. A directory that holds the files but fails a check is an error:
// Load never falls back silently past a damaged copy.
func Load(opts Options) (*Dataset, error) {
	spec, err := lookup(opts.Dataset)
	if err != nil {
		return nil, err
	}
	src, err := Locate(opts)
	if err != nil {
		return nil, err
	}
	if src == SampleSource {
		fsys, files := sampleFS()
		return load(fsys, SampleSource, spec, files, true)
	}
	return load(os.DirFS(src), src, spec, spec.files, !opts.NoVerify)
}

// Locate returns the directory Load would read, or SampleSource. It looks,
// in order, in
//
//  1. opts.Dir,
//  2. the directory named by $AUTOENC_DATA,
//  3. the system directory: /usr/share/datasets/fashion-mnist (Debian's
//     dataset-fashion-mnist) or /usr/share/datasets/mnist,
//  4. the user cache directory, e.g. ~/.cache/autoenc/fashion (see CacheDir),
//  5. the embedded sample, if opts.AllowSample and the data set is Fashion-MNIST.
//
// A directory counts when it holds all four files, raw or gzipped. When
// opts.Dir or $AUTOENC_DATA is set it is the only place searched, and
// missing files there are an error. Locate checks only that the files
// exist; Load reads and verifies them.
func Locate(opts Options) (string, error) {
	spec, err := lookup(opts.Dataset)
	if err != nil {
		return "", err
	}
	cache, _ := CacheDir(spec.name) // no cache dir ($HOME unset): skip it
	return locate(spec, opts, os.Getenv(EnvVar), spec.systemDir, cache)
}

// CacheDir is the per-user directory that Locate searches and that Download
// should fill by default: os.UserCacheDir()/autoenc/<dataset>.
func CacheDir(dataset string) (string, error) {
	spec, err := lookup(dataset)
	if err != nil {
		return "", err
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache directory for %s: %w", spec.title, err)
	}
	return filepath.Join(base, "autoenc", spec.name), nil
}

// locate implements Locate with the environment passed in.
func locate(spec *datasetSpec, opts Options, env, system, cache string) (string, error) {
	explicit, what := opts.Dir, "data directory "
	if explicit == "" && env != "" {
		explicit, what = env, "data directory $"+EnvVar+"="
	}
	if explicit == SampleDir {
		if spec != &catalog[0] {
			return "", fmt.Errorf("%s%s: the embedded sample is Fashion-MNIST only, not %s", what, explicit, spec.title)
		}
		return SampleSource, nil
	}
	if explicit != "" {
		if err := hasFiles(explicit, spec); err != nil {
			return "", fmt.Errorf("%s%s: %w", what, explicit, err)
		}
		return explicit, nil
	}
	var tried []string
	for _, dir := range []string{system, cache} {
		if dir == "" {
			continue
		}
		if hasFiles(dir, spec) == nil {
			return dir, nil
		}
		tried = append(tried, dir)
	}
	if opts.AllowSample && spec == &catalog[0] {
		return SampleSource, nil
	}
	how := "download them"
	if cache != "" {
		how += " to " + cache
	}
	if spec.install != "" {
		how = "install them with `" + spec.install + "` or " + how
	}
	return "", fmt.Errorf("%w: no %s files in %s; %s, or set $%s to a directory that holds them",
		ErrNotFound, spec.title, strings.Join(tried, " or "), how, EnvVar)
}

// hasFiles reports, as an error naming what is missing, whether dir holds
// the four files of spec.
func hasFiles(dir string, spec *datasetSpec) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("does not exist")
	case err != nil:
		return unwrapPath(err)
	case !fi.IsDir():
		return errors.New("is not a directory")
	}
	var missing []string
	for _, f := range spec.files {
		if _, err := findFile(os.DirFS(dir), f.name); err != nil {
			missing = append(missing, f.name+"[.gz]")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s (expected the four %s idx files)", strings.Join(missing, ", "), spec.title)
	}
	return nil
}

// findFile returns the name under which fsys holds the idx file name: name
// itself or name.gz, preferring the raw file (faster to read).
func findFile(fsys fs.FS, name string) (string, error) {
	for _, n := range []string{name, name + ".gz"} {
		if fi, err := fs.Stat(fsys, n); err == nil && fi.Mode().IsRegular() {
			return n, nil
		}
	}
	return "", fs.ErrNotExist
}

// load reads the four files of a data set from fsys, whose files are shown
// in messages under dir.
func load(fsys fs.FS, dir string, spec *datasetSpec, files [4]fileSpec, verify bool) (*Dataset, error) {
	var m [4]*IDX
	var names [4]string
	for i, f := range files {
		var err error
		if m[i], names[i], err = readFile(fsys, dir, f, verify); err != nil {
			return nil, err
		}
	}
	for _, i := range []int{trainImages, testImages} {
		if d := m[i].Dims; d[1] != Height || d[2] != Width {
			return nil, fmt.Errorf("%s: images are %dx%d, expected %dx%d", names[i], d[1], d[2], Height, Width)
		}
		if n, nl := m[i].Dims[0], m[i+1].Dims[0]; n != nl {
			return nil, fmt.Errorf("%s: %d labels for the %d images of %s, expected one label per image", names[i+1], nl, n, path.Base(names[i]))
		}
		for j, l := range m[i+1].Data {
			if l > 9 {
				return nil, fmt.Errorf("%s: label %d at index %d, expected 0..9", names[i+1], l, j)
			}
		}
	}
	n := m[trainImages].Dims[0]
	if n < 12 {
		return nil, fmt.Errorf("%s: %d training images, expected at least 12 to split off a validation set (the last n/12)", names[trainImages], n)
	}
	nv := n / 12
	nt := n - nv
	all := pixels(m[trainImages].Data)
	const per = Height * Width
	ds := &Dataset{
		Name:        spec.title,
		Classes:     slices.Clone(FashionClasses),
		Train:       tensor.FromData(all[:nt*per:nt*per], nt, Height, Width),
		Valid:       tensor.FromData(all[nt*per:], nv, Height, Width),
		Test:        tensor.FromData(pixels(m[testImages].Data), m[testImages].Dims[0], Height, Width),
		TrainLabels: m[trainLabels].Data[:nt:nt],
		ValidLabels: m[trainLabels].Data[nt:],
		TestLabels:  m[testLabels].Data,
		Source:      dir,
		Sample:      dir == SampleSource,
	}
	if spec.name == "mnist" {
		ds.Classes = slices.Clone(DigitClasses)
	}
	return ds, nil
}

// readFile reads and checks one idx file; it returns the file and the name
// it was found under, for messages.
func readFile(fsys fs.FS, dir string, f fileSpec, verify bool) (*IDX, string, error) {
	name, err := findFile(fsys, f.name)
	shown := filepath.Join(dir, f.name)
	if dir == SampleSource {
		shown = dir + " " + f.name
	}
	if err != nil {
		return nil, "", fmt.Errorf("%s[.gz]: no such file", shown)
	}
	shown += strings.TrimPrefix(name, f.name)
	file, err := fsys.Open(name)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", shown, unwrapPath(err))
	}
	defer file.Close()
	size := int64(-1)
	if fi, err := file.Stat(); err == nil {
		size = fi.Size()
	}
	m, sum, err := decodeIDX(file, f.rank, size)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", shown, err)
	}
	if verify && f.sha256 != "" {
		if got := hex.EncodeToString(sum[:]); got != f.sha256 {
			return nil, "", fmt.Errorf("%s: %w", shown, digestError(got, f))
		}
	}
	return m, shown, nil
}

// digestError says that a file's decompressed bytes have the wrong SHA-256,
// and whose file it is when it is another known one.
func digestError(got string, f fileSpec) error {
	msg := fmt.Sprintf("sha256 of the decompressed data is %s, expected %s", got, f.sha256)
	if other := whoseFile(got); other != "" {
		msg += " (this is " + other + ")"
	} else {
		msg += " (the file is damaged or not the canonical one)"
	}
	return errors.New(msg)
}

// scale maps a pixel byte to float32(b)/255, computed in float32 as
// NumPy's X.astype(np.float32) / 255 does.
var scale = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

func pixels(b []byte) []float32 {
	out := make([]float32, len(b))
	for i, v := range b {
		out[i] = scale[v]
	}
	return out
}

// unwrapPath drops the *fs.PathError around err when the message already
// names the file.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
