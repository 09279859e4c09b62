package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"
)

// Scenario names, as -skip takes them.
const (
	scBaseline = "baseline"
	scEmbedded = "embedded"
	scNginx    = "nginx"
	scRedis    = "redis"
	scUnauth   = "unauth"
	scSignins  = "signins"
	scFlood    = "flood"
)

var (
	// throughputScenarios run in turn, in this order, in every round.
	throughputScenarios = []string{scBaseline, scEmbedded, scNginx, scRedis}
	// onceScenarios run once each, in this order, after the rounds.
	onceScenarios = []string{scUnauth, scSignins, scFlood}
	// scenarios lists every scenario in the order they run.
	scenarios = slices.Concat(throughputScenarios, onceScenarios)
)

// maxWarmup caps the unrecorded start of every run (a fifth of -duration).
const maxWarmup = time.Second

// options are the command-line flags.
type options struct {
	duration    time.Duration // measured time of each throughput scenario in each round
	rounds      int           // rounds of the throughput scenarios
	connections int
	keygate     string          // keygate binary; "" builds one
	skip        map[string]bool // scenario names not to run
	// unauthRequests, when not 0, is the number of requests of the unauthenticated
	// run, which then lasts as long as they take instead of duration.
	unauthRequests uint64
	signins        int // concurrent password sign-ins of the signins scenario
	// floodDuration is each measured phase of the flood scenario.
	floodDuration time.Duration
	junkRate      int // junk sign-ins a second in the flood scenario
	junkAddresses int // the addresses they come from
}

// bench runs the scenarios, each against servers it starts in dir.
type bench struct {
	opts   options
	procs  *procs
	dir    string
	logger *slog.Logger
}

// row is one scenario's line of the table. For a throughput scenario res and the
// RSS figures pool its rounds (see pool); the others ran once.
type row struct {
	name     string
	label    string
	keygate  bool // a Keygate figure, compared with the baseline
	res      *result
	rssStart uint64         // Keygate's RSS once started, before any request; 0 unknown
	rssIdle  uint64         // server RSS just before the (first) run, bytes
	rssPeak  uint64         // largest server RSS during the run(s), bytes
	rounds   []roundFigures // each round's figures, in order; nil for a scenario run once
	err      error
}

// storeCheck is the Redis key count around the unauthenticated run.
type storeCheck struct {
	before, after int64
	answers       uint64 // unauthenticated requests answered
	err           error
}

// report is everything one invocation measured.
type report struct {
	rows    []row
	store   *storeCheck
	signins *signinCheck
	flood   *floodCheck
}

func (b *bench) wants(name string) bool { return !b.opts.skip[name] }

// wanted returns the names of list that are not skipped.
func (o options) wanted(list []string) []string {
	var out []string
	for _, name := range list {
		if !o.skip[name] {
			out = append(out, name)
		}
	}
	return out
}

func (b *bench) loadOptions() loadOptions {
	return loadOptions{connections: b.opts.connections, warmup: min(maxWarmup, b.opts.duration/5), duration: b.opts.duration}
}

// run starts the servers of the throughput scenarios, runs them in interleaved
// rounds, then runs the unauthenticated scenario and the sign-ins once each,
// skipping what -skip names. It stops every server as soon as no scenario left
// needs it.
func (b *bench) run(ctx context.Context) *report {
	rep := &report{}
	s, ts := b.startServers(ctx)
	b.runRounds(ctx, ts)
	for _, t := range ts {
		rep.rows = append(rep.rows, t.row)
	}
	s.stopAfterRounds(b.wants(scUnauth))
	if b.wants(scUnauth) && ctx.Err() == nil {
		r := row{name: scUnauth, label: "keygate no cookie -> 302 to sign-in, Redis store", keygate: true, err: s.redisErr}
		if r.err == nil {
			rep.store = b.measureUnauthenticated(ctx, &r, s.onRedis, s.redisAddr)
		}
		rep.rows = append(rep.rows, r)
		s.stopRedis()
	}
	if ctx.Err() == nil {
		b.runSignins(ctx, rep)
	}
	if ctx.Err() == nil {
		b.runFlood(ctx, rep)
	}
	return rep
}

// measureUnauthenticated floods the daemon with requests that carry no cookie and
// counts the session store's keys before and after.
func (b *bench) measureUnauthenticated(ctx context.Context, r *row, kg *keygate, redisAddr string) *storeCheck {
	t := forwardAuthTarget(kg.addr, "")
	t.want, t.wantUser = http.StatusFound, ""
	sc := &storeCheck{}
	if sc.before, sc.err = dbSize(redisAddr); sc.err != nil {
		r.err = sc.err
		return sc
	}
	o := b.loadOptions()
	o.requests = b.opts.unauthRequests
	b.measure(ctx, r, t, kg.proc.pid(), 0, o)
	if r.res != nil {
		sc.answers = r.res.answers + 1 // and the preflight's
	}
	sc.after, sc.err = dbSize(redisAddr)
	return sc
}

// measure checks that t gets its expected answer (and, when negative is not 0,
// that the same request without its cookie gets negative), then runs the load
// shaped by o once while sampling the RSS of process pid.
func (b *bench) measure(ctx context.Context, r *row, t target, pid int, negative int, o loadOptions) {
	if r.err = checkAnswer(ctx, t, negative); r.err != nil {
		return
	}
	b.logger.Info("measuring", "scenario", r.name, "duration", o.duration, "requests", o.requests, "connections", o.connections)
	var f roundFigures
	f, r.err = measureRound(ctx, t, pid, o)
	r.res, r.rssIdle, r.rssPeak = f.res, f.rssIdle, f.rssPeak
}

// checkAnswer sends t's request once and checks its answer, and when negative is not 0
// checks that the same request without its cookie gets negative.
func checkAnswer(ctx context.Context, t target, negative int) error {
	if err := preflight(ctx, t); err != nil {
		return err
	}
	if negative != 0 {
		if err := preflight(ctx, t.without("Cookie", negative)); err != nil {
			return fmt.Errorf("without the cookie: %w", err)
		}
	}
	return nil
}

// measureRound runs the load shaped by o against t once, reading the RSS of
// process pid before and sampling it during the run. An interrupt during the run
// is an error: its figures would be of a shorter window than they claim.
func measureRound(ctx context.Context, t target, pid int, o loadOptions) (roundFigures, error) {
	var f roundFigures
	f.rssIdle, _ = readRSS(pid)
	sampler := sampleRSS(pid)
	res, err := runLoad(ctx, t, o)
	f.res, f.rssPeak = res, sampler.peak()
	if err == nil {
		err = ctx.Err()
	}
	return f, err
}
