package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

const usage = `Usage: keygate-load [flags]

Measures, on loopback and in one run, a trivial Go handler as the baseline and
Keygate's forward-auth check (embedded store, behind nginx auth_request, Redis
store). All their servers start first; then each of -rounds rounds runs every one
of these scenarios for -duration, in turn, so that a drift of the machine's speed
falls on all of them alike. It prints requests/s, p50, p99 and Keygate's RSS
pooled over the rounds, and Keygate's requests/s over the baseline's in each
round. Then, once each, it asks Keygate without a cookie -unauth-requests times,
and signs in many times at once while sampling Keygate's RSS.

Flags:
`

func main() {
	// Children started from this goroutine's thread get SIGTERM if the tool dies
	// without stopping them (see childAttr); keep that thread alive to the end.
	runtime.LockOSThread()
	if len(os.Args) > 1 && os.Args[1] == baselineCommand {
		os.Exit(serveBaseline(os.Args[2:]))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run parses the flags, runs the scenarios, prints the report and returns the exit
// code: 0, 1 when a scenario failed or answered wrongly, 2 for bad flags, 130 on
// interrupt. Every process it started is stopped, by PID, before it returns.
func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	dir, err := os.MkdirTemp("", "keygate-load-")
	if err != nil {
		fmt.Fprintf(stderr, "keygate-load: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ps := &procs{logger: logger}
	defer ps.stopAll() // runs before RemoveAll

	b := &bench{opts: opts, procs: ps, dir: dir, logger: logger}
	rep := b.run(ctx)
	ps.stopAll()
	rep.print(stdout, opts)
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(stderr, "keygate-load: interrupted")
		return 130
	case rep.failed():
		return 1
	}
	return 0
}

// parseFlags reads the command line into options.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("keygate-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	var o options
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per throughput scenario per round (after a warm-up of a fifth of it, at most 1s, each time)")
	fs.IntVar(&o.rounds, "rounds", 3, "interleaved rounds of the throughput scenarios (baseline, embedded, nginx, redis), pooled")
	fs.IntVar(&o.connections, "connections", 32, "concurrent keep-alive connections (one worker each)")
	fs.StringVar(&o.keygate, "keygate", "", "keygate binary to measure (default: go build ./cmd/keygate into a temporary directory)")
	fs.Uint64Var(&o.unauthRequests, "unauth-requests", 1_000_000, "requests of the unauthenticated run, which lasts as long as they take; 0: -duration like the others")
	fs.IntVar(&o.signins, "signins", 100, "password sign-ins sent at once in the signins scenario")
	fs.DurationVar(&o.floodDuration, "flood-duration", 30*time.Second, "measured time of each phase of the flood scenario (idle, flooded), split into rounds")
	fs.IntVar(&o.junkRate, "junk-rate", 200, "wrong-password sign-ins a second in the flood scenario")
	fs.IntVar(&o.junkAddresses, "junk-addresses", 200, "client addresses the junk sign-ins come from")
	skip := fs.String("skip", "", "comma-separated scenarios not to run: "+strings.Join(scenarios, ","))
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err error
	if o.skip, err = parseSkip(*skip); err != nil || fs.NArg() > 0 || o.duration <= 0 || o.rounds <= 0 || o.connections <= 0 || o.signins <= 0 ||
		o.floodDuration <= 0 || o.junkRate <= 0 || o.junkAddresses <= 0 || o.junkAddresses > 250*250 {
		if err == nil {
			err = errors.New("want positive -duration, -rounds, -connections, -signins, -flood-duration, -junk-rate and -junk-addresses (at most 62500) and no arguments")
		}
		fmt.Fprintf(stderr, "keygate-load: %v\n", err)
		fs.Usage()
		return o, err
	}
	return o, nil
}

// parseSkip reads the -skip list, refusing names that are no scenario.
func parseSkip(list string) (map[string]bool, error) {
	skip := map[string]bool{}
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.Contains(scenarios, name) {
			return nil, fmt.Errorf("-skip: unknown scenario %q (known: %s)", name, strings.Join(scenarios, ", "))
		}
		skip[name] = true
	}
	return skip, nil
}
