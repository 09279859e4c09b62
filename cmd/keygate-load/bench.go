package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"time"
)

// Scenario names, as -skip takes them.
const (
	scBaseline      = "baseline"
	scEmbedded      = "embedded"
	scRedis         = "redis"
	scManyBaseline  = "many-baseline"
	scManyEmbedded  = "many-embedded"
	scManyRedis     = "many-redis"
	scNginxBaseline = "nginx-baseline"
	scNginx         = "nginx"
	scUnauth        = "unauth"
	scAttack        = "attack"
	scSignins       = "signins"
	scFlood         = "flood"
)

var (
	// throughputScenarios run in turn, in this order, in every round.
	throughputScenarios = []string{scBaseline, scEmbedded, scRedis, scManyBaseline, scManyEmbedded, scManyRedis, scNginxBaseline, scNginx}
	// onceScenarios run once each, in this order, after the rounds.
	onceScenarios = []string{scUnauth, scAttack, scSignins, scFlood}
	// scenarios lists every scenario in the order they run.
	scenarios = slices.Concat(throughputScenarios, onceScenarios)
	// baseOf names the scenario each throughput scenario is compared with.
	baseOf = map[string]string{
		scEmbedded: scBaseline, scRedis: scBaseline, scUnauth: scBaseline,
		scManyEmbedded: scManyBaseline, scManyRedis: scManyBaseline,
		scNginx: scNginxBaseline,
	}
)

// warmup is the unrecorded wrk run before every measured one.
const warmup = time.Second

// options are the command-line flags.
type options struct {
	duration    time.Duration // measured time of each throughput scenario in each round
	rounds      int           // rounds of the throughput scenarios
	connections int
	keygate     string          // keygate binary; "" builds one
	skip        map[string]bool // scenario names not to run
	// unauthDuration is the measured time of the unauthenticated run.
	unauthDuration time.Duration
	signins        int // concurrent password sign-ins of the signins scenario
	sessions       int // distinct sessions of the many-sessions scenarios
	// serverCPUs and loadCPUs are taskset CPU lists: the servers run on the
	// first, wrk and this tool on the second.
	serverCPUs, loadCPUs string
	// signinCPUs is the taskset CPU list of the sign-in scenarios' daemons
	// (attack, signins, flood); "" leaves them on every CPU.
	signinCPUs     string
	loadThreads    int           // wrk threads: one per generator CPU
	attackRate     int           // wrong sign-ins per second in the attack scenario
	attackDuration time.Duration // how long the legitimate sign-ins are timed under attack
	profileDir     string        // when not "", CPU profiles of Keygate go there
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
	wrk    string // the wrk binary
	wrkDir string // wrk's scripts and figures
}

// row is one scenario's line of the table. For a throughput scenario res and the
// RSS figures pool its rounds (see pool); the others ran once.
type row struct {
	name     string
	label    string
	keygate  bool // a Keygate figure, compared with its baseline (baseOf)
	res      *result
	rssStart uint64         // Keygate's RSS once started, before any request; 0 unknown
	rssIdle  uint64         // server RSS just before the (first) run, bytes
	rssPeak  uint64         // largest server RSS during the run(s), bytes
	anonPeak uint64         // RssAnon at that sample
	cpu      time.Duration  // the server's CPU time over the measured windows (rounds pooled)
	rounds   []roundFigures // each round's figures, in order; nil for a scenario run once
	err      error
}

// storeCheck is the Redis key count around the unauthenticated run.
type storeCheck struct {
	before, after int64
	answers       uint64 // unauthenticated requests answered (the measured ones)
	err           error
}

