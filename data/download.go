package data

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/autoenc/autoenc/internal/atomicfile"
)

// Download fetches the four gzipped idx files of dataset ("fashion" or
// "mnist") from baseURL into dir, creating dir if needed. An empty baseURL
// means the canonical mirror:
//
//	fashion: http://fashion-mnist.s3-website.eu-central-1.amazonaws.com
//	mnist:   https://ossci-datasets.s3.amazonaws.com/mnist
//
// Each file is fetched as <baseURL>/<name>.gz, checked (its decompressed
// bytes must have the canonical size and SHA-256) and written atomically:
// a failed or cancelled download leaves no partial file. Files already in
// dir that verify are kept. progress, if not nil, gets one line per file.
// CacheDir names the directory Load searches by default.
func Download(ctx context.Context, dir, baseURL, dataset string, progress io.Writer) error {
	spec, err := lookup(dataset)
	if err != nil {
		return err
	}
	if baseURL == "" {
		baseURL = spec.mirror
	}
	return download(ctx, http.DefaultClient, dir, baseURL, spec.files[:], progress)
}

// download implements Download for any list of files.
func download(ctx context.Context, client *http.Client, dir, baseURL string, files []fileSpec, progress io.Writer) error {
	if progress == nil {
		progress = io.Discard
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create data directory %s: %w", dir, unwrapPath(err))
	}
	for _, f := range files {
		var stale string // a damaged copy to remove once a good one is in place
		if name, err := findFile(os.DirFS(dir), f.name); err == nil {
			p := filepath.Join(dir, name)
			if err := verifyFile(p, f); err == nil {
				fmt.Fprintf(progress, "%s: already present, sha256 ok\n", p)
				continue
			} else {
				fmt.Fprintf(progress, "%s: replacing it: %v\n", p, err)
				stale = p
			}
		}
		u := strings.TrimSuffix(baseURL, "/") + "/" + f.name + ".gz"
		fmt.Fprintf(progress, "downloading %s\n", u)
		p, n, err := fetch(ctx, client, u, dir, f)
		if err != nil {
			return err
		}
		if stale != "" && stale != p {
			if err := os.Remove(stale); err != nil {
				return fmt.Errorf("cannot remove damaged %s: %w", stale, unwrapPath(err))
			}
		}
		fmt.Fprintf(progress, "%s: %d bytes, sha256 ok\n", p, n)
	}
	return nil
}

// fetch downloads one file from u into dir, verifying it on the way, and
// returns the path written and the bytes received. The file is named
// <name>.gz, or <name> if the server sent it uncompressed.
func fetch(ctx context.Context, client *http.Client, u, dir string, f fileSpec) (string, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", 0, fmt.Errorf("GET %s: %w", u, err)
	}
	// Ask for the bytes as stored: without this, a server that labels the
	// .gz files Content-Encoding: gzip would have them decompressed in transit.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", 0, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("GET %s: %s, expected 200 OK", u, resp.Status)
	}
	// A gzip file is at most slightly larger than its content (stored blocks).
	maxBody := f.size + f.size/64 + 1<<16
	counted := &countingReader{r: io.LimitReader(resp.Body, maxBody+1)}
	body := bufio.NewReaderSize(counted, 1<<16)
	name := f.name
	if head, _ := body.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		name += ".gz"
	}
	p := filepath.Join(dir, name)
	var bad error // what is wrong with the data, as opposed to with writing it
	err = atomicfile.Write(p, func(w io.Writer) error {
		bad = verify(io.TeeReader(body, w), f)
		if bad == nil && counted.n > maxBody {
			bad = fmt.Errorf("more than the %d bytes expected", maxBody)
		}
		return bad
	})
	if bad != nil {
		return "", 0, fmt.Errorf("GET %s: %w; not saved", u, bad)
	}
	return p, counted.n, err
}

// verifyFile checks the size and SHA-256 of a file's decompressed bytes.
func verifyFile(p string, f fileSpec) error {
	file, err := os.Open(p)
	if err != nil {
		return unwrapPath(err)
	}
	defer file.Close()
	return verify(file, f)
}

// verify reads r (gzipped or raw) to its end and checks that its
// decompressed bytes have f's size and SHA-256, without holding them.
func verify(r io.Reader, f fileSpec) error {
	src, _, err := maybeGunzip(bufio.NewReaderSize(r, 1<<16))
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(src, f.size+1))
	if err != nil {
		return streamError(err, "")
	}
	if n > f.size {
		return fmt.Errorf("more than the %d bytes expected when decompressed", f.size)
	}
	if n < f.size {
		return fmt.Errorf("%d bytes when decompressed, expected %d", n, f.size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.sha256 {
		return digestError(got, f)
	}
	return nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
