package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// Write creates or replaces the file at path with what write produces.
//
// write receives a buffered writer onto a temporary file in path's
// directory; when it returns nil the buffer is flushed, the file is fsynced,
// closed, given mode 0644 and renamed to path, and the directory is fsynced
// so that the rename survives a crash. If write or any of these steps fails,
// the temporary file is removed and the returned error names path:
//
//	cannot write out/x.safetensors: permission denied
//
// Errors returned by write are wrapped with %w, so errors.Is still sees them.
func Write(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return fmt.Errorf("cannot write %q: path names a directory, expected a file", path)
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot write %s: directory %s does not exist", path, filepath.Clean(dir))
		}
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close() // may already be closed; the error is irrelevant then
			os.Remove(tmp)
		}
	}()

	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if err := f.Chmod(0o644); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cannot write %s: fsync: %w", path, unwrapPath(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("cannot write %s: rename: %w", path, unwrapPath(err))
	}
	if err := syncDir(dir); err != nil {
		// The file is complete and in place; only its durability is in doubt.
		return fmt.Errorf("cannot write %s: fsync directory %s: %w", path, filepath.Clean(dir), unwrapPath(err))
	}
	return nil
}

// syncDir fsyncs a directory so that a rename in it is durable. Windows
// cannot open directories for syncing, and some file systems refuse to sync
// them (EINVAL, ENOTSUP); neither is an error.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		err = nil
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// unwrapPath drops the *fs.PathError around err: its path is the temporary
// file's, which would only confuse the message that names the target.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
