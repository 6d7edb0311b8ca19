package checkpoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strings"
	"time"

	"github.com/autoenc/autoenc/internal/safetensors"
	"github.com/autoenc/autoenc/internal/strictjson"
	"github.com/autoenc/autoenc/modelfile"
	"github.com/autoenc/autoenc/nn"
	"github.com/autoenc/autoenc/tensor"
	"github.com/autoenc/autoenc/train"
)

// Format is the value of the "format" metadata key of a snapshot.
const Format = "autoenc.snapshot/1"

// Metadata keys of a snapshot; "architecture" and "autoenc" are those of a
// model file.
const (
	keyFormat       = "format"
	keyArchitecture = "architecture"
	keyMeta         = "autoenc"
	keyState        = "state"
	keyRun          = "run"
	keySHA256       = "sha256"
)

// Tensor names besides the model's parameters.
const (
	orderName   = "train/order"
	velocityPfx = "optimizer/velocity/"
	adamMPfx    = "optimizer/m/"
	adamVPfx    = "optimizer/v/"
)

// maxOrder is the largest shuffle order a snapshot can hold: its indices
// are stored as float32, exact up to 2^24.
const maxOrder = 1 << 24

// Snapshot is a loaded snapshot: a model and the state to continue training it.
type Snapshot struct {
	Path string
	Size int64
	Time time.Time
	// EpochEnd is set for the snapshot taken at the end of an epoch.
	EpochEnd bool
	// Meta holds the model name, data set, training config and the history
	// of completed epochs.
	Meta      modelfile.Meta
	Model     *nn.Model
	Optimizer train.Optimizer
	State     train.State
	// Run is what the caller stored with Writer.Run (the CLI: its options).
	Run string
}

// stateMeta is the "state" metadata.
type stateMeta struct {
	train.State
	EpochEnd bool      `json:"epoch_end"`
	Examples int       `json:"examples"`  // len(State.Order)
	RNG      string    `json:"rng"`       // hex of nn.Model.PCG's MarshalBinary
	AdamT    int       `json:"adam_t"`    // Adam's step count
	Time     time.Time `json:"time"`      // when the snapshot was taken
	Optim    string    `json:"optimizer"` // "sgd" or "adam"
}

// Trainer returns a trainer that continues the snapshot's run.
func (s *Snapshot) Trainer() *train.Trainer {
	return &train.Trainer{Model: s.Model, Config: s.Meta.Train, Optimizer: s.Optimizer, State: s.State}
}

// ValLoss is the validation loss of the last completed epoch, NaN if none.
func (s *Snapshot) ValLoss() float64 {
	if len(s.State.History) == 0 {
		return math.NaN()
	}
	return s.State.History[len(s.State.History)-1].ValLoss
}

// encode returns the bytes of a snapshot of t.
func encode(t *train.Trainer, meta modelfile.Meta, run string, epochEnd bool, now time.Time) ([]byte, error) {
	m, s := t.Model, t.State
	if len(s.Order) > maxOrder {
		return nil, fmt.Errorf("cannot snapshot a run over %d examples, at most %d supported", len(s.Order), maxOrder)
	}
	rng, err := m.PCG.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("cannot save the random state: %w", err)
	}
	sm := stateMeta{State: s, EpochEnd: epochEnd, Examples: len(s.Order), RNG: hex.EncodeToString(rng), Time: now.UTC()}
	tensors := make(map[string]*tensor.Tensor)
	params := m.Params()
	for _, p := range params {
		tensors[p.Name] = p.Value
	}
	switch o := t.Optimizer.(type) {
	case *train.SGD:
		sm.Optim = "sgd"
		if o.Velocity != nil {
			for i, p := range params {
				tensors[velocityPfx+p.Name] = tensor.FromData(o.Velocity[i], p.Value.Shape...)
			}
		}
	case *train.Adam:
		sm.Optim, sm.AdamT = "adam", o.T
		if o.M != nil {
			for i, p := range params {
				tensors[adamMPfx+p.Name] = tensor.FromData(o.M[i], p.Value.Shape...)
				tensors[adamVPfx+p.Name] = tensor.FromData(o.V[i], p.Value.Shape...)
			}
		}
	default:
		return nil, fmt.Errorf("cannot snapshot optimizer %T", t.Optimizer)
	}
	order := make([]float32, len(s.Order))
	for i, v := range s.Order {
		order[i] = float32(v)
	}
	tensors[orderName] = tensor.FromData(order, len(order))

	meta.Train = t.Config
	meta.History = s.History
	arch, err := json.Marshal(m.Spec)
	if err != nil {
		return nil, err
	}
	mj, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	sj, err := json.Marshal(sm)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the training state: %w", err)
	}
	md := map[string]string{keyFormat: Format, keyArchitecture: string(arch), keyMeta: string(mj), keyState: string(sj), keyRun: run}
	sum, err := digest(tensors, md)
	if err != nil {
		return nil, err
	}
	md[keySHA256] = sum
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, tensors, md); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// digest is the hex SHA-256 of the safetensors encoding of tensors and md
// (which must not hold keySHA256). safetensors.Write is deterministic, so
// a reader recomputes it from what it read.
func digest(tensors map[string]*tensor.Tensor, md map[string]string) (string, error) {
	h := sha256.New()
	if err := safetensors.Write(h, tensors, md); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Load reads and checks the snapshot at path: its SHA-256, its structure
// and every value it restores.
func Load(path string) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("snapshot %s does not exist", path)
		}
		return nil, fmt.Errorf("cannot read snapshot: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read snapshot: %w", err)
	}
	s, err := Read(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", path, err)
	}
	s.Path, s.Size = path, st.Size()
	return s, nil
}

