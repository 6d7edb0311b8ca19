// Package viz draws images as PNG files: grids of grayscale images, such as
// a row of inputs above a row of their reconstructions.
package viz
