package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoenc/autoenc/tensor"
)

// build assembles a file from a raw JSON header and raw data bytes, as a
// hostile writer could.
func build(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

func read(b []byte) (*File, error) { return Read(bytes.NewReader(b), int64(len(b))) }

func sample() (map[string]*tensor.Tensor, map[string]string) {
	return map[string]*tensor.Tensor{
			"b":      tensor.FromData([]float32{1, -2.5, float32(math.Inf(1))}, 3),
			"a":      tensor.FromData([]float32{0, 1, 2, 3, 4, 5}, 2, 3),
			"scalar": tensor.FromData([]float32{7}),
			"empty":  tensor.New(0, 4),
			"nan":    tensor.FromData([]float32{float32(math.NaN())}, 1, 1),
		}, map[string]string{
			"spec": `{"type":"Dense"}`, "training": "false",
		}
}

func TestRoundTrip(t *testing.T) {
	tensors, meta := sample()
	var buf bytes.Buffer
	if err := Write(&buf, tensors, meta); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	n := binary.LittleEndian.Uint64(b)
	if (8+n)%8 != 0 {
		t.Errorf("data starts at %d, want a multiple of 8", 8+n)
	}
	f, err := read(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tensors) != len(tensors) {
		t.Fatalf("read %d tensors, wrote %d", len(f.Tensors), len(tensors))
	}
	for name, want := range tensors {
		got := f.Tensors[name]
		if got == nil {
			t.Fatalf("tensor %q missing", name)
		}
		if !tensor.SameShape(got.Shape, want.Shape) {
			t.Errorf("%s: shape %v, want %v", name, got.Shape, want.Shape)
		}
		for i := range want.Data {
			if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) {
				t.Errorf("%s[%d] = %v, want %v", name, i, got.Data[i], want.Data[i])
			}
		}
	}
	if len(f.Metadata) != 2 || f.Metadata["spec"] != meta["spec"] || f.Metadata["training"] != "false" {
		t.Errorf("metadata %v, want %v", f.Metadata, meta)
	}
	if got := strings.Join(f.Names(), ","); got != "a,b,empty,nan,scalar" {
		t.Errorf("Names() = %s", got)
	}

	// Deterministic: writing again, or writing what was read, gives the same bytes.
	var again bytes.Buffer
	if err := Write(&again, f.Tensors, f.Metadata); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), b) {
		t.Errorf("rewriting changed the bytes:\n%q\n%q", b, again.Bytes())
	}
}

func TestWriteFileReadFile(t *testing.T) {
	tensors, _ := sample()
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := WriteFile(path, tensors, nil); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata != nil || len(f.Tensors) != len(tensors) {
		t.Errorf("read %d tensors and metadata %v", len(f.Tensors), f.Metadata)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("reading a missing file succeeded")
	}
}

