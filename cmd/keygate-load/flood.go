package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The flood scenario's shape.
const (
	// floodAuthRate is the paced forward-auth load, requests/s from floodAuthWorkers.
	floodAuthRate    = 500
	floodAuthWorkers = 4
	// floodWarmup runs the junk before anything is measured in each round, so
	// that the pool has seen the flooding addresses.
	floodWarmup = 3 * time.Second
	// floodRounds alternate idle and flooded windows, so that a drift of the
	// machine's speed falls on both alike.
	floodRounds = 3
	// legitEvery paces the legitimate sign-ins during the flood.
	legitEvery = time.Second
	// guessBurst is how many wrong passwords for one user are sent at once.
	guessBurst = 50
	// guessTimeout bounds one junk or burst sign-in.
	guessTimeout = 60 * time.Second
)

// floodCheck is what the flood scenario measured.
type floodCheck struct {
	idle, flooded  *histogram // forward-auth latencies, from each request's planned start
	idleBad        uint64     // forward-auth answers other than 200, or errors
	floodedBad     uint64
	junk           statusCount     // answers to the junk sign-ins
	junkChecked    int             // wrong passwords the daemon checked during the flood
	legit          []time.Duration // the legitimate sign-ins' durations
	legitOK        int
	legitProblem   string
	burstAnswers   statusCount // answers to guessBurst wrong passwords for the load user
	burstChecked   int         // of them, how many the daemon checked
	rightDuringBan int         // status of the right password after the burst
	err            error
}

// statusCount counts answers by status; 0 is a transport error.
type statusCount struct {
	mu sync.Mutex
	n  map[int]int
}

func (s *statusCount) add(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == nil {
		s.n = map[int]int{}
	}
	s.n[status]++
}

func (s *statusCount) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for _, status := range slices.Sorted(func(yield func(int) bool) {
		for k := range s.n {
			if !yield(k) {
				return
			}
		}
	}) {
		name := fmt.Sprint(status)
		if status == 0 {
			name = "error"
		}
		parts = append(parts, fmt.Sprintf("%s: %d", name, s.n[status]))
	}
	return strings.Join(parts, ", ")
}

// runFlood starts a daemon on the embedded store and, in floodRounds rounds
// that share -flood-duration, measures its forward-auth latency at a paced
// floodAuthRate while idle, then floods it with -junk-rate wrong-password
// sign-ins a second from -junk-addresses addresses (X-Forwarded-For from
// loopback, a trusted proxy) and, after floodWarmup, measures forward-auth
// again while signing the load user in every legitEvery from an address of
// its own. Last, it sends guessBurst wrong passwords for the load user at
// once and then the right one.
func (b *bench) runFlood(ctx context.Context, rep *report) {
	if !b.wants(scFlood) {
		return
	}
	fc := &floodCheck{}
	rep.flood = fc
	kg, err := b.startKeygate(ctx, "flood", "", false)
	if err != nil {
		fc.err = err
		return
	}
	defer kg.proc.stop()
	t := forwardAuthTarget(kg.addr, kg.cookie)
	fc.idle, fc.flooded = new(histogram), new(histogram)
	window := b.opts.floodDuration / floodRounds
	before := countLog(kg.proc.log, `msg="sign-in failed"`)
	for round := range floodRounds {
		b.logger.Info("measuring", "scenario", scFlood, "round", round+1, "idle", window, "flooded", window)
		fc.round(ctx, b, kg, t, window)
	}
	fc.junkChecked = countLog(kg.proc.log, `msg="sign-in failed"`) - before
	b.logger.Info("measuring", "scenario", scFlood, "phase", "burst", "wrong passwords", guessBurst)
	fc.burst(ctx, kg)
}

// round measures forward-auth idle for window, then floods the daemon with
// junk sign-ins and, after floodWarmup, measures forward-auth and the
// legitimate sign-ins for window. Cancelling the junk ends its requests, and
// so their checks waiting in the daemon, before the next round.
func (fc *floodCheck) round(ctx context.Context, b *bench, kg *keygate, t target, window time.Duration) {
	h, bad := pacedLoad(ctx, t, window)
	fc.idle.merge(h)
	fc.idleBad += bad
	junkCtx, stopJunk := context.WithCancel(ctx)
	var junk sync.WaitGroup
	junk.Go(func() { b.sendJunk(junkCtx, kg, &fc.junk) })
	sleepCtx(ctx, floodWarmup)
	var legit sync.WaitGroup
	legit.Go(func() { fc.signInEvery(ctx, kg, window) })
	h, bad = pacedLoad(ctx, t, window)
	fc.flooded.merge(h)
	fc.floodedBad += bad
	legit.Wait()
	stopJunk()
	junk.Wait()
}

