package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// target is the one request a scenario sends over and over, and the answer it expects.
type target struct {
	url      string      // absolute URL on 127.0.0.1
	host     string      // Host header; "" for the URL's
	header   http.Header // sent as is (Cookie included)
	want     int         // the expected status
	wantUser string      // the expected Remote-User on the answer; "" checks none
	// cookies, when not "", is a file of Cookie header values, one a line: the
	// load sends a random one each time; header's Cookie is the first of them.
	cookies string
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

// result is what one load run measured.
type result struct {
	hist       *histogram
	requests   uint64        // expected answers completed inside the window
	answers    uint64        // every answer inside the window
	window     time.Duration // the measured window
	unexpected uint64        // answers with a status other than 2xx or 3xx
	errors     uint64        // transport errors and timeouts
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
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
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
