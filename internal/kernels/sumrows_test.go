package kernels

import (
	"math"
	"testing"
)

// TestSumRows checks SumRows against a column-at-a-time loop, bit for bit,
// for widths 0..19 and around the 8-column block edges, 0..5 rows, with a
// NaN guard after db that must stay untouched.
func TestSumRows(t *testing.T) {
	for _, w := range []int{0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 19, 24, 25, 33} {
		for rows := 0; rows <= 5; rows++ {
			dz := make([]float32, rows*w)
			for i := range dz {
				dz[i] = float32(i%11)*0.37 - 1.1
			}
			buf := make([]float32, w+1)
			want := make([]float32, w)
			for j := range w {
				buf[j] = float32(j) * 0.1
				want[j] = buf[j]
				for r := range rows {
					want[j] += dz[r*w+j]
				}
			}
			buf[w] = float32(math.NaN())
			SumRows(buf[:w], dz)
			for j := range w {
				if math.Float32bits(buf[j]) != math.Float32bits(want[j]) {
					t.Fatalf("w=%d rows=%d: db[%d] = %v, want %v", w, rows, j, buf[j], want[j])
				}
			}
			if !math.IsNaN(float64(buf[w])) {
				t.Fatalf("w=%d rows=%d: guard overwritten", w, rows)
			}
		}
	}
}

// TestSumRowsSplit checks that SumRows gives bit-identical sums for any
// number of threads, on matrices big enough to be split.
func TestSumRowsSplit(t *testing.T) {
	defer SetThreads(Threads())
	for _, w := range []int{8, 16, 17, 32, 64, 100} {
		rows := 3*actGrain/w + 5
		dz := make([]float32, rows*w)
		for i := range dz {
			dz[i] = float32(i%13)*0.31 - 1.7
		}
		var ref []float32
		for _, threads := range []int{1, 2, 3, 5} {
			SetThreads(threads)
			db := make([]float32, w)
			SumRows(db, dz)
			if threads == 1 {
				ref = db
				continue
			}
			for j := range db {
				if math.Float32bits(db[j]) != math.Float32bits(ref[j]) {
					t.Fatalf("w=%d threads=%d: db[%d] = %v, 1 thread %v", w, threads, j, db[j], ref[j])
				}
			}
		}
	}
}
