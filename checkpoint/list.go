package checkpoint

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// Entry describes one snapshot file: what it holds if it loads, why not if
// it does not.
type Entry struct {
	Path string
	Size int64
	// Snapshot is the loaded snapshot, nil when Err is set.
	Snapshot *Snapshot
	Err      error
}

// List loads every snapshot in dir, newest first. A missing directory is an
// error; files that fail to load are listed with their error.
func List(dir string) ([]Entry, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("checkpoint directory %s: %v", dir, unwrap(err))
	}
	var out []Entry
	for _, f := range snapshotFiles(dir) {
		s, err := Load(f.path)
		out = append(out, Entry{Path: f.path, Size: f.sizeOnDisk, Snapshot: s, Err: err})
	}
	return out, nil
}

// Latest returns the newest snapshot that loads, searching all of dirs (a
// primary and its replicas, in order of preference; missing ones are
// skipped). For each newer file that does not load it calls warn with the
// file's path and error before trying the next.
func Latest(dirs []string, warn func(path string, err error)) (*Snapshot, error) {
	return find(dirs, func(*Snapshot) bool { return true }, warn)
}

// Point selects a snapshot for a point-in-time restore. Zero fields do not
// constrain; the newest snapshot meeting all the others is chosen.
type Point struct {
	// Epoch: the newest snapshot taken during or at the end of this epoch
	// (1-based), that is, with at most Epoch epochs completed.
	Epoch int
	// Step: the newest snapshot at or before this global step.
	Step int
	// Before: the newest snapshot taken before this time.
	Before time.Time
}

func (p Point) match(s *Snapshot) bool {
	st := s.State
	switch {
	case p.Epoch > 0 && len(st.History) > p.Epoch:
		return false
	case p.Epoch > 0 && len(st.History) == p.Epoch && st.Step > 0:
		return false
	case p.Step > 0 && st.GlobalStep > p.Step:
		return false
	case !p.Before.IsZero() && !s.Time.Before(p.Before):
		return false
	}
	return true
}

func (p Point) String() string {
	var parts []string
	if p.Epoch > 0 {
		parts = append(parts, fmt.Sprintf("by the end of epoch %d", p.Epoch))
	}
	if p.Step > 0 {
		parts = append(parts, fmt.Sprintf("at or before step %d", p.Step))
	}
	if !p.Before.IsZero() {
		parts = append(parts, "before "+p.Before.Format(time.RFC3339))
	}
	if len(parts) == 0 {
		return "any"
	}
	return strings.Join(parts, ", ")
}

// Select returns the newest loadable snapshot in dirs that p selects,
// warning about files that do not load as Latest does.
func Select(dirs []string, p Point, warn func(path string, err error)) (*Snapshot, error) {
	return find(dirs, p.match, warn)
}

func find(dirs []string, ok func(*Snapshot) bool, warn func(string, error)) (*Snapshot, error) {
	var files []fileInfo
	for i, d := range dirs {
		for _, f := range snapshotFiles(d) {
			f.dirIndex = i
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no snapshots in %s", strings.Join(dirs, " or "))
	}
	sort.SliceStable(files, func(i, j int) bool {
		if files[i].step != files[j].step {
			return files[i].step > files[j].step
		}
		return files[i].dirIndex < files[j].dirIndex
	})
	bad, skipped := 0, 0
	for _, f := range files {
		s, err := Load(f.path)
		if err != nil {
			bad++
			if warn != nil {
				warn(f.path, err)
			}
			continue
		}
		if ok(s) {
			return s, nil
		}
		skipped++
	}
	if skipped > 0 {
		return nil, fmt.Errorf("none of the %d valid snapshots in %s matches", skipped, strings.Join(dirs, " or "))
	}
	return nil, fmt.Errorf("none of the %d snapshots in %s is valid", bad, strings.Join(dirs, " or "))
}