// pacedLoad sends t's request floodAuthRate times a second for d from
// floodAuthWorkers workers and records each latency from the request's planned
// start, so that a stall counts for every request it delayed.
func pacedLoad(ctx context.Context, t target, d time.Duration) (*histogram, uint64) {
	client := newClient(floodAuthWorkers)
	defer client.CloseIdleConnections()
	interval := time.Second * floodAuthWorkers / floodAuthRate
	start := time.Now()
	hists := make([]*histogram, floodAuthWorkers)
	var bad atomic.Uint64
	var wg sync.WaitGroup
	for i := range floodAuthWorkers {
		hists[i] = new(histogram)
		wg.Go(func() {
			req, err := t.newRequest(ctx)
			if err != nil {
				bad.Add(1)
				return
			}
			for next := start.Add(interval * time.Duration(i) / floodAuthWorkers); next.Before(start.Add(d)); next = next.Add(interval) {
				sleepCtx(ctx, time.Until(next))
				if ctx.Err() != nil {
					return
				}
				status, err := send(client, req)
				if err != nil || status != t.want {
					bad.Add(1)
					continue
				}
				hists[i].record(time.Since(next))
			}
		})
	}
	wg.Wait()
	h := new(histogram)
	for _, o := range hists {
		h.merge(o)
	}
	return h, bad.Load()
}

// sendJunk sends wrong passwords for unknown users at -junk-rate a second,
// each from the next of -junk-addresses addresses, until ctx ends.
func (b *bench) sendJunk(ctx context.Context, kg *keygate, counts *statusCount) {
	client := signInClient(maxJunkConns)
	defer client.CloseIdleConnections()
	tick := time.NewTicker(time.Second / time.Duration(b.opts.junkRate))
	defer tick.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		addr := fmt.Sprintf("10.77.%d.%d", i%b.opts.junkAddresses/250, i%b.opts.junkAddresses%250+1)
		wg.Go(func() {
			status, err := kg.passwordSignIn(ctx, client, fmt.Sprintf("junk%d", i%1000), "wrong", addr)
			if ctx.Err() == nil || err == nil {
				counts.add(status)
			}
		})
	}
}

// signInEvery signs the load user in with the right password every
// legitEvery for d, each time from a new address, one at a time.
func (fc *floodCheck) signInEvery(ctx context.Context, kg *keygate, d time.Duration) {
	client := signInClient(guessBurst)
	defer client.CloseIdleConnections()
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end) && ctx.Err() == nil; i++ {
		begin := time.Now()
		status, err := kg.passwordSignIn(ctx, client, loadIdentity.user, kg.password, fmt.Sprintf("10.200.0.%d", i%250+1))
		fc.legit = append(fc.legit, time.Since(begin))
		if status == http.StatusOK {
			fc.legitOK++
		} else if fc.legitProblem == "" {
			fc.legitProblem = fmt.Sprintf("status %d: %v", status, err)
		}
		sleepCtx(ctx, time.Until(begin.Add(legitEvery)))
	}
}

// burst sends guessBurst wrong passwords for the load user at once, each from
// its own address, counts how many the daemon checked, and then sends the
// right password from yet another address.
func (fc *floodCheck) burst(ctx context.Context, kg *keygate) {
	client := signInClient(guessBurst)
	defer client.CloseIdleConnections()
	before := countLog(kg.proc.log, `msg="sign-in failed"`, " user="+loadIdentity.user+" ")
	var wg sync.WaitGroup
	for i := range guessBurst {
		wg.Go(func() {
			status, _ := kg.passwordSignIn(ctx, client, loadIdentity.user, "wrong", fmt.Sprintf("10.50.0.%d", i+1))
			fc.burstAnswers.add(status)
		})
	}
	wg.Wait()
	fc.burstChecked = countLog(kg.proc.log, `msg="sign-in failed"`, " user="+loadIdentity.user+" ") - before
	fc.rightDuringBan, _ = kg.passwordSignIn(ctx, client, loadIdentity.user, kg.password, "10.51.0.1")
}

// passwordSignIn posts a sign-in as a browser at client address xff behind a
// trusted proxy would, and returns the status (0 on a transport error).
func (kg *keygate) passwordSignIn(ctx context.Context, client *http.Client, user, password, xff string) (int, error) {
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+kg.addr+"/api/login/password", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	host, origin := kg.portal()
	req.Host = host
	req.Header.Set("Origin", origin)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", xff)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// maxJunkConns bounds the junk's keep-alive connections: reused, they spare
// both sides a TCP handshake per sign-in, which would weigh on the CPUs the
// generator shares with the daemon.
const maxJunkConns = 512

// signInClient returns a client for sign-ins that keeps up to conns
// connections alive.
func signInClient(conns int) *http.Client {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: 90 * time.Second, DisableCompression: true}
	return &http.Client{Transport: tr, Timeout: guessTimeout}
}

// countLog counts the lines of the file at path that contain every one of subs.
func countLog(path string, subs ...string) int {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !slices.ContainsFunc(subs, func(s string) bool { return !strings.Contains(line, s) }) {
			n++
		}
	}
	return n
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
