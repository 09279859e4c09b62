package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"slices"
	"sync"
	"time"
)

// The attack scenario times a legitimate password sign-in while wrong sign-ins
// arrive at -attack-rate per second, each from an address of its own (sent as
// X-Forwarded-For, which Keygate believes from loopback, its default trusted
// proxy) and for a username of its own, so that regulation bans neither and
// every one costs Keygate a full argon2id hash (an unknown user's is hashed
// against a dummy of the same cost).
//
// The legitimate user is a returning one: its browser (a cookie jar) signs in
// once before the attack begins, which gives it Keygate's known-device cookie,
// and then signs in again and again, one sign-in at a time, carrying that jar,
// for -attack-duration, after the attack has run for attackLead. Meanwhile a
// first-time user, whose browser has no device cookie, signs in the same way
// (each one a fresh jar), so that the report shows what the attack does to
// someone Keygate has never seen: with its hashing capacity taken by the
// botnet, such a sign-in is expected to be refused. A sign-in answered 429
// (not checked in time) tries again a second later, as a person would; its
// time runs until it succeeds, or, for a first-time user, until the attack
// ends. Both come from loopback itself, an address no attacker has.

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
	legit     []time.Duration // each returning user's sign-in's duration, sorted
	legitOK   int             // returning user's sign-ins answered 200 with a cookie
	retried   int             // of them, answered 429 at first and signed in on a later try
	problem   string          // the first returning user's sign-in that failed
	first     firstTimeCheck  // the first-time users' sign-ins
	err       error           // the scenario could not run
}

// firstTimeCheck is what the first-time users met under the attack.
type firstTimeCheck struct {
	users   int             // first-time users who tried, one after the other, each until it signed in or the attack ended
	ok      int             // of them, signed in
	tries   int             // sign-in requests they sent
	busy    int             // of the requests, answered 429
	took    []time.Duration // each successful one's duration, sorted
	problem string          // the first answer other than 200 or 429
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
	returning := newBrowser()
	if err := kg.signInWith(ctx, returning); err != nil {
		ac.err = fmt.Errorf("returning user's first sign-in, before the attack: %w", err)
		return
	}
	if !hasDeviceCookie(kg, returning) {
		ac.err = fmt.Errorf("returning user's first sign-in set no %s cookie", deviceCookieName)
		return
	}
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
	var firstTimers sync.WaitGroup
	firstTimers.Go(func() { ac.first.run(ctx, kg, end) })
	for ctx.Err() == nil && time.Now().Before(end) {
		begin := time.Now()
		tries, err := signInPatientlyWith(ctx, kg, returning, begin.Add(signInTimeout))
		ac.legit = append(ac.legit, time.Since(begin))
		if err == nil {
			ac.legitOK++
			if tries > 1 {
				ac.retried++
			}
		} else if ac.problem == "" {
			ac.problem = err.Error()
		}
	}
	firstTimers.Wait()
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

// run signs first-time users in until end, one after the other, each with a
// fresh browser, trying again a second after each 429: the next one begins
// when one has signed in, and the last gives up when end comes. A refusal
// other than 429 ends the run.
func (fc *firstTimeCheck) run(ctx context.Context, kg *keygate, end time.Time) {
	defer slices.Sort(fc.took)
	for ctx.Err() == nil && time.Now().Before(end) {
		fc.users++
		begin := time.Now()
		tries, err := signInPatientlyWith(ctx, kg, newBrowser(), end)
		fc.tries += tries
		fc.busy += tries - 1
		switch {
		case err == nil:
			fc.ok++
			fc.took = append(fc.took, time.Since(begin))
		case errors.Is(err, errSignInBusy):
			fc.busy++
			return
		default:
			fc.problem = err.Error()
			return
		}
	}
}

// deviceCookieName is Keygate's known-device cookie.
const deviceCookieName = "keygate_device"

// newBrowser is a browser's cookie jar: it keeps what the portal sets and
// sends it back, as a browser does (by the request's Host, the portal's name,
// not the loopback address it connects to).
func newBrowser() *http.Client {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &http.Client{Jar: jar, Timeout: signInTimeout}
}

// hasDeviceCookie reports whether browser holds the portal's device cookie.
// The jar keeps cookies by the request's Host, the portal's name.
func hasDeviceCookie(kg *keygate, browser *http.Client) bool {
	host, _ := kg.portal()
	return slices.ContainsFunc(browser.Jar.Cookies(&url.URL{Scheme: "http", Host: host, Path: "/"}), func(c *http.Cookie) bool {
		return c.Name == deviceCookieName && c.Value != ""
	})
}

// signInPatientlyWith signs the load user in with browser, trying again after
// a 429 until deadline, and returns the tries made and the last error.
func signInPatientlyWith(ctx context.Context, kg *keygate, browser *http.Client, deadline time.Time) (int, error) {
	for tries := 1; ; tries++ {
		err := kg.signInWith(ctx, browser)
		if !errors.Is(err, errSignInBusy) || time.Now().Add(signinRetryPause).After(deadline) {
			return tries, err
		}
		sleepCtx(ctx, signinRetryPause)
	}
}

// signInWith signs the load user in through the portal's API with browser,
// which sends the cookies it holds and keeps those the answer sets; the
// answer must set a session cookie.
func (kg *keygate) signInWith(ctx context.Context, browser *http.Client) error {
	body, _ := json.Marshal(map[string]string{"username": loadIdentity.user, "password": kg.password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+kg.addr+"/api/login/password", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("building sign-in request: %w", err)
	}
	host, origin := kg.portal()
	req.Host = host
	req.Header.Set("Origin", origin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := browser.Do(req)
	if err != nil {
		return fmt.Errorf("signing in: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode == http.StatusTooManyRequests {
		return fmt.Errorf("%w: %s", errSignInBusy, answer)
	}
	if resp.StatusCode != http.StatusOK {
		return &statusError{code: resp.StatusCode, answer: string(answer)}
	}
	if !slices.ContainsFunc(resp.Cookies(), func(c *http.Cookie) bool { return c.Name == cookieName && c.Value != "" }) {
		return fmt.Errorf("%w: no %s cookie in the answer", errSignIn, cookieName)
	}
	return nil
}
