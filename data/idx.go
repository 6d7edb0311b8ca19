package data

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// IDX is a decoded idx file of unsigned bytes (the format of MNIST and
// Fashion-MNIST): a row-major array with dimensions Dims, for example
// [60000 28 28] for images (idx3) or [60000] for labels (idx1).
type IDX struct {
	Dims []int
	Data []byte
}

const (
	// maxIDXBytes bounds the decompressed size of an idx file (2 GiB, 40
	// times the largest file of the data sets here) so that a forged header
	// cannot make the reader allocate without limit.
	maxIDXBytes = 1 << 31

	// maxDeflateRatio is deflate's largest possible expansion (1032:1):
	// a gzip file of n bytes decompresses to at most about 1032*n bytes.
	maxDeflateRatio = 1032

	idxUbyte = 0x08 // idx data type code for unsigned bytes
)

// ReadIDX reads an idx1 (labels) or idx3 (images) file of unsigned bytes
// from r, gzip-compressed (recognised by its magic bytes 1f 8b) or raw.
//
// It rejects a wrong magic number, data type or rank, truncated data,
// trailing bytes and headers that claim more than 2 GiB, the last before
// allocating anything for the data. Errors do not name the file; callers
// that know its name prefix it.
func ReadIDX(r io.Reader) (*IDX, error) {
	m, _, err := decodeIDX(r, 0, -1)
	return m, err
}

