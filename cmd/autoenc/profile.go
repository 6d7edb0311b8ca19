package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// withCPUProfile adds the persistent flag --cpuprofile FILE to root: every
// verb that runs then writes a pprof CPU profile of itself to FILE, also
// when it fails or is interrupted (view it with `go tool pprof FILE`).
func withCPUProfile(root *cobra.Command) *cobra.Command {
	var file string
	root.PersistentFlags().StringVar(&file, "cpuprofile", "", "write a CPU profile (pprof) of the command to `FILE`")
	var wrap func(c *cobra.Command)
	wrap = func(c *cobra.Command) {
		if run := c.RunE; run != nil {
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if file == "" {
					return run(cmd, args)
				}
				stop, err := startCPUProfile(file)
				if err != nil {
					return err
				}
				err = run(cmd, args)
				if serr := stop(); err == nil {
					err = serr
				}
				return err
			}
		}
		for _, sub := range c.Commands() {
			wrap(sub)
		}
	}
	wrap(root)
	return root
}

// startCPUProfile starts profiling into file; stop ends it and closes file.
func startCPUProfile(file string) (stop func() error, err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile %s: %w", file, err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		return nil
	}, nil
}
