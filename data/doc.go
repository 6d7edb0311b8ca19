// Package data finds, verifies and loads the image data sets autoenc
// trains on: Fashion-MNIST (the default) and MNIST, 28x28 grayscale images
// in the idx format.
//
// Load looks for the four idx files (raw or gzipped) in a given directory,
// $AUTOENC_DATA, the system directory of Debian's dataset-fashion-mnist
// package (/usr/share/datasets/fashion-mnist) and the user cache directory,
// checks the SHA-256 of their decompressed bytes, and returns images as
// [n, 28, 28] float32 pixels/255 split into training, validation (the last
// n/12 training images: 5,000 of 60,000) and test sets. Download fetches the
// files from the canonical mirror into a directory, verifying each.
//
// A sample of Fashion-MNIST (the first 6,000 training and 1,000 test
// images, about 3 MB) is embedded for tests and demos; Load uses it only
// when asked to (Options.AllowSample). Fashion-MNIST is Copyright (c) 2017
// Zalando SE and distributed under the MIT License; see SampleLicense.
//
// ReadIDX reads a single idx file. Every reader here checks headers against
// the file size before allocating, so a damaged or forged file gives an
// error naming the file, the value found and the value expected.
package data
