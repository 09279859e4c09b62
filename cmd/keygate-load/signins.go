package main

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// signinCheck is what the concurrent sign-in scenario measured.
type signinCheck struct {
	n       int           // sign-ins sent at once
	ok      int           // answered 200 with a session cookie
	retried int           // of them, answered 429 at first and signed in on a later try
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
// A sign-in answered 429 (the daemon could not check it within its wait) tries
// again after signinRetryPause, as a person would, until signInTimeout.
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
	errs, took, tries := make([]error, sc.n), make([]time.Duration, sc.n), make([]int, sc.n)
	var wg sync.WaitGroup
	for i := range sc.n {
		wg.Go(func() {
			begin := time.Now()
			tries[i], errs[i] = signInPatiently(ctx, kg, begin.Add(signInTimeout))
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
	for i, err := range errs {
		switch {
		case err == nil:
			sc.ok++
			if tries[i] > 1 {
				sc.retried++
			}
		case sc.problem == "":
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

// signinRetryPause is how long a sign-in answered 429 waits before it tries again.
const signinRetryPause = time.Second

// signInPatiently signs in, trying again after a 429 until deadline, and
// returns the tries made and the last error.
func signInPatiently(ctx context.Context, kg *keygate, deadline time.Time) (int, error) {
	for tries := 1; ; tries++ {
		_, err := kg.signIn(ctx)
		if !errors.Is(err, errSignInBusy) || time.Now().Add(signinRetryPause).After(deadline) {
			return tries, err
		}
		sleepCtx(ctx, signinRetryPause)
	}
}
