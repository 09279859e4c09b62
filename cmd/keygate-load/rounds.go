package main

import (
	"context"
	"net/http"
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
}

// throughput is one scenario measured in every round: the request it sends, the
// process whose RSS it samples, and its row of the table, whose rounds it fills.
type throughput struct {
	row    row
	target target
	pid    int
	// negative is the status the request gets without its cookie, checked once
	// before the first round.
	negative int
}

// servers are the long-running processes of the throughput scenarios and the
// unauthenticated one. A field is nil when no wanted scenario needs the server
// or it could not start.
type servers struct {
	baseline  *proc
	embedded  *keygate // measured directly and behind nginx
	nginx     *proc
	redis     *proc
	redisAddr string
	onRedis   *keygate // measured directly and without a cookie
	redisErr  error    // why onRedis is missing
}

// startServers starts the server of every throughput scenario not skipped (and
// the Redis Keygate when only the unauthenticated scenario wants it), checks each
// scenario's answer once, and returns the scenarios in the order they run in a
// round. A scenario whose server could not start or whose answer was wrong comes
// back with its row's err set.
func (b *bench) startServers(ctx context.Context) (*servers, []*throughput) {
	s := &servers{}
	var ts []*throughput
	if b.wants(scBaseline) {
		t := &throughput{row: row{name: scBaseline, label: "baseline: Go handler, cookie looked up in a map"}, negative: http.StatusUnauthorized}
		if s.baseline, t.target, t.row.err = b.startBaseline(ctx); t.row.err == nil {
			t.pid = s.baseline.pid()
		}
		ts = append(ts, t)
	}
	if b.wants(scEmbedded) || b.wants(scNginx) {
		kg, err := b.startKeygate(ctx, "embedded", "")
		s.embedded = kg
		if b.wants(scEmbedded) {
			ts = append(ts, keygateThroughput(scEmbedded, "keygate forward-auth, embedded store", kg, err))
		}
		if b.wants(scNginx) {
			// nginx asks Keygate, whose RSS is the one that matters.
			t := &throughput{row: row{name: scNginx, label: "nginx auth_request -> keygate, embedded store", keygate: true, err: err}, negative: http.StatusFound}
			if err == nil {
				s.nginx, t.target, t.row.err = b.startNginx(ctx, kg.addr, kg.cookie)
				t.pid = kg.proc.pid()
			}
			ts = append(ts, t)
		}
	}
	if b.wants(scRedis) || b.wants(scUnauth) {
		s.redis, s.redisAddr, s.redisErr = b.startRedis(ctx)
		if s.redisErr == nil {
			s.onRedis, s.redisErr = b.startKeygate(ctx, "redis", s.redisAddr)
		}
		if b.wants(scRedis) {
			ts = append(ts, keygateThroughput(scRedis, "keygate forward-auth, Redis store", s.onRedis, s.redisErr))
		}
	}
	for _, t := range ts {
		if t.row.err == nil {
			t.row.err = checkAnswer(ctx, t.target, t.negative)
		}
	}
	return s, ts
}

// keygateThroughput is the forward-auth scenario of daemon kg, or a failed one
// when kg could not start (err).
func keygateThroughput(name, label string, kg *keygate, err error) *throughput {
	t := &throughput{row: row{name: name, label: label, keygate: true, err: err}, negative: http.StatusFound}
	if err == nil {
		t.target = forwardAuthTarget(kg.addr, kg.cookie)
		t.pid = kg.proc.pid()
		t.row.rssStart = kg.rssStart
	}
	return t
}

// runRounds runs -rounds rounds of every scenario of ts that has not failed, each
// for -duration after its warm-up, and then pools each scenario's rounds into its
// row. A scenario that fails is left out of the rounds after; an interrupt ends
// the rounds at once.
func (b *bench) runRounds(ctx context.Context, ts []*throughput) {
	o := b.loadOptions()
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
				"duration", o.duration, "connections", o.connections)
			var f roundFigures
			if f, t.row.err = measureRound(ctx, t.target, t.pid, o); t.row.err == nil {
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
	for _, f := range r.rounds {
		res.hist.merge(f.res.hist)
		res.requests += f.res.requests
		res.answers += f.res.answers
		res.window += f.res.window
		res.unexpected += f.res.unexpected
		res.errors += f.res.errors
		if res.problem == "" {
			res.problem = f.res.problem
		}
		r.rssPeak = max(r.rssPeak, f.rssPeak)
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
	for _, p := range []*proc{s.nginx, s.embedded.process(), s.baseline} {
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
