package data

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadIDX(t *testing.T) {
	images := idxBytes([]int{3, 4, 5}, nil)
	labels := idxBytes([]int{7}, []byte{0, 1, 2, 3, 4, 5, 9})
	for _, tc := range []struct {
		name string
		in   []byte
		dims []int
	}{
		{"idx3 raw", images, []int{3, 4, 5}},
		{"idx3 gzip", gzipBytes(t, images), []int{3, 4, 5}},
		{"idx1 raw", labels, []int{7}},
		{"idx1 gzip", gzipBytes(t, labels), []int{7}},
		{"idx1 two gzip members", append(gzipBytes(t, labels[:5]), gzipBytes(t, labels[5:])...), []int{7}},
		{"empty idx3", idxBytes([]int{0, 28, 28}, nil), []int{0, 28, 28}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One byte at a time, to exercise short reads.
			m, err := ReadIDX(iotest.OneByteReader(bytes.NewReader(tc.in)))
			if err != nil {
				t.Fatalf("ReadIDX: %v", err)
			}
			if !equalInts(m.Dims, tc.dims) {
				t.Errorf("dims %v, want %v", m.Dims, tc.dims)
			}
			raw := tc.in
			if raw[0] == 0x1f {
				raw = images
				if len(tc.dims) == 1 {
					raw = labels
				}
			}
			if !bytes.Equal(m.Data, raw[4+4*len(tc.dims):]) {
				t.Errorf("data differs")
			}
		})
	}
}

func TestDecodeIDXErrors(t *testing.T) {
	images := idxBytes([]int{3, 28, 28}, nil)
	gz := gzipBytes(t, images)
	corrupt := append([]byte(nil), gz...)
	for i := len(gz) / 2; i < len(gz)/2+8; i++ {
		corrupt[i] ^= 0x55
	}
	badCRC := append([]byte(nil), gz...)
	badCRC[len(badCRC)-8] ^= 0xff
	huge := idxBytes([]int{1000000, 1000, 1000}, []byte{}) // 10^12 elements
	withGarbage := append(append([]byte(nil), images...), "garbage"...)

	for _, tc := range []struct {
		name  string
		in    []byte
		rank  int
		sized bool // pass the size, as for files
		want  string
	}{
		{"empty", nil, 3, true, "empty idx file, expected the magic number 0x00000803 (ubyte images)"},
		{"short header", []byte{0, 0, 8}, 3, true, "truncated idx header: 3 bytes, expected at least 4"},
		{"short dims", images[:10], 3, true, "truncated idx header: 10 bytes, expected 16 for rank 3"},
		{"wrong magic", idxBytes([]int{3, 784}, nil), 3, true, "idx magic 0x00000802 (ubyte, rank 2), expected 0x00000803 (ubyte images)"},
		{"labels for images", idxBytes([]int{3}, nil), 3, true, "idx magic 0x00000801 (ubyte, rank 1), expected 0x00000803 (ubyte images)"},
		{"images for labels", images, 1, true, "idx magic 0x00000803 (ubyte, rank 3), expected 0x00000801 (ubyte labels)"},
		{"float dtype", append([]byte{0, 0, 0x0d, 3}, images[4:]...), 3, true, "idx magic 0x00000d03 (float32, rank 3), expected 0x00000803 (ubyte images)"},
		{"unknown dtype", append([]byte{0, 0, 0x42, 3}, images[4:]...), 0, true, "idx magic 0x00004203 (unknown data type 0x42, rank 3), expected 0x00000801 (ubyte labels) or 0x00000803 (ubyte images)"},
		{"not idx", []byte("PK\x03\x04 a zip file"), 0, true, "idx magic 0x504b0304 (not an idx file), expected 0x00000801 (ubyte labels) or 0x00000803 (ubyte images)"},
		{"truncated raw sized", images[:len(images)-1], 3, true, "truncated idx file: dimensions [3 28 28] need 2368 bytes, the file has 2367"},
		{"truncated raw stream", images[:len(images)-1], 3, false, "truncated idx data: dimensions [3 28 28] need 2352 bytes after the header, got 2351"},
		{"trailing raw sized", withGarbage, 3, true, "idx file has 7 bytes of trailing data after the 2368 bytes that dimensions [3 28 28] need"},
		{"trailing raw stream", withGarbage, 3, false, "idx file has 7 bytes of trailing data after the 2368 bytes that dimensions [3 28 28] need"},
		{"trailing inside gzip", gzipBytes(t, withGarbage), 3, true, "idx file has 7 bytes of trailing data after the 2368 bytes that dimensions [3 28 28] need"},
		{"garbage after gzip", append(append([]byte(nil), gz...), "garbage"...), 3, true, "7 bytes of trailing data after the gzip stream"},
		{"two gzip members then garbage", append(append(gzipBytes(t, images[:100]), gzipBytes(t, images[100:])...), 0), 3, true, "1 bytes of trailing data after the gzip stream"},
		{"truncated gzip", gz[:len(gz)-20], 3, true, "truncated idx data"},
		{"truncated gzip trailer", gz[:len(gz)-4], 3, true, "truncated gzip data"},
		{"corrupt gzip", corrupt, 3, true, "corrupt gzip data"},
		{"gzip checksum", badCRC, 3, true, "corrupt gzip data: checksum mismatch"},
		{"bad gzip header", []byte{0x1f, 0x8b, 0x99, 0, 0, 0, 0, 0, 0, 0}, 3, true, "corrupt gzip data: invalid gzip header"},
		{"10^12 elements raw", huge, 3, true, "idx header claims dimensions [1000000 1000 1000], more than the 2147483648-byte limit"},
		{"10^12 elements stream", huge, 3, false, "idx header claims dimensions [1000000 1000 1000], more than the 2147483648-byte limit"},
		{"10^12 elements gzip", gzipBytes(t, huge), 3, true, "idx header claims dimensions [1000000 1000 1000], more than the 2147483648-byte limit"},
		{"2 GiB raw", idxBytes([]int{2000, 1000, 1000}, []byte{}), 3, true, "truncated idx file: dimensions [2000 1000 1000] need 2000000016 bytes, the file has 16"},
		{"2 GiB gzip", gzipBytes(t, idxBytes([]int{2000, 1000, 1000}, []byte{})), 3, true, "idx header claims dimensions [2000 1000 1000] (2000000016 bytes), impossible for a "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size := int64(-1)
			if tc.sized {
				size = int64(len(tc.in))
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			m, _, err := decodeIDX(bytes.NewReader(tc.in), tc.rank, size)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatalf("decodeIDX returned %v, want error %q", m.Dims, tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error\n  %q\nwant prefix\n  %q", err, tc.want)
			}
			// A forged header must not make the reader allocate what it claims.
			// Streams of unknown size may start a 64 MiB buffer.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 70<<20 {
				t.Errorf("allocated %d bytes before rejecting the input", alloc)
			}
		})
	}
}

func TestReadIDXRejectsHugeWithoutAllocating(t *testing.T) {
	// An idx1 header claiming 2^32-1 labels, more than the limit.
	huge := []byte{0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff}
	allocs := testing.AllocsPerRun(10, func() {
		if _, err := ReadIDX(bytes.NewReader(huge)); err == nil {
			t.Fatal("ReadIDX accepted 2^32-1 labels")
		}
	})
	if allocs > 30 {
		t.Errorf("%v allocations to reject a forged header", allocs)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
