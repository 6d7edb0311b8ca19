package kernels

import "sync"

// SumRows adds the column sums of dz, a [rows, len(db)] row-major matrix,
// into db (the bias gradient of a layer):
//
//	db[j] += dz[0][j] + dz[1][j] + ... (in row order)
//
// Columns go 8 at a time, summed down the rows in registers; large matrices
// are split by blocks of 8 columns over Threads() goroutines. Every column
// is summed in the same order whatever the split, so results are
// bit-identical for any thread count.
func SumRows(db, dz []float32) {
	w := len(db)
	if w == 0 {
		return
	}
	if len(dz)%w != 0 {
		panic("kernels: SumRows: len(dz) is not a multiple of len(db)")
	}
	blocks := (w + 7) / 8
	parts := min(Threads(), blocks, len(dz)/actGrain)
	if parts <= 1 {
		sumRows(db, dz, 0, w)
		return
	}
	j := sumJobs.Get().(*sumJob)
	*j = sumJob{db: db, dz: dz, blocks: blocks, parts: parts}
	RunParts(j, parts)
	*j = sumJob{}
	sumJobs.Put(j)
}

// sumJob is SumRows split by blocks of 8 columns.
type sumJob struct {
	db, dz        []float32
	blocks, parts int
}

var sumJobs = sync.Pool{New: func() any { return new(sumJob) }}

func (j *sumJob) RunPart(i int) {
	b0, b1 := partRange(i, j.parts, j.blocks)
	sumRows(j.db, j.dz, b0*8, min(b1*8, len(j.db)))
}

// sumRows is SumRows for columns [j0, j1).
func sumRows(db, dz []float32, j0, j1 int) {
	w := len(db)
	j := j0
	for ; j+8 <= j1; j += 8 {
		d := db[j : j+8 : j+8]
		s0, s1, s2, s3, s4, s5, s6, s7 := d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]
		for r := j; r+8 <= len(dz); r += w {
			v := dz[r : r+8 : r+8]
			s0 += v[0]
			s1 += v[1]
			s2 += v[2]
			s3 += v[3]
			s4 += v[4]
			s5 += v[5]
			s6 += v[6]
			s7 += v[7]
		}
		d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = s0, s1, s2, s3, s4, s5, s6, s7
	}
	for ; j < j1; j++ {
		s := db[j]
		for r := j; r < len(dz); r += w {
			s += dz[r]
		}
		db[j] = s
	}
}
