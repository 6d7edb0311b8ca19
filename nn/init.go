package nn

import (
	"math"
	"math/rand/v2"
)

// glorotUniform fills w from U(-limit, limit), limit = sqrt(6/(fanIn+fanOut)):
// Keras's default kernel initialiser.
func glorotUniform(rng *rand.Rand, w []float32, fanIn, fanOut int) {
	limit := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = float32((2*rng.Float64() - 1) * limit)
	}
}

// orthogonal fills the row-major [rows, cols] matrix w with an orthogonal
// matrix, as Keras's Orthogonal initialiser (gain 1): QR of a Gaussian matrix
// of shape [max, min], Q's columns signed by diag(R), transposed if rows < cols.
func orthogonal(rng *rand.Rand, w []float32, rows, cols int) {
	n, m := max(rows, cols), min(rows, cols)
	// a holds m column vectors of length n; Gram-Schmidt makes them orthonormal.
	a := make([][]float64, m)
	for j := range a {
		a[j] = make([]float64, n)
		for i := range a[j] {
			a[j][i] = rng.NormFloat64()
		}
	}
	for j := range a {
		for pass := 0; pass < 2; pass++ { // twice for numerical orthogonality
			for p := 0; p < j; p++ {
				var d float64
				for i := range a[j] {
					d += a[j][i] * a[p][i]
				}
				for i := range a[j] {
					a[j][i] -= d * a[p][i]
				}
			}
		}
		var norm float64
		for _, v := range a[j] {
			norm += v * v
		}
		norm = math.Sqrt(norm)
		for i := range a[j] {
			a[j][i] /= norm
		}
	}
	// Q[i][j] = a[j][i] is [n, m]. Gram-Schmidt gives diag(R) > 0 already.
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			if rows >= cols {
				w[r*cols+c] = float32(a[c][r])
			} else {
				w[r*cols+c] = float32(a[r][c])
			}
		}
	}
}