// Read reads a snapshot of size bytes from r, as Load does. It treats r as
// untrusted: it allocates at most about size bytes plus the model the
// (size-checked) architecture describes.
func Read(r io.Reader, size int64) (*Snapshot, error) {
	f, err := safetensors.Read(r, size)
	if err != nil {
		return nil, err
	}
	md := f.Metadata
	switch got := md[keyFormat]; {
	case got == "":
		return nil, fmt.Errorf("not an autoenc snapshot (no %q metadata; expected %q)", keyFormat, Format)
	case got != Format:
		return nil, fmt.Errorf("format %q is not a snapshot, expected %q", got, Format)
	}
	want, ok := md[keySHA256]
	if !ok {
		return nil, fmt.Errorf("no %q metadata: cannot check the content", keySHA256)
	}
	rest := make(map[string]string, len(md))
	for k, v := range md {
		if k != keySHA256 {
			rest[k] = v
		}
	}
	got, err := digest(f.Tensors, rest)
	if err != nil {
		return nil, err
	}
	if got != want {
		return nil, fmt.Errorf("content has SHA-256 %s, the snapshot records %s: the file is corrupt", got, want)
	}
	return decode(f)
}

// decode builds a Snapshot from a checksum-verified file.
func decode(f *safetensors.File) (*Snapshot, error) {
	md := f.Metadata
	var sm stateMeta
	if err := strictjson.Unmarshal(md[keyState], &sm); err != nil {
		return nil, fmt.Errorf("%q metadata is invalid: %w", keyState, err)
	}
	// Everything but the parameters goes aside; modelfile checks the rest.
	params := &safetensors.File{Tensors: make(map[string]*tensor.Tensor), Metadata: map[string]string{
		keyFormat: modelfile.Format, keyArchitecture: md[keyArchitecture], keyMeta: md[keyMeta]}}
	extra := make(map[string]*tensor.Tensor)
	for name, t := range f.Tensors {
		if strings.Contains(name, "/") {
			extra[name] = t
		} else {
			params.Tensors[name] = t
		}
	}
	m, meta, err := modelfile.FromSafetensors(params)
	if err != nil {
		return nil, err
	}
	cfg := meta.Train
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("training config: %w", err)
	}
	rng, err := hex.DecodeString(sm.RNG)
	if err != nil {
		return nil, fmt.Errorf("random state %q is not hex", sm.RNG)
	}
	if err := m.PCG.UnmarshalBinary(rng); err != nil {
		return nil, fmt.Errorf("random state: %w", err)
	}
	s := &Snapshot{Time: sm.Time, EpochEnd: sm.EpochEnd, Meta: meta, Model: m, Run: md[keyRun]}
	s.State = sm.State
	s.State.History = meta.History
	if err := checkState(&s.State, sm, cfg); err != nil {
		return nil, err
	}
	order, ok := extra[orderName]
	if !ok {
		return nil, fmt.Errorf("tensor %s is missing", orderName)
	}
	delete(extra, orderName)
	if s.State.Order, err = permutation(order, sm.Examples); err != nil {
		return nil, err
	}
	if s.Optimizer, err = optimizer(cfg, sm, m.Params(), extra); err != nil {
		return nil, err
	}
	if len(extra) > 0 {
		names := make([]string, 0, len(extra))
		for n := range extra {
			names = append(names, n)
		}
		return nil, fmt.Errorf("tensors %s are not part of a snapshot", strings.Join(names, ", "))
	}
	return s, nil
}

