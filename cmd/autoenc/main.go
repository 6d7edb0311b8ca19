// Command autoenc builds, trains and inspects autoencoders: the
// convolutional, recurrent and denoising autoencoders of Géron's tutorial,
// trained on Fashion-MNIST, from one static binary.
//
// Exit codes: 0 success, 1 error (one line on stderr), 2 bad usage,
// 130 interrupted (SIGINT), 143 terminated (SIGTERM).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// usageError marks errors in how the command was called (exit code 2).
type usageError struct{ error }

// run executes the command line args and returns the exit code. It alone
// prints errors: one line on stderr.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	var got atomic.Value // the os.Signal that stopped us, if any
	go func() {
		select {
		case s := <-sig:
			got.Store(s)
			cancel()
			signal.Stop(sig) // a second signal kills at once
		case <-ctx.Done():
		}
	}()

	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "autoenc: %v\n", err)
	var ue usageError
	switch s, _ := got.Load().(os.Signal); {
	case s == syscall.SIGTERM:
		return 143
	case s != nil:
		return 130
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "autoenc",
		Short: "Autoencoders in Go: train, inspect and use the tutorial's autoencoders",
		Long: `autoenc trains and uses autoencoders (stacked, convolutional, recurrent,
denoising) on Fashion-MNIST or MNIST, as in Géron's tutorial, on a CPU.

Start with:  autoenc train conv`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())}
	})
	root.AddCommand(newTrainCmd(), newEvalCmd(), newSummaryCmd(), newReconstructCmd(),
		newEncodeCmd(), newModelsCmd(), newDataCmd(), newCheckpointsCmd())
	return withCPUProfile(root)
}

// exactArgs is cobra.ExactArgs with a usage error that says what was expected.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s expects %s, got %d arguments (see '%s --help')", cmd.Name(), what, len(args), cmd.CommandPath())}
		}
		return nil
	}
}
