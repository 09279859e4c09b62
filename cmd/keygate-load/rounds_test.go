package main

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// roundOf returns a round whose histogram holds latencies and whose counts are as given.
func roundOf(latencies []time.Duration, window time.Duration, unexpected, errs uint64, problem string, rssIdle, rssPeak uint64) roundFigures {
	res := &result{hist: new(histogram), window: window, unexpected: unexpected, errors: errs, problem: problem}
	for _, d := range latencies {
		res.hist.record(d)
	}
	res.requests = res.hist.total
	res.answers = res.requests + unexpected + 7 // warm-up answers too
	return roundFigures{res: res, rssIdle: rssIdle, rssPeak: rssPeak}
}

func TestPoolSumsRoundsAsOneRun(t *testing.T) {
	fast := make([]time.Duration, 300) // a fast round: 300 answers of 1 ms in 1 s
	for i := range fast {
		fast[i] = time.Millisecond
	}
	slow := make([]time.Duration, 100) // a slow one: 100 answers of 4 ms in 2 s
	for i := range slow {
		slow[i] = 4 * time.Millisecond
	}
	r := row{rounds: []roundFigures{
		roundOf(fast, time.Second, 0, 0, "", 10<<20, 30<<20),
		roundOf(slow, 2*time.Second, 2, 1, "status 500, want 200", 25<<20, 35<<20),
		roundOf(nil, time.Second, 0, 3, "error: refused", 28<<20, 20<<20),
	}}
	r.pool()

	var all histogram
	for _, f := range r.rounds {
		all.merge(f.res.hist)
	}
	want := &result{
		hist:       &all,
		requests:   400,
		answers:    300 + 7 + 100 + 2 + 7 + 0 + 7,
		window:     4 * time.Second,
		unexpected: 2,
		errors:     4,
		problem:    "status 500, want 200", // the first round's with one
	}
	if diff := cmp.Diff(want, r.res, cmp.AllowUnexported(result{}, histogram{})); diff != "" {
		t.Errorf("pooled result differs (-want +got):\n%s", diff)
	}
	if got := r.res.rate(); got != 100 {
		t.Errorf("pooled rate = %v, want 100 (400 answers in 4 s), not the mean of the rounds' rates", got)
	}
	if got := r.res.hist.quantile(0.5); got < time.Millisecond || got > time.Millisecond*129/128 {
		t.Errorf("pooled p50 = %v, want 1 ms (three quarters of the answers took 1 ms)", got)
	}
	if r.rssIdle != 10<<20 {
		t.Errorf("pooled RSS before = %d, want the first round's %d", r.rssIdle, 10<<20)
	}
	if r.rssPeak != 35<<20 {
		t.Errorf("pooled RSS peak = %d, want the largest of the rounds, %d", r.rssPeak, 35<<20)
	}
	for i, f := range r.rounds {
		if f.res == r.res || f.res.hist == r.res.hist {
			t.Errorf("round %d shares its figures with the pooled ones, want a copy", i+1)
		}
	}
}

func TestPoolWithoutRoundsLeavesTheRow(t *testing.T) {
	res := &result{hist: new(histogram), requests: 5, window: time.Second}
	r := row{res: res, rssIdle: 1, rssPeak: 2}
	r.pool()
	if r.res != res || r.rssIdle != 1 || r.rssPeak != 2 {
		t.Errorf("pool without rounds changed the row: res %p (want %p), RSS %d/%d (want 1/2)", r.res, res, r.rssIdle, r.rssPeak)
	}
}

func TestRoundRatios(t *testing.T) {
	rate := func(perSecond uint64) roundFigures {
		return roundFigures{res: &result{hist: new(histogram), requests: perSecond, window: time.Second}}
	}
	base := &row{rounds: []roundFigures{rate(1000), rate(800), rate(1200)}}
	kg := &row{rounds: []roundFigures{rate(900), rate(760)}} // interrupted during its third round
	got := kg.roundRatios(base)
	want := []float64{0.9, 0.95}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })); diff != "" {
		t.Errorf("roundRatios differs (-want +got):\n%s", diff)
	}
	if got := kg.roundRatios(nil); got != nil {
		t.Errorf("roundRatios without a baseline = %v, want nil", got)
	}
}
