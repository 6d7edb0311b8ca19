package data_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/autoenc/autoenc/data"
)

func ExampleLoad() {
	// Fashion-MNIST from --data, $AUTOENC_DATA, the Debian package or the
	// user cache; the embedded sample if none has it.
	ds, err := data.Load(data.Options{AllowSample: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ds.Name, ds.Train.Shape[1:], ds.Classes[9])
	// The validation set is the last twelfth of the training images.
	fmt.Println(ds.Valid.Shape[0]*12 == ds.Train.Shape[0]+ds.Valid.Shape[0])
	// Output:
	// Fashion-MNIST [28 28] Ankle boot
	// true
}

func ExampleReadIDX() {
	// An idx1 file: magic 0x00000801, one big-endian dimension, the bytes.
	file := []byte{0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 9}
	m, err := data.ReadIDX(bytes.NewReader(file))
	fmt.Println(m.Dims, m.Data, err)

	file[2] = 0x0d // float32 data
	_, err = data.ReadIDX(bytes.NewReader(file))
	fmt.Println(err)
	// Output:
	// [3] [7 2 9] <nil>
	// idx magic 0x00000d01 (float32, rank 1), expected 0x00000801 (ubyte labels) or 0x00000803 (ubyte images)
}
