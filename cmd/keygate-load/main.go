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
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

const usage = `Usage: keygate-load [flags]

Measures, on loopback and in one run, a trivial Go handler as the baseline and
Keygate's forward-auth check (embedded and Redis stores, one hot session and
-sessions distinct ones, behind nginx auth_request beside nginx in front of the
baseline). The load comes from wrk pinned to -load-cpus; every server runs
pinned to -server-cpus. All servers start first; then each of -rounds rounds
runs every throughput scenario for -duration, in turn, so that a drift of the
machine's speed falls on all of them alike. It prints requests/s, p50, p99 and
RSS pooled over the rounds, and each ratio to the baseline's. Then, once each,
it asks Keygate without a cookie for -unauth-duration, times a returning
user's password sign-in (and tries first-time ones) while -attack-rate wrong
ones per second arrive, and signs in
-signins times at once while sampling Keygate's RSS.

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
	if err := b.prepare(ctx); err != nil {
		fmt.Fprintf(stderr, "keygate-load: %v\n", err)
		return 1
	}
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
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per throughput scenario per round, whole seconds (after a 1s warm-up each time)")
	fs.IntVar(&o.rounds, "rounds", 3, "interleaved rounds of the throughput scenarios, pooled")
	fs.IntVar(&o.connections, "connections", 32, "wrk's concurrent keep-alive connections")
	fs.StringVar(&o.keygate, "keygate", "", "keygate binary to measure (default: go build ./cmd/keygate into a temporary directory)")
	fs.DurationVar(&o.unauthDuration, "unauth-duration", 20*time.Second, "measured time of the unauthenticated run, whole seconds")
	fs.IntVar(&o.signins, "signins", 100, "password sign-ins sent at once in the signins scenario")
	fs.IntVar(&o.sessions, "sessions", 10_000, "distinct sessions of the many-sessions scenarios")
	fs.StringVar(&o.serverCPUs, "server-cpus", "1", "taskset CPU list every server runs on")
	fs.StringVar(&o.loadCPUs, "load-cpus", "0", "taskset CPU list wrk and this tool run on (one wrk thread per CPU); must not overlap -server-cpus")
	fs.StringVar(&o.signinCPUs, "signin-cpus", "", "taskset CPU list of the daemons of the attack, signins and flood scenarios; empty: every CPU, as a deployment's daemon would have")
	fs.IntVar(&o.attackRate, "attack-rate", 200, "wrong password sign-ins per second, each from its own address, in the attack scenario")
	fs.DurationVar(&o.attackDuration, "attack-duration", 20*time.Second, "how long legitimate sign-ins are timed under attack")
	fs.StringVar(&o.profileDir, "profile", "", "directory for CPU profiles of Keygate's forward-auth scenarios (last round); builds Keygate with net/http/pprof added through go build -overlay")
	fs.DurationVar(&o.floodDuration, "flood-duration", 30*time.Second, "measured time of each phase of the flood scenario (idle, flooded), split into rounds")
	fs.IntVar(&o.junkRate, "junk-rate", 200, "wrong-password sign-ins a second in the flood scenario")
	fs.IntVar(&o.junkAddresses, "junk-addresses", 200, "client addresses the junk sign-ins come from")
	skip := fs.String("skip", "", "comma-separated scenarios not to run: "+strings.Join(scenarios, ","))
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err error
	if o.skip, err = parseSkip(*skip); err == nil {
		err = o.check()
	}
	if err != nil || fs.NArg() > 0 {
		if err == nil {
			err = errors.New("want no arguments")
		}
		fmt.Fprintf(stderr, "keygate-load: %v\n", err)
		fs.Usage()
		return o, err
	}
	return o, nil
}

// check refuses options out of range and sets loadThreads.
func (o *options) check() error {
	if o.duration < time.Second || o.duration%time.Second != 0 || o.unauthDuration < time.Second || o.unauthDuration%time.Second != 0 {
		return errors.New("-duration and -unauth-duration are whole seconds, at least 1s (wrk's resolution)")
	}
	if o.rounds <= 0 || o.connections <= 0 || o.signins <= 0 || o.sessions <= 0 || o.attackRate <= 0 || o.attackDuration <= 0 {
		return errors.New("want positive -rounds, -connections, -signins, -sessions, -attack-rate and -attack-duration")
	}
	if o.floodDuration <= 0 || o.junkRate <= 0 || o.junkAddresses <= 0 || o.junkAddresses > 250*250 {
		return errors.New("want positive -flood-duration, -junk-rate and -junk-addresses (at most 62500)")
	}
	if o.profileDir != "" && o.keygate != "" {
		return errors.New("-profile builds its own keygate; it does not go with -keygate")
	}
	server, err := parseCPUList(o.serverCPUs)
	if err != nil {
		return fmt.Errorf("-server-cpus: %w", err)
	}
	load, err := parseCPUList(o.loadCPUs)
	if err != nil {
		return fmt.Errorf("-load-cpus: %w", err)
	}
	if err := checkCPUSets(server, load, runtime.NumCPU()); err != nil {
		return err
	}
	o.loadThreads = len(load)
	if o.signinCPUs != "" {
		if _, err := parseCPUList(o.signinCPUs); err != nil {
			return fmt.Errorf("-signin-cpus: %w", err)
		}
	}
	if o.profileDir != "" {
		if o.profileDir, err = filepath.Abs(o.profileDir); err != nil {
			return fmt.Errorf("-profile: %w", err)
		}
	}
	return nil
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
