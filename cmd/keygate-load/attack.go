package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// The attack scenario times a legitimate password sign-in while wrong sign-ins
// arrive at -attack-rate per second, each from an address of its own (sent as
// X-Forwarded-For, which Keygate believes from loopback, its default trusted
// proxy) and for a username of its own, so that regulation bans neither and
// every one costs Keygate a full argon2id hash (an unknown user's is hashed
// against a dummy of the same cost). The legitimate user signs in again and
// again, one sign-in at a time, from its own address, for -attack-duration,
// after the attack has run for attackLead. A legitimate sign-in answered 429
// (not checked in time) tries again a second later, as a person would; its
// time runs until it succeeds. It comes from loopback itself, an address no
// attacker has.

const (
	// attackLead is how long the wrong sign-ins arrive before the first
	// legitimate one is timed, so that it meets the queue they build.
	attackLead = 2 * time.Second
	// attackTimeout is how long a wrong sign-in waits for its answer; an
	// attacker has no reason to wait longer, and Keygate drops a sign-in whose
	// request is gone while it waits for a hashing slot.
	attackTimeout = 10 * time.Second
)

// attackCheck is what the attack scenario measured.
type attackCheck struct {
	rate      int             // wrong sign-ins sent per second
	sent      int             // wrong sign-ins sent
	refused   int             // answered 401, as a wrong password should be
	otherwise int             // answered otherwise, or not within attackTimeout
	legit     []time.Duration // each legitimate sign-in's duration, sorted
	legitOK   int             // legitimate sign-ins answered 200 with a cookie
	problem   string          // the first legitimate sign-in that failed
	err       error           // the scenario could not run
}

// p returns the quantile q of the legitimate sign-ins' durations (nearest rank).
func (ac *attackCheck) p(q float64) time.Duration {
	if len(ac.legit) == 0 {
		return 0
	}
	i := int(q*float64(len(ac.legit))+0.999999) - 1
	return ac.legit[min(max(i, 0), len(ac.legit)-1)]
}

// failed reports whether the scenario could not run. A legitimate sign-in
// that fails under attack is a missed target, not a failure of the run.
func (ac *attackCheck) failed() bool {
	return ac.err != nil || len(ac.legit) == 0
}

// runAttack starts a Keygate on the embedded store and times the legitimate
// sign-ins under the attack.
func (b *bench) runAttack(ctx context.Context, rep *report) {
	if !b.wants(scAttack) {
		return
	}
	ac := &attackCheck{rate: b.opts.attackRate}
	rep.attack = ac
	kg, err := b.startKeygate(ctx, "attack", "", false)
	if err != nil {
		ac.err = err
		return
	}
	defer kg.proc.stop()
	rep.noteIdle(kg)
	b.logger.Info("measuring", "scenario", scAttack, "wrong sign-ins per second", ac.rate, "duration", b.opts.attackDuration)
	actx, stopAttack := context.WithCancel(ctx)
	var wg sync.WaitGroup
	results := make(chan error, 1024)
	wg.Go(func() { ac.sent = attack(actx, kg, ac.rate, results) })
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		for err := range results {
			if isStatus(err, http.StatusUnauthorized) {
				ac.refused++
			} else {
				ac.otherwise++
			}
		}
	}()
	select {
	case <-time.After(attackLead):
	case <-ctx.Done():
	}
	end := time.Now().Add(b.opts.attackDuration)
	for ctx.Err() == nil && time.Now().Before(end) {
		begin := time.Now()
		_, err := signInPatiently(ctx, kg, begin.Add(signInTimeout))
		ac.legit = append(ac.legit, time.Since(begin))
		if err == nil {
			ac.legitOK++
		} else if ac.problem == "" {
			ac.problem = err.Error()
		}
	}
	stopAttack()
	wg.Wait()
	close(results)
	<-counted
	slices.Sort(ac.legit)
	ac.err = ctx.Err()
}

// attack sends rate wrong sign-ins per second, each in its own goroutine, until
// ctx ends; it sends each one's outcome on results once all have ended and
// returns how many it sent.
func attack(ctx context.Context, kg *keygate, rate int, results chan<- error) int {
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return n
		case <-tick.C:
		}
		wg.Go(func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), attackTimeout)
			defer cancel()
			_, err := kg.signInAs(sctx, fmt.Sprintf("guess%d", n), randomToken(), attackerAddress(n))
			if err == nil {
				err = errors.New("a wrong password signed in")
			}
			results <- err
		})
	}
}

// attackerAddress returns the n-th attacking address, a distinct one in
// 10.0.0.0/8 for each of the first 16 million.
func attackerAddress(n int) string {
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], 10<<24|uint32(n+1)&(1<<24-1))
	return netip.AddrFrom4(a).String()
}

// isStatus reports whether err is a sign-in refused with status code.
func isStatus(err error, code int) bool {
	var s *statusError
	return errors.As(err, &s) && s.code == code
}
