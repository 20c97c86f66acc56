// Command driftwatch monitors production ML models for drift and falling
// quality, and retrains, judges and redeploys them when they decay.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/driftwatch/driftwatch/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