// checkState checks the training state's numbers against each other.
func checkState(s *train.State, sm stateMeta, cfg train.Config) error {
	switch {
	case s.Epoch < 1 || s.Epoch > cfg.Epochs+1:
		return fmt.Errorf("state is at epoch %d, expected 1..%d", s.Epoch, cfg.Epochs+1)
	case len(s.History) != s.Epoch-1:
		return fmt.Errorf("state is at epoch %d but has a history of %d epochs", s.Epoch, len(s.History))
	case s.Step < 0 || s.GlobalStep < s.Step || s.Seen < 0 || s.Seen > sm.Examples:
		return fmt.Errorf("state has step %d, global step %d, %d examples seen of %d: inconsistent", s.Step, s.GlobalStep, s.Seen, sm.Examples)
	case sm.Examples < 1 || sm.Examples > maxOrder:
		return fmt.Errorf("state is for %d examples, expected 1..%d", sm.Examples, maxOrder)
	case s.Step > (sm.Examples+cfg.BatchSize-1)/cfg.BatchSize:
		return fmt.Errorf("state is at step %d of an epoch of %d examples in batches of %d", s.Step, sm.Examples, cfg.BatchSize)
	case !finite(s.SumLoss) || !finite(s.SumAccuracy) || !finite(s.Seconds) || s.Seconds < 0:
		return fmt.Errorf("state holds a non-finite or negative sum")
	case sm.AdamT < 0:
		return fmt.Errorf("Adam step count %d is negative", sm.AdamT)
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// permutation decodes train/order: a permutation of 0..n-1.
func permutation(t *tensor.Tensor, n int) ([]int, error) {
	if len(t.Shape) != 1 || t.Shape[0] != n {
		return nil, fmt.Errorf("tensor %s has shape %v, expected [%d]", orderName, t.Shape, n)
	}
	order := make([]int, n)
	seen := make([]bool, n)
	for i, v := range t.Data {
		k := int(v)
		if float32(k) != v || k < 0 || k >= n || seen[k] {
			return nil, fmt.Errorf("tensor %s is not a permutation of 0..%d: %v at index %d", orderName, n-1, v, i)
		}
		seen[k] = true
		order[i] = k
	}
	return order, nil
}

// optimizer rebuilds the optimizer of cfg with the state in sm and the
// tensors it takes out of extra.
func optimizer(cfg train.Config, sm stateMeta, params []*nn.Param, extra map[string]*tensor.Tensor) (train.Optimizer, error) {
	opt, err := train.NewOptimizer(cfg)
	if err != nil {
		return nil, err
	}
	switch o := opt.(type) {
	case *train.SGD:
		if sm.Optim != "sgd" {
			return nil, fmt.Errorf("state is for optimizer %q, the config names sgd", sm.Optim)
		}
		o.Velocity, err = slots(velocityPfx, params, extra, false)
	case *train.Adam:
		if sm.Optim != "adam" {
			return nil, fmt.Errorf("state is for optimizer %q, the config names adam", sm.Optim)
		}
		o.T = sm.AdamT
		if o.M, err = slots(adamMPfx, params, extra, o.T > 0); err == nil {
			o.V, err = slots(adamVPfx, params, extra, o.M != nil)
		}
		if err == nil && (o.M == nil) != (o.V == nil) {
			err = fmt.Errorf("optimizer state has Adam's m without v")
		}
	}
	return opt, err
}

// slots takes the per-parameter tensors prefix+name out of extra: all of
// them (required, or present for the first parameter) or none.
func slots(prefix string, params []*nn.Param, extra map[string]*tensor.Tensor, required bool) ([][]float32, error) {
	if len(params) == 0 {
		return nil, nil
	}
	if _, ok := extra[prefix+params[0].Name]; !ok && !required {
		return nil, nil
	}
	out := make([][]float32, len(params))
	for i, p := range params {
		t, ok := extra[prefix+p.Name]
		if !ok {
			return nil, fmt.Errorf("tensor %s%s is missing", prefix, p.Name)
		}
		if !tensor.SameShape(t.Shape, p.Value.Shape) {
			return nil, fmt.Errorf("tensor %s%s has shape %v, expected %v", prefix, p.Name, t.Shape, p.Value.Shape)
		}
		for j, v := range t.Data {
			if !finite(float64(v)) {
				return nil, fmt.Errorf("tensor %s%s holds %v at index %d, expected finite values", prefix, p.Name, v, j)
			}
		}
		delete(extra, prefix+p.Name)
		out[i] = t.Data
	}
	return out, nil
}