// TestKnownBytes pins the exact layout against a hand-written file.
func TestKnownBytes(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, map[string]*tensor.Tensor{"x": tensor.FromData([]float32{1, 2}, 2)}, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	hdr := `{"__metadata__":{"k":"v"},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	hdr += strings.Repeat(" ", (8-len(hdr)%8)%8)
	want := build(hdr, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}) // 1.0f, 2.0f little-endian
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("got  %q\nwant %q", buf.Bytes(), want)
	}
}

func TestWriteRejects(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tensors map[string]*tensor.Tensor
		want    string
	}{
		{"reserved", map[string]*tensor.Tensor{"__metadata__": tensor.New(1)}, "reserved"},
		{"nil", map[string]*tensor.Tensor{"x": nil}, `"x" is nil`},
		{"size", map[string]*tensor.Tensor{"x": {Shape: []int{2, 2}, Data: make([]float32, 3)}}, "has 3 values, shape [2 2] needs 4"},
		{"negative", map[string]*tensor.Tensor{"x": {Shape: []int{-1}, Data: nil}}, "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(&bytes.Buffer{}, tc.tensors, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func f32s(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func TestReadRejects(t *testing.T) {
	x8 := f32s(1, 2)
	entry := func(name, dtype, shape, offsets string) string {
		return `"` + name + `":{"dtype":"` + dtype + `","shape":` + shape + `,"data_offsets":` + offsets + `}`
	}
	ok := entry("x", "F32", "[2]", "[0,8]")
	for _, tc := range []struct {
		name string
		file []byte
		size int64 // 0 means len(file)
		want string
	}{
		{"empty", nil, 0, "has 0 bytes, too few"},
		{"short", []byte{1, 2, 3}, 0, "has 3 bytes"},
		{"header longer than file", binary.LittleEndian.AppendUint64(nil, 1<<40), 1234,
			"safetensors header claims 1099511627776 bytes, file has 1234"},
		{"header over 100 MB", binary.LittleEndian.AppendUint64(nil, MaxHeaderSize+1), 1 << 30, "more than the 104857600 allowed"},
		{"truncated header", build(`{"x":1}`, nil)[:10], 15, "ends inside the header"},
		{"truncated data", build(`{`+ok+`}`, x8[:4]), int64(8 + len(`{`+ok+`}`) + 8), `ends inside the data of tensor "x"`},
		{"not json", build(`{"x":`, nil), 0, "not valid JSON"},
		{"garbage", build(`hello`, nil), 0, "not a JSON object"},
		{"array", build(`[1,2]`, nil), 0, "not a JSON object"},
		{"empty header", build(``, nil), 0, "not a JSON object"},
		{"second value", build(`{}{}`, nil), 0, "more than one JSON value"},
		{"trailing junk", build(`{} x`, nil), 0, "more than one JSON value"},
		{"duplicate", build(`{`+ok+`,`+ok+`}`, append(x8, x8...)), 0, `names "x" twice`},
		{"entry not object", build(`{"x":3}`, nil), 0, `tensor "x": invalid header entry`},
		{"unknown field", build(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}}`, x8), 0, `unknown field "extra"`},
		{"unknown dtype", build(`{`+entry("x", "F33", "[2]", "[0,8]")+`}`, x8), 0, `unknown dtype "F33"`},
		{"missing dtype", build(`{"x":{"shape":[2],"data_offsets":[0,8]}}`, x8), 0, `unknown dtype ""`},
		{"other dtype", build(`{`+entry("x", "F16", "[4]", "[0,8]")+`}`, x8), 0, "dtype F16, only F32"},
		{"missing shape", build(`{"x":{"dtype":"F32","data_offsets":[0,8]}}`, x8), 0, "has no shape"},
		{"missing offsets", build(`{"x":{"dtype":"F32","shape":[2]}}`, x8), 0, "data_offsets must be [begin, end]"},
		{"three offsets", build(`{`+entry("x", "F32", "[2]", "[0,4,8]")+`}`, x8), 0, "data_offsets must be [begin, end]"},
		{"negative offset", build(`{`+entry("x", "F32", "[2]", "[-8,0]")+`}`, x8), 0, "out of range"},
		{"reversed offsets", build(`{`+entry("x", "F32", "[0]", "[8,0]")+`}`, x8), 0, "out of range"},
		{"offset past end", build(`{`+entry("x", "F32", "[4]", "[0,16]")+`}`, x8), 0, "data_offsets [0, 16] out of range, the file has 8 data bytes"},
		{"huge offset", build(`{`+entry("x", "F32", "[2]", "[0,1e30]")+`}`, x8), 0, "invalid header entry"},
		{"span mismatch", build(`{`+entry("x", "F32", "[3]", "[0,8]")+`}`, x8), 0, "span 8 bytes, shape [3] needs 12"},
		{"negative dim", build(`{`+entry("x", "F32", "[-2]", "[0,8]")+`}`, x8), 0, "negative dimension"},
		{"fractional dim", build(`{`+entry("x", "F32", "[2.5]", "[0,8]")+`}`, x8), 0, "invalid header entry"},
		{"overflowing shape", build(`{`+entry("x", "F32", "[4294967296,4294967296]", "[0,8]")+`}`, x8), 0, "too many elements"},
		{"overflow hidden by zero", build(`{`+entry("x", "F32", "[0,4294967296,4294967296]", "[0,0]")+`}`, nil), 0, "too many elements"},
		{"overlap", build(`{`+entry("x", "F32", "[2]", "[0,8]")+`,`+entry("y", "F32", "[1]", "[4,8]")+`}`, x8), 0, `"y": data_offsets [4, 8] overlap`},
		{"hole", build(`{`+entry("x", "F32", "[1]", "[4,8]")+`}`, x8), 0, "leave bytes 0 to 4 unused"},
		{"trailing bytes", build(`{`+ok+`}`, append(x8, 0, 0, 0, 0)), 0, "4 trailing bytes"},
		{"invalid utf-8", build("{\"\xff\":{}}", nil), 0, "not valid UTF-8"},
		{"metadata not strings", build(`{"__metadata__":{"a":1}}`, nil), 0, "__metadata__ must map strings to strings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size := tc.size
			if size == 0 {
				size = int64(len(tc.file))
			}
			f, err := Read(bytes.NewReader(tc.file), size)
			if err == nil {
				t.Fatalf("accepted, read %v", f.Names())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestReadAccepts covers valid files the writer does not produce.
func TestReadAccepts(t *testing.T) {
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"no tensors", build(`{}`, nil)},
		{"padded header", build(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}   `, f32s(3))},
		{"unsorted offsets", build(`{"y":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32s(3, 4))},
		{"null metadata", build(`{"__metadata__":null}`, nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := read(tc.file); err != nil {
				t.Error(err)
			}
		})
	}
	f, _ := read(build(`{"y":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32s(3, 4)))
	if f.Tensors["y"].Data[0] != 3 || f.Tensors["x"].Data[0] != 4 {
		t.Errorf("unsorted offsets: x=%v y=%v, want 4 and 3", f.Tensors["x"].Data, f.Tensors["y"].Data)
	}
}

// FuzzRead checks that Read never panics and that whatever it accepts
// survives a write and a second read unchanged.
func FuzzRead(f *testing.F) {
	tensors, meta := sample()
	var buf bytes.Buffer
	if err := Write(&buf, tensors, meta); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(build(`{}`, nil))
	f.Add(build(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, f32s(1, 2)))
	f.Add(build(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32s(1, 2)))
	f.Add(build(`{"x":{"dtype":"F32","shape":[0,4294967296],"data_offsets":[0,0]}}`, nil))
	f.Add(build(`{"__metadata__":{"a":"b"}}`, nil))
	f.Add(binary.LittleEndian.AppendUint64(nil, 1<<40))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := read(b)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, file.Tensors, file.Metadata); err != nil {
			t.Fatalf("accepted file cannot be written back: %v", err)
		}
		again, err := read(out.Bytes())
		if err != nil {
			t.Fatalf("rewritten file does not read: %v", err)
		}
		if len(again.Tensors) != len(file.Tensors) {
			t.Fatalf("rewrite has %d tensors, want %d", len(again.Tensors), len(file.Tensors))
		}
		for name, want := range file.Tensors {
			got := again.Tensors[name]
			if got == nil || !tensor.SameShape(got.Shape, want.Shape) || len(got.Data) != len(want.Data) {
				t.Fatalf("tensor %q changed in the rewrite", name)
			}
			for i := range want.Data {
				if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) {
					t.Fatalf("tensor %q element %d changed in the rewrite", name, i)
				}
			}
		}
	})
}
