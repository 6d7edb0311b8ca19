package data

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// server serves the given files by name, and 404 for anything else.
func server(t *testing.T, files map[string][]byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[strings.TrimPrefix(r.URL.Path, "/mirror/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// served returns the fake set's files gzipped under their .gz names.
func served(t *testing.T, s *fakeSet) map[string][]byte {
	m := map[string][]byte{}
	for i, f := range catalog[0].files {
		m[f.name+".gz"] = gzipBytes(t, s.raw[i])
	}
	return m
}

func TestDownload(t *testing.T) {
	s := newFakeSet(24, 5)
	spec := s.spec()
	srv := server(t, served(t, s))
	dir := filepath.Join(t.TempDir(), "new", "dir")
	var log bytes.Buffer
	if err := download(context.Background(), srv.Client(), dir, srv.URL+"/mirror/", spec.files[:], &log); err != nil {
		t.Fatalf("download: %v", err)
	}
	if !strings.Contains(log.String(), "downloading "+srv.URL+"/mirror/train-images-idx3-ubyte.gz\n") {
		t.Errorf("progress:\n%s", log.String())
	}
	ds, err := load(os.DirFS(dir), dir, spec, spec.files, true)
	if err != nil {
		t.Fatalf("load after download: %v", err)
	}
	if ds.Train.Shape[0] != 22 {
		t.Errorf("train %v", ds.Train.Shape)
	}
	assertFiles(t, dir, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")

	// A second run keeps the verified files and fetches nothing.
	srv.Close()
	log.Reset()
	if err := download(context.Background(), srv.Client(), dir, srv.URL+"/mirror", spec.files[:], &log); err != nil {
		t.Fatalf("second download: %v", err)
	}
	if strings.Count(log.String(), "already present, sha256 ok") != 4 {
		t.Errorf("second run:\n%s", log.String())
	}
}

func TestDownloadErrors(t *testing.T) {
	s := newFakeSet(24, 5)
	spec := s.spec()
	good := served(t, s)

	corrupt := map[string][]byte{}
	for k, v := range good {
		corrupt[k] = v
	}
	other := append([]byte(nil), s.raw[testImages]...)
	other[500] ^= 1
	corrupt["t10k-images-idx3-ubyte.gz"] = gzipBytes(t, other)

	short := map[string][]byte{}
	for k, v := range good {
		short[k] = v
	}
	short["train-labels-idx1-ubyte.gz"] = gzipBytes(t, s.raw[trainLabels][:20])

	cut := map[string][]byte{}
	for k, v := range good {
		cut[k] = v
	}
	cut["train-labels-idx1-ubyte.gz"] = good["train-labels-idx1-ubyte.gz"][:30]

	missing := map[string][]byte{}
	for k, v := range good {
		if !strings.HasPrefix(k, "t10k-labels") {
			missing[k] = v
		}
	}
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  string
		kept  []string // files that must exist afterwards
	}{
		{"digest mismatch", corrupt, "/mirror/t10k-images-idx3-ubyte.gz: sha256 of the decompressed data is ",
			[]string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"}},
		{"short file", short, "/mirror/train-labels-idx1-ubyte.gz: 20 bytes when decompressed, expected 32; not saved",
			[]string{"train-images-idx3-ubyte.gz"}},
		{"truncated gzip", cut, "/mirror/train-labels-idx1-ubyte.gz: truncated gzip data",
			[]string{"train-images-idx3-ubyte.gz"}},
		{"404", missing, "/mirror/t10k-labels-idx1-ubyte.gz: 404 Not Found, expected 200 OK",
			[]string{"t10k-images-idx3-ubyte.gz", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := server(t, tc.files)
			dir := t.TempDir()
			err := download(context.Background(), srv.Client(), dir, srv.URL+"/mirror", spec.files[:], nil)
			if err == nil {
				t.Fatal("download succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error\n  %q\nwant it to contain\n  %q", err, tc.want)
			}
			if testing.Verbose() {
				t.Log(err)
			}
			// Only the files fetched before the failure, all complete; no temp files.
			assertFiles(t, dir, tc.kept...)
		})
	}
}

func TestDownloadRawAndReplace(t *testing.T) {
	s := newFakeSet(24, 5)
	spec := s.spec()
	files := served(t, s)
	// The server sends one file uncompressed: it is stored under its raw name.
	delete(files, "train-labels-idx1-ubyte.gz")
	files["train-labels-idx1-ubyte.gz"] = s.raw[trainLabels]
	srv := server(t, files)
	dir := t.TempDir()
	// A damaged raw copy of a file is replaced by the downloaded .gz.
	os.WriteFile(filepath.Join(dir, "t10k-labels-idx1-ubyte"), []byte("junk"), 0o644)
	var log bytes.Buffer
	if err := download(context.Background(), srv.Client(), dir, srv.URL+"/mirror", spec.files[:], &log); err != nil {
		t.Fatalf("download: %v\n%s", err, log.String())
	}
	assertFiles(t, dir, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte")
	if !strings.Contains(log.String(), "t10k-labels-idx1-ubyte: replacing it:") {
		t.Errorf("progress does not mention the replaced file:\n%s", log.String())
	}
	if _, err := load(os.DirFS(dir), dir, spec, spec.files, true); err != nil {
		t.Fatal(err)
	}
}

func TestDownloadCancelled(t *testing.T) {
	s := newFakeSet(24, 5)
	srv := server(t, served(t, s))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	err := download(ctx, srv.Client(), dir, srv.URL+"/mirror", s.spec().files[:], nil)
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("error %v, want context canceled", err)
	}
	assertFiles(t, dir)
	if err := Download(context.Background(), dir, "", "cifar", nil); err == nil {
		t.Error("Download of an unknown data set succeeded")
	}
}

// assertFiles fails unless dir holds exactly the named files.
func assertFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := slices.Sorted(slices.Values(names))
	if !slices.Equal(got, want) {
		t.Errorf("directory holds %v, want %v", got, want)
	}
}
