package data

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// idxBytes encodes an idx file of unsigned bytes with the given dims; the
// data is i%256 for element i unless given.
func idxBytes(dims []int, data []byte) []byte {
	b := []byte{0, 0, idxUbyte, byte(len(dims))}
	n := 1
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
		n *= d
	}
	if data == nil {
		data = make([]byte, n)
		for i := range data {
			data[i] = byte(i)
		}
	}
	return append(b, data...)
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return z.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// fakeSet is a small data set in Fashion-MNIST's file layout: nTrain and
// nTest 28x28 images with labels i%10.
type fakeSet struct {
	raw [4][]byte // decompressed files, in catalog order
}

func newFakeSet(nTrain, nTest int) *fakeSet {
	var s fakeSet
	for i, n := range []int{nTrain, nTest} {
		s.raw[2*i] = idxBytes([]int{n, Height, Width}, nil)
		labels := make([]byte, n)
		for j := range labels {
			labels[j] = byte(j % 10)
		}
		s.raw[2*i+1] = idxBytes([]int{n}, labels)
	}
	return &s
}

// spec returns Fashion-MNIST's spec with the fake files' sizes and digests.
func (s *fakeSet) spec() *datasetSpec {
	spec := catalog[0]
	for i := range spec.files {
		spec.files[i].size = int64(len(s.raw[i]))
		spec.files[i].sha256 = sha(s.raw[i])
	}
	return &spec
}

// write writes the files into a new temporary directory, gzipped if gz.
func (s *fakeSet) write(t *testing.T, gz bool) string {
	t.Helper()
	dir := t.TempDir()
	for i, f := range catalog[0].files {
		b, name := s.raw[i], f.name
		if gz {
			b, name = gzipBytes(t, b), name+".gz"
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