// decodeIDX reads an idx file from r, which holds size bytes (gzipped or
// raw) if size >= 0 and an unknown number otherwise. rank is the expected
// rank, 1 or 3, or 0 for either. It returns the file and the SHA-256 of its
// decompressed bytes.
func decodeIDX(r io.Reader, rank int, size int64) (*IDX, [sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	br := bufio.NewReaderSize(r, 1<<16)
	src, gz, err := maybeGunzip(br)
	if err != nil {
		return nil, sum, err
	}
	limit := int64(maxIDXBytes)
	if size >= 0 && gz {
		limit = min(limit, size*maxDeflateRatio+1024)
	}

	h := sha256.New()
	tr := io.TeeReader(src, h)
	var magic [4]byte
	if n, err := io.ReadFull(tr, magic[:]); err != nil {
		if n == 0 && err == io.EOF {
			return nil, sum, fmt.Errorf("empty idx file, expected the magic number %s", expectedMagic(rank))
		}
		return nil, sum, streamError(err, fmt.Sprintf("truncated idx header: %d bytes, expected at least 4", n))
	}
	m := binary.BigEndian.Uint32(magic[:])
	r0 := int(magic[3])
	if magic[0] != 0 || magic[1] != 0 || magic[2] != idxUbyte || (rank == 0 && r0 != 1 && r0 != 3) || (rank != 0 && r0 != rank) {
		return nil, sum, fmt.Errorf("idx magic 0x%08x%s, expected %s", m, describeMagic(magic), expectedMagic(rank))
	}

	dimBytes := make([]byte, 4*r0)
	if n, err := io.ReadFull(tr, dimBytes); err != nil {
		return nil, sum, streamError(err, fmt.Sprintf("truncated idx header: %d bytes, expected %d for rank %d", 4+n, 4+4*r0, r0))
	}
	dims := make([]int, r0)
	count := uint64(1)
	for i := range dims {
		d := binary.BigEndian.Uint32(dimBytes[4*i:])
		dims[i] = int(d)
		count *= uint64(d) // d < 2^32 and count <= 2^31 before: no overflow
		if count > maxIDXBytes {
			return nil, sum, fmt.Errorf("idx header claims dimensions %v, more than the %d-byte limit", readDims(dimBytes), maxIDXBytes)
		}
	}
	header := int64(4 + 4*r0)
	total := header + int64(count)
	switch {
	case size >= 0 && !gz && total > size:
		return nil, sum, fmt.Errorf("truncated idx file: dimensions %v need %d bytes, the file has %d", dims, total, size)
	case size >= 0 && !gz && total < size:
		return nil, sum, fmt.Errorf("idx file has %d bytes of trailing data after the %d bytes that dimensions %v need", size-total, total, dims)
	case total > maxIDXBytes:
		return nil, sum, fmt.Errorf("idx header claims dimensions %v (%d bytes), more than the %d-byte limit", dims, total, maxIDXBytes)
	case total > limit:
		return nil, sum, fmt.Errorf("idx header claims dimensions %v (%d bytes), impossible for a %d-byte gzip file", dims, total, size)
	}

	buf := bytes.NewBuffer(make([]byte, 0, min(int(count), 64<<20)))
	if n, err := io.CopyN(buf, tr, int64(count)); err != nil {
		return nil, sum, streamError(err, fmt.Sprintf("truncated idx data: dimensions %v need %d bytes after the header, got %d", dims, count, n))
	}
	// Read to the end: trailing data is an error, and gzip checks its CRC
	// and length only at the end of the stream.
	var one [1]byte
	if n, err := io.ReadFull(tr, one[:]); n > 0 {
		extra, _ := io.Copy(io.Discard, io.LimitReader(tr, 1<<30))
		return nil, sum, fmt.Errorf("idx file has %d bytes of trailing data after the %d bytes that dimensions %v need", 1+extra, total, dims)
	} else if err != io.EOF {
		return nil, sum, streamError(err, "")
	}
	h.Sum(sum[:0])
	return &IDX{Dims: dims, Data: buf.Bytes()}, sum, nil
}

// maybeGunzip returns a reader of br's decompressed bytes if br starts with
// the gzip magic bytes 1f 8b, and br itself otherwise.
func maybeGunzip(br *bufio.Reader) (io.Reader, bool, error) {
	head, _ := br.Peek(2)
	if len(head) < 2 || head[0] != 0x1f || head[1] != 0x8b {
		return br, false, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, true, streamError(err, "")
	}
	zr.Multistream(false)
	return &gzipMembers{br, zr}, true, nil
}

// gzipMembers reads a gzip stream of one or more members, like
// gzip.Reader in multistream mode, but reports bytes after the last member
// that do not start another one as trailing data rather than as a bad header.
type gzipMembers struct {
	br *bufio.Reader
	zr *gzip.Reader
}

func (g *gzipMembers) Read(p []byte) (int, error) {
	for {
		n, err := g.zr.Read(p)
		if err != io.EOF {
			return n, err
		}
		if n > 0 {
			return n, nil
		}
		head, _ := g.br.Peek(2)
		switch {
		case len(head) == 0:
			return 0, io.EOF
		case len(head) < 2 || head[0] != 0x1f || head[1] != 0x8b:
			extra, _ := io.Copy(io.Discard, io.LimitReader(g.br, 1<<30))
			return 0, fmt.Errorf("%d bytes of trailing data after the gzip stream", extra)
		}
		if err := g.zr.Reset(g.br); err != nil {
			return 0, err
		}
		g.zr.Multistream(false)
	}
}

// streamError turns a read error into one sentence. A premature end of the
// stream becomes truncated (a message saying what was missing); gzip and
// deflate errors become "corrupt gzip data".
func streamError(err error, truncated string) error {
	var ce flate.CorruptInputError
	switch {
	case errors.Is(err, gzip.ErrChecksum):
		return errors.New("corrupt gzip data: checksum mismatch")
	case errors.Is(err, gzip.ErrHeader):
		return errors.New("corrupt gzip data: invalid gzip header")
	case errors.As(err, &ce):
		return fmt.Errorf("corrupt gzip data: %v", err)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		if truncated == "" {
			return errors.New("truncated gzip data")
		}
		return errors.New(truncated)
	}
	return err
}

func readDims(b []byte) []uint32 {
	d := make([]uint32, len(b)/4)
	for i := range d {
		d[i] = binary.BigEndian.Uint32(b[4*i:])
	}
	return d
}

// expectedMagic names the magic numbers accepted for a rank (0: any).
func expectedMagic(rank int) string {
	switch rank {
	case 1:
		return "0x00000801 (ubyte labels)"
	case 3:
		return "0x00000803 (ubyte images)"
	}
	return "0x00000801 (ubyte labels) or 0x00000803 (ubyte images)"
}

// describeMagic explains a rejected magic number: its data type and rank,
// or that it is not an idx file at all.
func describeMagic(magic [4]byte) string {
	if magic[0] != 0 || magic[1] != 0 {
		return " (not an idx file)"
	}
	names := map[byte]string{0x08: "ubyte", 0x09: "sbyte", 0x0b: "int16", 0x0c: "int32", 0x0d: "float32", 0x0e: "float64"}
	dt, ok := names[magic[2]]
	if !ok {
		dt = fmt.Sprintf("unknown data type 0x%02x", magic[2])
	}
	return fmt.Sprintf(" (%s, rank %d)", dt, magic[3])
}
