package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/autoenc/autoenc/internal/atomicfile"
	"github.com/autoenc/autoenc/modelfile"
	"github.com/autoenc/autoenc/tensor"
)

func newEncodeCmd() *cobra.Command {
	var d dataOptions
	var out, splitName string
	cmd := &cobra.Command{
		Use:   "encode FILE.safetensors",
		Short: "Write the encoder's codings of a data set to PREFIX.npy and PREFIX.csv",
		Long: `Run every image of a split through the model's encoder and write the
codings as a float32 NumPy array (PREFIX.npy, shape [images, coding size])
and as CSV (PREFIX.csv: label, then the coding values).`,
		Example: "  autoenc encode out/stacked.safetensors --split test --out codings",
		Args:    exactArgs(1, "one model file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSplit(splitName); err != nil {
				return err
			}
			m, _, err := modelfile.Load(args[0])
			if err != nil {
				return err
			}
			enc := m.Encoder()
			if enc == nil {
				return fmt.Errorf("model file %s has no part named \"encoder\"", args[0])
			}
			npyPath, csvPath := out+".npy", out+".csv"
			for _, p := range []string{npyPath, csvPath} {
				if err := checkWritable(p); err != nil {
					return err
				}
			}
			ds, err := loadData(d, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			x, labels, err := split(ds, splitName)
			if err != nil {
				return err
			}
			codings := encodeAll(enc.Forward, x, 256)
			if err := atomicfile.Write(npyPath, func(w io.Writer) error { return writeNPY(w, codings) }); err != nil {
				return err
			}
			if err := atomicfile.Write(csvPath, func(w io.Writer) error { return writeCSV(w, codings, labels) }); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote codings %v of the %s images to %s and %s\n", codings.Shape, splitName, npyPath, csvPath)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "codings", "output prefix: writes PREFIX.npy and PREFIX.csv")
	cmd.Flags().StringVar(&splitName, "split", "test", "which images: train, valid or test")
	addDataFlags(cmd.Flags(), &d)
	return cmd
}

// encodeAll runs x through forward in batches and gathers the outputs,
// flattened per example, into one [n, coding size] tensor.
func encodeAll(forward func(*tensor.Tensor, bool) *tensor.Tensor, x *tensor.Tensor, batch int) *tensor.Tensor {
	n := x.Shape[0]
	var out *tensor.Tensor
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		y := forward(x.Rows(lo, hi), false)
		per := y.Len() / (hi - lo)
		if out == nil {
			out = tensor.New(n, per)
		}
		copy(out.Data[lo*per:hi*per], y.Data)
	}
	return out
}

// writeNPY writes t as a NumPy .npy file (format 1.0, little-endian float32, C order).
func writeNPY(w io.Writer, t *tensor.Tensor) error {
	shape := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		shape[i] = strconv.Itoa(d)
	}
	dims := strings.Join(shape, ", ")
	if len(shape) == 1 {
		dims += ","
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", dims)
	// Pad with spaces so magic (6) + version (2) + length (2) + header + '\n' is a multiple of 64.
	total := 10 + len(header) + 1
	header += strings.Repeat(" ", (64-total%64)%64) + "\n"
	bw := bufio.NewWriter(w)
	bw.WriteString("\x93NUMPY\x01\x00")
	binary.Write(bw, binary.LittleEndian, uint16(len(header)))
	bw.WriteString(header)
	var buf [4]byte
	for _, v := range t.Data {
		binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
		bw.Write(buf[:])
	}
	return bw.Flush()
}

// writeCSV writes one row per example: its label (if known), then its coding.
func writeCSV(w io.Writer, t *tensor.Tensor, labels []uint8) error {
	bw := bufio.NewWriter(w)
	n, per := t.Shape[0], t.Shape[1]
	if labels != nil {
		bw.WriteString("label")
	}
	for j := 0; j < per; j++ {
		if j > 0 || labels != nil {
			bw.WriteByte(',')
		}
		fmt.Fprintf(bw, "c%d", j)
	}
	bw.WriteByte('\n')
	for i := 0; i < n; i++ {
		if labels != nil {
			bw.WriteString(strconv.Itoa(int(labels[i])))
		}
		for j := 0; j < per; j++ {
			if j > 0 || labels != nil {
				bw.WriteByte(',')
			}
			bw.WriteString(strconv.FormatFloat(float64(t.Data[i*per+j]), 'g', -1, 32))
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
