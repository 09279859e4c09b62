package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// The throughput scenarios (baseline, embedded, nginx, redis) run in rounds: all
// their servers are started up front, then every round runs each of them once,
// in that order, for -duration. The machine's speed drifts between runs on a
// shared host; interleaving spreads the drift over every scenario alike instead
// of letting it fall on whichever ran at a slow moment, and the per-round ratios
// to the baseline show how large it was.

// roundFigures is what one round of a throughput scenario measured.
type roundFigures struct {
	res     *result
	rssIdle uint64 // server RSS just before the round, bytes
	rssPeak uint64 // largest server RSS during the round, bytes
	// anonPeak is the anonymous part of rssPeak (RssAnon at that sample).
	anonPeak uint64
	// cpu is the CPU time the server used during the measured window.
	cpu time.Duration
}

// throughput is one scenario measured in every round: the request it sends, the
// process whose RSS it samples, and its row of the table, whose rounds it fills.
type throughput struct {
	row    row
	target target
	pid    int
	// profile is the address of the server's net/http/pprof in a profiling
	// build; "" when it has none.
	profile string
}

// servers are the long-running processes of the throughput scenarios and the
// unauthenticated one. A field is nil when no wanted scenario needs the server
// or it could not start.
type servers struct {
	baseline  *proc
	embedded  *keygate // measured directly and behind nginx
	nginx     *proc    // in front of embedded
	nginxBase *proc    // in front of the baseline
	redis     *proc
	redisAddr string
	onRedis   *keygate // measured directly and without a cookie
	redisErr  error    // why onRedis is missing
}

// idleRSS is a Keygate's RSS before any request and after its first password
// sign-in, with the default argon2id cost (the attack's or the sign-ins'
// daemon, whichever starts first).
type idleRSS struct{ started, signedIn memory }

// noteIdle keeps kg's idle RSS unless the report has one already.
func (rep *report) noteIdle(kg *keygate) {
	if rep.idle == nil {
		rep.idle = &idleRSS{started: kg.memStart, signedIn: kg.memSignedIn}
	}
}

// startServers starts the server of every throughput scenario not skipped (and
// the Redis Keygate when only the unauthenticated scenario wants it), checks each
// scenario's answer once, and returns the scenarios in the order they run in a
// round. A scenario whose server could not start or whose answer was wrong comes
// back with its row's err set.
func (b *bench) startServers(ctx context.Context) (*servers, []*throughput) {
	s := &servers{}
	byName := map[string]*throughput{}
	want := func(names ...string) bool { return slices.ContainsFunc(names, b.wants) }
	if want(scBaseline, scManyBaseline, scNginxBaseline) {
		bl, err := b.startBaseline(ctx)
		s.baseline = bl.proc
		byName[scBaseline] = &throughput{row: row{name: scBaseline, label: "baseline: Go handler, one session", err: err}, target: bl.hot, pid: bl.pid()}
		byName[scManyBaseline] = &throughput{row: row{name: scManyBaseline, label: "baseline: Go handler, " + b.manyLabel(), err: err}, target: bl.many, pid: bl.pid()}
		t := &throughput{row: row{name: scNginxBaseline, label: "nginx auth_request -> baseline", err: err}, pid: bl.pid()}
		if err == nil && b.wants(scNginxBaseline) {
			s.nginxBase, t.target, t.row.err = b.startNginx(ctx, "nginx-baseline", bl.addr, bl.hot.header.Get("Cookie"))
		}
		byName[scNginxBaseline] = t
	}
	if want(scEmbedded, scManyEmbedded, scNginx) {
		kg, err := b.startKeygate(ctx, "embedded", "", true)
		s.embedded = kg
		byName[scEmbedded] = keygateThroughput(scEmbedded, "keygate forward-auth, embedded, one session", kg, err)
		byName[scManyEmbedded] = b.manyThroughput(ctx, scManyEmbedded, "keygate forward-auth, embedded, "+b.manyLabel(), kg, err)
		// nginx asks Keygate, whose RSS is the one that matters.
		t := &throughput{row: row{name: scNginx, label: "nginx auth_request -> keygate, embedded", keygate: true, err: err}}
		if err == nil && b.wants(scNginx) {
			s.nginx, t.target, t.row.err = b.startNginx(ctx, "nginx", kg.addr, kg.cookie)
			t.pid = kg.proc.pid()
		}
		byName[scNginx] = t
	}
	if want(scRedis, scManyRedis, scUnauth) {
		s.redis, s.redisAddr, s.redisErr = b.startRedis(ctx)
		if s.redisErr == nil {
			s.onRedis, s.redisErr = b.startKeygate(ctx, "redis", s.redisAddr, true)
		}
		byName[scRedis] = keygateThroughput(scRedis, "keygate forward-auth, Redis, one session", s.onRedis, s.redisErr)
		byName[scManyRedis] = b.manyThroughput(ctx, scManyRedis, "keygate forward-auth, Redis, "+b.manyLabel(), s.onRedis, s.redisErr)
	}
	var ts []*throughput
	for _, name := range b.opts.wanted(throughputScenarios) {
		t := byName[name]
		if t.row.err == nil {
			t.row.err = checkAnswer(ctx, t.target, http.StatusUnauthorized)
		}
		ts = append(ts, t)
	}
	return s, ts
}

