package data

import (
	"bytes"
	"compress/gzip"
	"testing"
)

// FuzzReadIDX feeds arbitrary bytes, raw and gzipped, to the idx reader: it
// must return a file or an error, never panic, and never allocate more than
// its size limit allows (headers claiming huge dimensions are refused
// before any allocation for the data).
func FuzzReadIDX(f *testing.F) {
	img := append([]byte{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2}, make([]byte, 8)...)
	lbl := []byte{0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9}
	huge := []byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 28}
	for _, b := range [][]byte{img, lbl, huge, {}, {0x1f, 0x8b}, img[:10], append(lbl, 1)} {
		f.Add(b)
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(b)
		zw.Close()
		f.Add(z.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadIDX(bytes.NewReader(b))
		if err == nil {
			n := 1
			for _, d := range m.Dims {
				n *= d
			}
			if n != len(m.Data) {
				t.Fatalf("dims %v but %d bytes of data", m.Dims, len(m.Data))
			}
		}
		// With the size known, as Load reads files.
		m2, _, err2 := decodeIDX(bytes.NewReader(b), 0, int64(len(b)))
		if (err == nil) != (err2 == nil) || (err == nil && !bytes.Equal(m.Data, m2.Data)) {
			t.Fatalf("ReadIDX: %v; with size: %v", err, err2)
		}
	})
}
