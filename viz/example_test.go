package viz_test

import (
	"fmt"
	"log"

	"github.com/autoenc/autoenc/tensor"
	"github.com/autoenc/autoenc/viz"
)

func ExampleReconstructions() {
	inputs := tensor.New(10, 28, 28)     // e.g. validation images
	outputs := tensor.New(10, 28, 28, 1) // the model's reconstructions
	img, err := viz.Reconstructions(inputs, outputs, 5)
	if err != nil {
		log.Fatal(err)
	}
	// 5 images of 28*3 pixels and 2-pixel gaps, in two rows.
	fmt.Println(img.Bounds().Dx(), img.Bounds().Dy())
	// Output: 432 174
}
