// Command gridcast is GridCast's one binary: the population store's tools,
// segments, and (as the product grows) the outreach server and workers.
//
//	gridcast demo                      run the whole story on the embedded default
//	gridcast seed --residents N        generate a synthetic population
//	gridcast import residents FILE     import a CSV/XLSX sheet
//	gridcast sync                      pull from an external population database
//	gridcast segment count EXPR        count a segment
//	gridcast tickets list              the ticket desk: residents' questions for grid workers
//
// Run `gridcast help` for the full list.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Environ())
	stop()
	os.Exit(code)
}
