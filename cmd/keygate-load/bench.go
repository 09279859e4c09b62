package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
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
)

// scenarios lists every scenario in the order they run.
var scenarios = []string{scBaseline, scEmbedded, scNginx, scRedis, scUnauth, scSignins}

// maxWarmup caps the unrecorded start of every run (a fifth of -duration).
const maxWarmup = time.Second

// options are the command-line flags.
type options struct {
	duration    time.Duration
	connections int
	keygate     string          // keygate binary; "" builds one
	skip        map[string]bool // scenario names not to run
	// unauthRequests, when not 0, is the number of requests of the unauthenticated
	// run, which then lasts as long as they take instead of duration.
	unauthRequests uint64
	signins        int // concurrent password sign-ins of the signins scenario
}

// bench runs the scenarios, each against servers it starts in dir.
type bench struct {
	opts   options
	procs  *procs
	dir    string
	logger *slog.Logger
}

// row is one scenario's line of the table.
type row struct {
	name     string
	label    string
	keygate  bool // a Keygate figure, compared with the baseline
	res      *result
	rssStart uint64 // Keygate's RSS once started, before any request; 0 unknown
	rssIdle  uint64 // server RSS just before the run, bytes
	rssPeak  uint64 // largest server RSS during the run, bytes
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
}

func (b *bench) wants(name string) bool { return !b.opts.skip[name] }

func (b *bench) loadOptions() loadOptions {
	return loadOptions{connections: b.opts.connections, warmup: min(maxWarmup, b.opts.duration/5), duration: b.opts.duration}
}

// run runs every scenario not skipped, in the order of scenarios.
func (b *bench) run(ctx context.Context) *report {
	rep := &report{}
	if b.wants(scBaseline) {
		rep.rows = append(rep.rows, b.runBaseline(ctx))
	}
	for _, group := range []func(context.Context, *report){b.runEmbedded, b.runRedis, b.runSignins} {
		if ctx.Err() != nil {
			break // interrupted: start nothing more
		}
		group(ctx, rep)
	}
	return rep
}

func (b *bench) runBaseline(ctx context.Context) row {
	r := row{name: scBaseline, label: "baseline: Go handler, cookie looked up in a map"}
	p, t, err := b.startBaseline(ctx)
	if err != nil {
		r.err = err
		return r
	}
	b.measure(ctx, &r, t, p.pid(), http.StatusUnauthorized, b.loadOptions())
	p.stop() // nothing else runs beside the servers being measured
	return r
}

// runEmbedded measures forward-auth on the embedded store, then nginx in front of it.
func (b *bench) runEmbedded(ctx context.Context, rep *report) {
	if !b.wants(scEmbedded) && !b.wants(scNginx) {
		return
	}
	kg, err := b.startKeygate(ctx, "embedded", "")
	if b.wants(scEmbedded) {
		r := row{name: scEmbedded, label: "keygate forward-auth, embedded store", keygate: true, err: err}
		if err == nil {
			r.rssStart = kg.rssStart
			b.measure(ctx, &r, forwardAuthTarget(kg.addr, kg.cookie), kg.proc.pid(), http.StatusFound, b.loadOptions())
		}
		rep.rows = append(rep.rows, r)
	}
	if b.wants(scNginx) {
		r := row{name: scNginx, label: "nginx auth_request -> keygate, embedded store", keygate: true, err: err}
		if err == nil {
			var nginx *proc
			var t target
			if nginx, t, r.err = b.startNginx(ctx, kg.addr, kg.cookie); r.err == nil {
				b.measure(ctx, &r, t, kg.proc.pid(), http.StatusFound, b.loadOptions())
				nginx.stop()
			}
		}
		rep.rows = append(rep.rows, r)
	}
	if kg != nil {
		kg.proc.stop()
	}
}

// runRedis measures forward-auth on the Redis store, then the unauthenticated path.
func (b *bench) runRedis(ctx context.Context, rep *report) {
	if !b.wants(scRedis) && !b.wants(scUnauth) {
		return
	}
	redisAddr, err := b.startRedis(ctx)
	var kg *keygate
	if err == nil {
		kg, err = b.startKeygate(ctx, "redis", redisAddr)
	}
	if b.wants(scRedis) {
		r := row{name: scRedis, label: "keygate forward-auth, Redis store", keygate: true, err: err}
		if err == nil {
			r.rssStart = kg.rssStart
			b.measure(ctx, &r, forwardAuthTarget(kg.addr, kg.cookie), kg.proc.pid(), http.StatusFound, b.loadOptions())
		}
		rep.rows = append(rep.rows, r)
	}
	if b.wants(scUnauth) {
		r := row{name: scUnauth, label: "keygate no cookie -> 302 to sign-in, Redis store", keygate: true, err: err}
		if err == nil {
			rep.store = b.measureUnauthenticated(ctx, &r, kg, redisAddr)
		}
		rep.rows = append(rep.rows, r)
	}
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
// shaped by o while sampling the RSS of process pid.
func (b *bench) measure(ctx context.Context, r *row, t target, pid int, negative int, o loadOptions) {
	if r.err = preflight(ctx, t); r.err != nil {
		return
	}
	if negative != 0 {
		if err := preflight(ctx, t.without("Cookie", negative)); err != nil {
			r.err = fmt.Errorf("without the cookie: %w", err)
			return
		}
	}
	r.rssIdle, _ = readRSS(pid)
	sampler := sampleRSS(pid)
	b.logger.Info("measuring", "scenario", r.name, "duration", o.duration, "requests", o.requests, "connections", o.connections)
	r.res, r.err = runLoad(ctx, t, o)
	r.rssPeak = sampler.peak()
	if r.err == nil && ctx.Err() != nil {
		r.err = ctx.Err()
	}
}