// manyLabel names the many-sessions scenarios' load: "10,000 sessions".
func (b *bench) manyLabel() string { return thousands(b.opts.sessions) + " sessions" }

// thousands formats n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// keygateThroughput is the forward-auth scenario of daemon kg with its one
// signed-in session, or a failed one when kg could not start (err).
func keygateThroughput(name, label string, kg *keygate, err error) *throughput {
	t := &throughput{row: row{name: name, label: label, keygate: true, err: err}}
	if err == nil {
		t.target = forwardAuthTarget(kg.addr, kg.cookie)
		t.pid = kg.proc.pid()
		t.row.rssStart = kg.rssStart
		t.profile = kg.pprofAddr
	}
	return t
}

// manyThroughput is the forward-auth scenario of daemon kg with -sessions
// sessions, which it signs in first when the scenario is wanted.
func (b *bench) manyThroughput(ctx context.Context, name, label string, kg *keygate, err error) *throughput {
	t := keygateThroughput(name, label, kg, err)
	if err != nil || !b.wants(name) {
		return t
	}
	file := filepath.Join(b.dir, name+"-cookies.txt")
	b.logger.Info("signing in", "sessions", b.opts.sessions, "scenario", name)
	if t.row.err = kg.createSessions(ctx, b.opts.sessions, file); t.row.err != nil {
		return t
	}
	lines, rerr := readLines(file)
	if rerr != nil || len(lines) == 0 {
		t.row.err = fmt.Errorf("reading %s: %v", file, rerr)
		return t
	}
	t.target = manyTarget(t.target, file, lines[0], manyIdentity.user)
	return t
}

// runRounds runs -rounds rounds of every scenario of ts that has not failed, each
// for -duration after its warm-up, and then pools each scenario's rounds into its
// row. A scenario that fails is left out of the rounds after; an interrupt ends
// the rounds at once.
func (b *bench) runRounds(ctx context.Context, ts []*throughput) {
rounds:
	for round := 1; round <= b.opts.rounds; round++ {
		for _, t := range ts {
			if ctx.Err() != nil {
				break rounds
			}
			if t.row.err != nil {
				continue
			}
			b.logger.Info("measuring", "scenario", t.row.name, "round", round, "rounds", b.opts.rounds,
				"duration", b.opts.duration, "connections", b.opts.connections)
			var prof *profileJob
			if round == b.opts.rounds && t.profile != "" {
				prof = &profileJob{addr: t.profile, path: filepath.Join(b.opts.profileDir, t.row.name+".pprof")}
			}
			var f roundFigures
			if f, t.row.err = b.measureRound(ctx, t.target, t.pid, b.opts.duration, prof); t.row.err == nil {
				t.row.rounds = append(t.row.rounds, f)
			}
		}
	}
	for _, t := range ts {
		if t.row.err == nil && len(t.row.rounds) == 0 {
			t.row.err = ctx.Err() // interrupted before its first round
		}
		t.row.pool()
	}
}

// pool sets r's figures from its rounds, as if they were one run: requests,
// answers, window, unexpected answers and errors summed (so the rate is every
// expected answer over every window), the latency histograms merged, the RSS
// before from the first round and the peak the largest of any round. Without
// rounds it leaves r as it is.
func (r *row) pool() {
	if len(r.rounds) == 0 {
		return
	}
	res := &result{hist: new(histogram)}
	r.rssIdle, r.rssPeak = r.rounds[0].rssIdle, 0
	r.cpu = 0
	for _, f := range r.rounds {
		r.cpu += f.cpu
		res.hist.merge(f.res.hist)
		res.requests += f.res.requests
		res.answers += f.res.answers
		res.window += f.res.window
		res.unexpected += f.res.unexpected
		res.errors += f.res.errors
		if res.problem == "" {
			res.problem = f.res.problem
		}
		if f.rssPeak > r.rssPeak {
			r.rssPeak, r.anonPeak = f.rssPeak, f.anonPeak
		}
	}
	r.res = res
}

// roundRatios returns r's requests/s over base's in each round both ran, or nil
// when base has no figures to compare with.
func (r *row) roundRatios(base *row) []float64 {
	if base == nil {
		return nil
	}
	var out []float64
	for i := range min(len(r.rounds), len(base.rounds)) {
		if b := base.rounds[i].res.rate(); b > 0 {
			out = append(out, r.rounds[i].res.rate()/b)
		}
	}
	return out
}

// stopAfterRounds stops the servers that no scenario after the rounds needs:
// everything but the Redis store and its Keygate, which the unauthenticated
// scenario measures unless it is skipped.
func (s *servers) stopAfterRounds(unauth bool) {
	for _, p := range []*proc{s.nginx, s.nginxBase, s.embedded.process(), s.baseline} {
		if p != nil {
			p.stop()
		}
	}
	if !unauth {
		s.stopRedis()
	}
}

// stopRedis stops the Keygate on Redis, then redis-server.
func (s *servers) stopRedis() {
	for _, p := range []*proc{s.onRedis.process(), s.redis} {
		if p != nil {
			p.stop()
		}
	}
}

// process returns the daemon's process, nil when there is no daemon.
func (kg *keygate) process() *proc {
	if kg == nil {
		return nil
	}
	return kg.proc
}
