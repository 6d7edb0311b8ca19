package safetensors

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/autoenc/autoenc/internal/atomicfile"
	"github.com/autoenc/autoenc/tensor"
)

// MaxHeaderSize bounds the JSON header Read accepts, as the reference
// implementation does (100 MB), so a hostile length cannot make it allocate.
const MaxHeaderSize = 100 << 20

// metadataKey is the header entry that holds the string-to-string metadata.
const metadataKey = "__metadata__"

// File is the content of a safetensors file.
type File struct {
	Tensors  map[string]*tensor.Tensor
	Metadata map[string]string // nil when the file has none
}

// Names returns the tensor names, sorted.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.Tensors))
	for n := range f.Tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// knownDtypes are the dtypes the format defines, with their sizes; Read
// accepts only F32 but names the others correctly in its errors.
var knownDtypes = map[string]bool{
	"BOOL": true, "U8": true, "I8": true, "F8_E5M2": true, "F8_E4M3": true,
	"I16": true, "U16": true, "F16": true, "BF16": true, "I32": true, "U32": true,
	"F32": true, "F64": true, "I64": true, "U64": true,
}

// header is one tensor's entry in the JSON header.
type header struct {
	Dtype       string   `json:"dtype"`
	Shape       *[]int64 `json:"shape"`
	DataOffsets *[]int64 `json:"data_offsets"`
}

// entry is a validated header entry.
type entry struct {
	name       string
	shape      []int
	begin, end int64
}

// Write writes tensors and metadata (which may be nil) in safetensors
// format. Tensors are laid out in sorted name order and the header is padded
// with spaces to a multiple of 8 bytes, so the same input always gives the
// same bytes.
func Write(w io.Writer, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	names := make([]string, 0, len(tensors))
	for n, t := range tensors {
		if n == metadataKey {
			return fmt.Errorf("safetensors: %q is reserved for metadata and cannot name a tensor", n)
		}
		if t == nil {
			return fmt.Errorf("safetensors: tensor %q is nil", n)
		}
		for _, d := range t.Shape {
			if d < 0 {
				return fmt.Errorf("safetensors: tensor %q has negative dimension in shape %v", n, t.Shape)
			}
		}
		if tensor.Numel(t.Shape) != len(t.Data) {
			return fmt.Errorf("safetensors: tensor %q has %d values, shape %v needs %d", n, len(t.Data), t.Shape, tensor.Numel(t.Shape))
		}
		names = append(names, n)
	}
	sort.Strings(names)

	var hdr bytes.Buffer
	hdr.WriteByte('{')
	if len(metadata) > 0 {
		m, err := json.Marshal(metadata) // encoding/json sorts map keys
		if err != nil {
			return fmt.Errorf("safetensors: encoding metadata: %w", err)
		}
		hdr.WriteString(`"` + metadataKey + `":`)
		hdr.Write(m)
	}
	var offset int64
	for i, n := range names {
		if i > 0 || len(metadata) > 0 {
			hdr.WriteByte(',')
		}
		t := tensors[n]
		size := 4 * int64(len(t.Data))
		shape := make([]int64, len(t.Shape)) // [] rather than null for a scalar
		for j, d := range t.Shape {
			shape[j] = int64(d)
		}
		k, _ := json.Marshal(n)
		v, _ := json.Marshal(header{Dtype: "F32", Shape: &shape, DataOffsets: &[]int64{offset, offset + size}})
		hdr.Write(k)
		hdr.WriteByte(':')
		hdr.Write(v)
		offset += size
	}
	hdr.WriteByte('}')
	for hdr.Len()%8 != 0 { // the data then starts 8-aligned: 8 + N ≡ 0 (mod 8)
		hdr.WriteByte(' ')
	}

	bw := bufio.NewWriter(w)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(hdr.Len()))
	bw.Write(n[:])
	bw.Write(hdr.Bytes())
	var b [4]byte
	for _, name := range names {
		for _, v := range tensors[name].Data {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			bw.Write(b[:])
		}
	}
	return bw.Flush() // bufio keeps the first write error and returns it here
}

// WriteFile writes tensors and metadata to path crash-safely.
func WriteFile(path string, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	return atomicfile.Write(path, func(w io.Writer) error { return Write(w, tensors, metadata) })
}

// ReadFile reads the safetensors file at path.
func ReadFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	file, err := Read(bufio.NewReader(f), st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return file, nil
}

