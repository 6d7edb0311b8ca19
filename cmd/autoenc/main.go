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
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// usageError marks errors in how the command was called (exit code 2).
type usageError struct{ error }

func run(args []string) int {
	ctx, stop := context.WithCancelCause(context.Background())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	var got os.Signal
	go func() {
		got = <-sig
		stop(fmt.Errorf("stopped by %v", got))
		signal.Stop(sig) // a second signal kills at once
	}()
	defer stop(nil)

	root := newRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(os.Stderr, "autoenc: %v\n", err)
	var ue usageError
	switch {
	case got == syscall.SIGTERM:
		return 143
	case got != nil:
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
		newEncodeCmd(), newModelsCmd(), newDataCmd())
	return root
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
