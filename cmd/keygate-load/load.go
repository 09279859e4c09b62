package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// requestGrace is how long a request started inside the measured window may
	// still take after it closes before it is cancelled.
	requestGrace = 10 * time.Second
	// errorPause keeps a worker from spinning while its server refuses connections.
	errorPause = 10 * time.Millisecond
	// maxCountedRun bounds a run that ends after a number of requests, should the
	// server be far slower than expected.
	maxCountedRun = 10 * time.Minute
)

// target is the one request a scenario sends over and over, and the answer it expects.
type target struct {
	url      string      // absolute URL on 127.0.0.1
	host     string      // Host header; "" for the URL's
	header   http.Header // sent as is (Cookie included)
	want     int         // the expected status
	wantUser string      // the expected Remote-User on the answer; "" checks none
}

// newRequest builds the request once; a worker sends it again after each answer.
func (t target) newRequest(ctx context.Context) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url, nil)
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	req.Header = t.header.Clone()
	if t.host != "" {
		req.Host = t.host
	}
	return req, nil
}

// without returns a copy of t without header name, expecting status want and no user.
func (t target) without(name string, want int) target {
	t.header = t.header.Clone()
	t.header.Del(name)
	t.want, t.wantUser = want, ""
	return t
}

// loadOptions shape one load run.
type loadOptions struct {
	connections int           // concurrent workers, one keep-alive connection each
	warmup      time.Duration // run but not recorded
	duration    time.Duration // the measured window
	// requests, when not 0, ends the run after this many requests in all, warm-up
	// included, instead of after duration; the window is then the time from the
	// end of the warm-up to the last answer.
	requests uint64
}

// result is what one load run measured.
type result struct {
	hist       *histogram
	requests   uint64        // expected answers completed inside the window
	answers    uint64        // every answer, warm-up included
	window     time.Duration // the measured window
	unexpected uint64        // answers with another status, warm-up included
	errors     uint64        // transport errors, warm-up included
	problem    string        // the first unexpected answer or error
}

// rate returns the expected answers per second inside the window.
func (r *result) rate() float64 {
	if r.window <= 0 {
		return 0
	}
	return float64(r.requests) / r.window.Seconds()
}

// clean reports whether every answer was the expected one.
func (r *result) clean() bool { return r.unexpected == 0 && r.errors == 0 }

// newClient returns a client that keeps up to conns connections alive to one
// host, follows no redirect, asks for no compression and uses no proxy.
func newClient(conns int) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// runLoad sends t's request from o.connections workers for o.warmup and then
// o.duration (or until o.requests were sent), and records the latencies of the
// answers inside the second period.
func runLoad(ctx context.Context, t target, o loadOptions) (*result, error) {
	client := newClient(o.connections)
	defer client.CloseIdleConnections()
	from := time.Now().Add(o.warmup)
	to := from.Add(o.duration)
	var budget *atomic.Int64
	if o.requests > 0 {
		to = from.Add(maxCountedRun)
		budget = new(atomic.Int64)
		budget.Store(int64(o.requests))
	}
	ctx, cancel := context.WithDeadline(ctx, to.Add(requestGrace))
	defer cancel()
	workers := make([]*worker, o.connections)
	var wg sync.WaitGroup
	for i := range workers {
		req, err := t.newRequest(ctx)
		if err != nil {
			return nil, err
		}
		w := &worker{hist: new(histogram), from: from, to: to, want: t.want, budget: budget}
		workers[i] = w
		wg.Add(1)
		go func() { defer wg.Done(); w.run(ctx, client, req) }()
	}
	wg.Wait()
	window := o.duration
	if budget != nil {
		window = max(0, time.Since(from))
	}
	return collect(workers, window), nil
}

// collect merges the workers' counts into one result.
func collect(workers []*worker, window time.Duration) *result {
	r := &result{hist: new(histogram), window: window}
	for _, w := range workers {
		r.hist.merge(w.hist)
		r.requests += w.requests
		r.answers += w.answers
		r.unexpected += w.unexpected
		r.errors += w.errors
		if r.problem == "" {
			r.problem = w.problem
		}
	}
	return r
}

// worker sends one request at a time over its connection and keeps its own counts.
type worker struct {
	hist       *histogram
	from, to   time.Time     // the measured window
	budget     *atomic.Int64 // requests left to send, shared; nil: until to
	want       int
	requests   uint64
	answers    uint64
	unexpected uint64
	errors     uint64
	problem    string
}

// run sends req until the window closes or ctx ends.
func (w *worker) run(ctx context.Context, client *http.Client, req *http.Request) {
	for ctx.Err() == nil {
		begin := time.Now()
		if !begin.Before(w.to) || w.budget != nil && w.budget.Add(-1) < 0 {
			return
		}
		status, err := send(client, req)
		end := time.Now()
		if err == nil {
			w.answers++
		}
		switch {
		case err != nil:
			w.fail(fmt.Sprintf("error: %v", err))
			time.Sleep(errorPause)
		case status != w.want:
			w.unexpected++
			w.note(fmt.Sprintf("status %d, want %d", status, w.want))
		case !begin.Before(w.from) && !end.After(w.to):
			w.requests++
			w.hist.record(end.Sub(begin))
		}
	}
}

// fail counts a transport error, unless it is only the run being cut short.
func (w *worker) fail(problem string) {
	if time.Now().After(w.to) {
		return
	}
	w.errors++
	w.note(problem)
}

func (w *worker) note(problem string) {
	if w.problem == "" {
		w.problem = problem
	}
}

// send does one request, reads the whole answer so that the connection is reused,
// and returns the status.
func send(client *http.Client, req *http.Request) (int, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

// preflight sends t's request once and checks the status and Remote-User, so that
// a scenario that would measure the wrong answer fails before it starts.
func preflight(ctx context.Context, t target) error {
	client := newClient(1)
	defer client.CloseIdleConnections()
	req, err := t.newRequest(ctx)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("preflight: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != t.want {
		return fmt.Errorf("preflight %s: status %d, want %d", t.url, resp.StatusCode, t.want)
	}
	if got := resp.Header.Get("Remote-User"); got != t.wantUser {
		return fmt.Errorf("preflight %s: Remote-User %q, want %q", t.url, got, t.wantUser)
	}
	return nil
}
