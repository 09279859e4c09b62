package main

import (
	"context"
	"slices"
	"sync"
	"time"
)

// signinCheck is what the concurrent sign-in scenario measured.
type signinCheck struct {
	n       int           // sign-ins sent at once
	ok      int           // answered 200 with a session cookie
	elapsed time.Duration // from sending them to the last answer
	p50     time.Duration // of the sign-ins' own durations
	rssIdle uint64        // before them: the daemon after its own first sign-in
	rssPeak uint64        // sampled every 100 ms while they ran
	rssDone uint64        // idleSettle after the last answer
	problem string        // the first failure
	err     error         // the scenario could not run
}

// runSignins starts a daemon on the embedded store and signs the load user in
// -signins times at once, with the right password, sampling the daemon's RSS.
func (b *bench) runSignins(ctx context.Context, rep *report) {
	if !b.wants(scSignins) || b.opts.signins <= 0 {
		return
	}
	sc := &signinCheck{n: b.opts.signins}
	rep.signins = sc
	kg, err := b.startKeygate(ctx, "signins", "", false)
	if err != nil {
		sc.err = err
		return
	}
	defer kg.proc.stop()
	rep.noteIdle(kg)
	pid := kg.proc.pid()
	sc.rssIdle, _ = readRSS(pid)
	b.logger.Info("measuring", "scenario", scSignins, "sign-ins", sc.n)
	sampler := sampleRSS(pid)
	start := time.Now()
	errs, took := make([]error, sc.n), make([]time.Duration, sc.n)
	var wg sync.WaitGroup
	for i := range sc.n {
		wg.Go(func() {
			begin := time.Now()
			_, errs[i] = kg.signIn(ctx)
			took[i] = time.Since(begin)
		})
	}
	wg.Wait()
	sc.elapsed = time.Since(start)
	sc.rssPeak = sampler.peak()
	if sc.err = settle(ctx); sc.err != nil {
		return
	}
	sc.rssDone, _ = readRSS(pid)
	for _, err := range errs {
		if err == nil {
			sc.ok++
		} else if sc.problem == "" {
			sc.problem = err.Error()
		}
	}
	slices.Sort(took)
	sc.p50 = took[len(took)/2]
}

// failed reports whether a sign-in failed or the scenario could not run.
func (sc *signinCheck) failed() bool {
	return sc.err != nil || sc.ok != sc.n
}