// report is everything one invocation measured.
type report struct {
	sessions int // of the many-sessions scenarios
	idle     *idleRSS
	attack   *attackCheck
	rows     []row
	store    *storeCheck
	signins  *signinCheck
	flood    *floodCheck
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

// wrkRun returns wrk's settings for a run of duration d.
func (b *bench) wrkRun(d time.Duration) wrkRun {
	return wrkRun{wrk: b.wrk, cpus: b.opts.loadCPUs, threads: b.opts.loadThreads, conns: b.opts.connections, duration: d, dir: b.wrkDir}
}

// prepare installs wrk when it is missing, pins this tool to the generator's
// CPUs, and makes the directory of wrk's files.
func (b *bench) prepare(ctx context.Context) (err error) {
	if b.wrk, err = require(ctx, b.logger, "wrk", "wrk"); err != nil {
		return err
	}
	if err = pinSelf(ctx, b.opts.loadCPUs); err != nil {
		return err
	}
	b.wrkDir, err = wrkFiles(b.dir)
	return err
}

// run starts the servers of the throughput scenarios, runs them in interleaved
// rounds, then runs the unauthenticated scenario and the sign-ins once each,
// skipping what -skip names. It stops every server as soon as no scenario left
// needs it.
func (b *bench) run(ctx context.Context) *report {
	rep := &report{sessions: b.opts.sessions}
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
	if ctx.Err() == nil && b.opts.signinCPUs == "" {
		// The sign-in scenarios' daemons and clients share every CPU, as before
		// this tool pinned anything: their figures are latencies under hashing,
		// not rates against the generator.
		if err := pinSelf(ctx, fmt.Sprintf("0-%d", runtime.NumCPU()-1)); err != nil {
			b.logger.Warn("could not unpin", "error", err)
		}
	}
	if ctx.Err() == nil {
		b.runAttack(ctx, rep)
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
	t.header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8") // a browser's: the 302
	t.want, t.wantUser = http.StatusFound, ""
	sc := &storeCheck{}
	if sc.before, sc.err = dbSize(redisAddr); sc.err != nil {
		r.err = sc.err
		return sc
	}
	b.measure(ctx, r, t, kg.proc.pid(), 0, b.opts.unauthDuration)
	if r.res != nil {
		sc.answers = r.res.answers
	}
	sc.after, sc.err = dbSize(redisAddr)
	return sc
}

// measure checks that t gets its expected answer (and, when negative is not 0,
// that the same request without its cookie gets negative), then runs wrk for d
// once while sampling the RSS of process pid.
func (b *bench) measure(ctx context.Context, r *row, t target, pid int, negative int, d time.Duration) {
	if r.err = checkAnswer(ctx, t, negative); r.err != nil {
		return
	}
	b.logger.Info("measuring", "scenario", r.name, "duration", d, "connections", b.opts.connections)
	var f roundFigures
	f, r.err = b.measureRound(ctx, t, pid, d, nil)
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

// measureRound warms up with wrk against t for warmup, then runs wrk for d,
// reading the RSS of process pid before and sampling it during the measured run;
// when prof is not nil, a CPU profile of the server is taken meanwhile. The
// answer is checked again afterwards, so that a session lost during the run
// fails it. An interrupt during the run is an error: its figures would be of a
// shorter window than they claim.
func (b *bench) measureRound(ctx context.Context, t target, pid int, d time.Duration, prof *profileJob) (roundFigures, error) {
	var f roundFigures
	if _, err := b.wrkRun(warmup).run(ctx, t); err != nil {
		return f, err
	}
	f.rssIdle, _ = readRSS(pid)
	sampler := sampleRSS(pid)
	profiled := prof.start(ctx, d)
	cpu0, cerr := cpuTime(pid)
	res, err := b.wrkRun(d).run(ctx, t)
	if cpu1, cerr1 := cpuTime(pid); cerr == nil && cerr1 == nil {
		f.cpu = cpu1 - cpu0
	}
	peak := sampler.peakMem()
	f.res, f.rssPeak, f.anonPeak = res, peak.rss, peak.anon
	if perr := profiled(); err == nil {
		err = perr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = preflight(ctx, t)
	}
	return f, err
}
