package suiteproc

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Main runs one of the suite's command-line tools: parse reads its flags (-help exits 0, a
// bad flag exits 2 with the error), then run gets a context that ends on SIGINT or SIGTERM
// or after timeout(options); an error of run exits 1 with "name: FAILED: …".
func Main[O any](name string, parse func([]string) (O, error), timeout func(O) time.Duration, run func(context.Context, O) error) {
	o, err := parse(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, timeout(o))
	err = run(ctx, o)
	cancel()
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: FAILED: %v\n", name, err)
		os.Exit(1)
	}
}
