package nn

import (
	"math"
	"testing"
)

// TestSumRows checks sumRows against a column-at-a-time loop, bit for bit,
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
			sumRows(buf[:w], dz)
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