// Read reads a safetensors file of size bytes from r. It validates the
// whole header before reading any data and allocates at most about size
// bytes, whatever the header claims.
func Read(r io.Reader, size int64) (*File, error) {
	if size < 8 {
		return nil, fmt.Errorf("safetensors file has %d bytes, too few for the 8-byte header length", size)
	}
	var nb [8]byte
	if _, err := io.ReadFull(r, nb[:]); err != nil {
		return nil, truncated("header length", 8, err)
	}
	n := binary.LittleEndian.Uint64(nb[:])
	if n > uint64(size-8) {
		return nil, fmt.Errorf("safetensors header claims %d bytes, file has %d", n, size)
	}
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("safetensors header claims %d bytes, more than the %d allowed", n, MaxHeaderSize)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, truncated("header", int64(n), err)
	}
	if !utf8.Valid(hdr) {
		return nil, fmt.Errorf("safetensors header is not valid UTF-8")
	}
	dataLen := size - 8 - int64(n)
	entries, meta, err := parseHeader(hdr, dataLen)
	if err != nil {
		return nil, err
	}

	// The tensors must tile the data exactly: sorted by offset, each begins
	// where the previous ended, and the last ends at the end of the file.
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end))
	})
	var at int64
	for _, e := range entries {
		switch {
		case e.begin < at:
			return nil, fmt.Errorf("safetensors tensor %q: data_offsets [%d, %d] overlap the previous tensor, which ends at %d", e.name, e.begin, e.end, at)
		case e.begin > at:
			return nil, fmt.Errorf("safetensors tensor %q: data_offsets [%d, %d] leave bytes %d to %d unused", e.name, e.begin, e.end, at, e.begin)
		}
		at = e.end
	}
	if at != dataLen {
		return nil, fmt.Errorf("safetensors tensors end at data offset %d, but the file has %d data bytes: %d trailing bytes", at, dataLen, dataLen-at)
	}

	f := &File{Tensors: make(map[string]*tensor.Tensor, len(entries)), Metadata: meta}
	var buf [4096]byte
	for _, e := range entries {
		data := make([]float32, (e.end-e.begin)/4) // within the file's size, checked above
		for i := 0; i < len(data); {
			chunk := buf[:min(len(buf), 4*(len(data)-i))]
			if _, err := io.ReadFull(r, chunk); err != nil {
				return nil, truncated(fmt.Sprintf("data of tensor %q", e.name), e.end-e.begin, err)
			}
			for j := 0; j < len(chunk); j += 4 {
				data[i] = math.Float32frombits(binary.LittleEndian.Uint32(chunk[j:]))
				i++
			}
		}
		f.Tensors[e.name] = tensor.FromData(data, e.shape...)
	}
	return f, nil
}

// truncated explains a short read of what (want bytes).
func truncated(what string, want int64, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("safetensors file ends inside the %s (%d bytes expected): truncated file?", what, want)
	}
	return fmt.Errorf("safetensors: reading the %s: %w", what, err)
}

// parseHeader decodes and checks the JSON header. dataLen, the number of
// bytes after the header, bounds every offset and element count.
func parseHeader(hdr []byte, dataLen int64) ([]entry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(hdr))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, fmt.Errorf("safetensors header is not a JSON object")
	}
	var (
		entries []entry
		meta    map[string]string
		seen    = map[string]bool{}
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("safetensors header is not valid JSON: %v", err)
		}
		name := tok.(string) // object keys are always strings
		if seen[name] {
			return nil, nil, fmt.Errorf("safetensors header names %q twice", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("safetensors header is not valid JSON: %v", err)
		}
		if name == metadataKey {
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, nil, fmt.Errorf("safetensors __metadata__ must map strings to strings: %v", err)
			}
			continue
		}
		e, err := parseEntry(name, raw, dataLen)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("safetensors header is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, fmt.Errorf("safetensors header has more than one JSON value (only trailing spaces may follow the object)")
	}
	return entries, meta, nil
}

func parseEntry(name string, raw json.RawMessage, dataLen int64) (entry, error) {
	var h header
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return entry{}, fmt.Errorf("safetensors tensor %q: invalid header entry: %v", name, err)
	}
	switch {
	case h.Dtype == "F32":
	case knownDtypes[h.Dtype]:
		return entry{}, fmt.Errorf("safetensors tensor %q has dtype %s, only F32 is supported", name, h.Dtype)
	default:
		return entry{}, fmt.Errorf("safetensors tensor %q has unknown dtype %q", name, h.Dtype)
	}
	if h.Shape == nil {
		return entry{}, fmt.Errorf("safetensors tensor %q has no shape", name)
	}
	if h.DataOffsets == nil || len(*h.DataOffsets) != 2 {
		return entry{}, fmt.Errorf("safetensors tensor %q: data_offsets must be [begin, end]", name)
	}
	e := entry{name: name, begin: (*h.DataOffsets)[0], end: (*h.DataOffsets)[1]}
	if e.begin < 0 || e.end < e.begin || e.end > dataLen {
		return entry{}, fmt.Errorf("safetensors tensor %q: data_offsets [%d, %d] out of range, the file has %d data bytes", name, e.begin, e.end, dataLen)
	}
	// Count elements. Each dimension must be non-negative and the product of
	// the non-zero ones must not overflow, even when a 0 makes the tensor
	// empty; a count beyond what the data holds fails the span check below.
	elems, nonzero := int64(1), int64(1)
	for _, d := range *h.Shape {
		if d < 0 {
			return entry{}, fmt.Errorf("safetensors tensor %q has negative dimension in shape %v", name, *h.Shape)
		}
		if d == 0 {
			elems = 0
			continue
		}
		if nonzero > math.MaxInt64/4/d {
			return entry{}, fmt.Errorf("safetensors tensor %q: shape %v has too many elements", name, *h.Shape)
		}
		nonzero *= d
	}
	elems *= nonzero
	if e.end-e.begin != 4*elems {
		return entry{}, fmt.Errorf("safetensors tensor %q: data_offsets [%d, %d] span %d bytes, shape %v needs %d", name, e.begin, e.end, e.end-e.begin, *h.Shape, 4*elems)
	}
	e.shape = make([]int, len(*h.Shape))
	for i, d := range *h.Shape {
		e.shape[i] = int(d)
	}
	return e, nil
}
