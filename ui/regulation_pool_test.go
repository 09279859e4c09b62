package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// poolCall is one acquire run in its own goroutine.
type poolCall struct {
	key  poolKey
	done chan error
	rel  func()
}

// startAcquire starts an acquire of the anonymous client key.
func startAcquire(p *hashPool, key string) *poolCall {
	return startAcquireCtx(context.Background(), p, anonymousKey(key))
}

func startAcquireCtx(ctx context.Context, p *hashPool, key poolKey) *poolCall {
	c := &poolCall{key: key, done: make(chan error, 1)}
	go func() {
		rel, err := p.acquire(ctx, key)
		c.rel = rel
		c.done <- err
	}()
	return c
}

// waitQueued waits until n checks wait in p.
func waitQueued(t *testing.T, p *hashPool, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		p.mu.Lock()
		got := len(p.waiting)
		p.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("checks waiting: got %d, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// granted returns the first of calls to finish, and its error.
func granted(t *testing.T, calls ...*poolCall) (*poolCall, error) {
	t.Helper()
	type result struct {
		call *poolCall
		err  error
	}
	results := make(chan result, len(calls))
	done := make(chan struct{})
	defer close(done)
	for _, c := range calls {
		go func() {
			select {
			case err := <-c.done:
				c.done <- err // leave it for a later look
				results <- result{c, err}
			case <-done:
			}
		}()
	}
	select {
	case r := <-results:
		return r.call, r.err
	case <-time.After(5 * time.Second):
		t.Fatal("no check was granted a slot")
		return nil, nil
	}
}

func TestHashPoolPrefersQuietClient(t *testing.T) {
	c := newTestClock()
	p := newHashPool(1, c.now)
	first := startAcquire(p, "198.51.100.1")
	if err := <-first.done; err != nil {
		t.Fatalf("first acquire: %v", err)
	}
	var flood []*poolCall
	for i := range 5 {
		flood = append(flood, startAcquire(p, "198.51.100.1"))
		waitQueued(t, p, i+1)
	}
	c.advance(time.Second)
	quiet := startAcquire(p, "192.0.2.7")
	waitQueued(t, p, 6)
	first.rel()
	got, err := granted(t, append(flood, quiet)...)
	if err != nil || got != quiet {
		t.Errorf("slot went to %s (err %v), want the quiet client 192.0.2.7 before 5 earlier checks of a flooding one", got.key, err)
	}
}

func TestHashPoolRunningFirst(t *testing.T) {
	c := newTestClock()
	p := newHashPool(2, c.now)
	a1, other := startAcquire(p, "a"), startAcquire(p, "c")
	for _, call := range []*poolCall{a1, other} {
		if err := <-call.done; err != nil {
			t.Fatal(err)
		}
	}
	a2 := startAcquire(p, "a")
	waitQueued(t, p, 1)
	b := startAcquire(p, "b")
	waitQueued(t, p, 2)
	other.rel()
	got, _ := granted(t, a2, b)
	if got != b {
		t.Errorf("slot went to %s, want b: a already holds one while b holds none", got.key)
	}
}

func TestHashPoolFullQueue(t *testing.T) {
	c := newTestClock()
	p := newHashPool(1, c.now)
	p.queue = 2
	holder := startAcquire(p, "holder")
	if err := <-holder.done; err != nil {
		t.Fatal(err)
	}
	f1 := startAcquire(p, "flood")
	waitQueued(t, p, 1)
	f2 := startAcquire(p, "flood")
	waitQueued(t, p, 2)
	if _, err := p.acquire(context.Background(), anonymousKey("flood")); !errors.Is(err, errBusy) {
		t.Errorf("flooding client with the queue full of its own checks: got %v, want errBusy", err)
	}
	quiet := startAcquire(p, "quiet")
	got, err := granted(t, f1, f2, quiet)
	if got != f2 || !errors.Is(err, errBusy) {
		t.Errorf("queue full, quiet client arrives: %s answered %v first, want flood's latest check evicted with errBusy", got.key, err)
	}
	waitQueued(t, p, 2)
	holder.rel()
	if got, err := granted(t, f1, quiet); got != quiet || err != nil {
		t.Errorf("after the eviction the slot went to %s (err %v), want quiet", got.key, err)
	}
}

func TestHashPoolCancelWhileWaiting(t *testing.T) {
	c := newTestClock()
	p := newHashPool(1, c.now)
	holder := startAcquire(p, "holder")
	if err := <-holder.done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := startAcquireCtx(ctx, p, anonymousKey("gone"))
	waitQueued(t, p, 1)
	cancel()
	if err := <-w.done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: got %v, want context.Canceled", err)
	}
	waitQueued(t, p, 0)
	holder.rel()
	next := startAcquire(p, "next")
	if err := <-next.done; err != nil {
		t.Errorf("acquire after the holder left: %v", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running != 1 {
		t.Errorf("running = %d, want 1: the cancelled check holds no slot", p.running)
	}
}

func TestClientKey(t *testing.T) {
	tests := []struct {
		ip   string
		bits int
		want string
	}{
		{"192.0.2.1", 64, "192.0.2.1"},
		{"::ffff:192.0.2.1", 64, "192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", 64, "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", 64, "2001:db8:1:2::/64"},
		{"2001:db8:1:2:3:4:5:6", 48, "2001:db8:1::/48"},
		{"2001:db8:1:2:3:4:5:6", 128, "2001:db8:1:2:3:4:5:6/128"},
		{"fe80::1%eth0", 64, "fe80::/64"},
		{"not an address", 64, "not an address"},
	}
	for _, tt := range tests {
		if got := clientKey(tt.ip, tt.bits); got != tt.want {
			t.Errorf("clientKey(%q, %d) = %q, want %q", tt.ip, tt.bits, got, tt.want)
		}
	}
}

func TestBusyOrInternal(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
	}{
		{"queue full", fmt.Errorf("hashing queue full: %w", errBusy), http.StatusTooManyRequests, codeTooManyRequests},
		{"client gone", fmt.Errorf("waiting: %w", context.Canceled), http.StatusInternalServerError, codeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := publicError(busyOrInternal(tt.err))
			if e.Status != tt.wantStatus || e.Code != tt.wantCode {
				t.Errorf("answer %d %s, want %d %s", e.Status, e.Code, tt.wantStatus, tt.wantCode)
			}
			if !errors.Is(e, tt.err) && !errors.Is(e.Err, tt.err) {
				t.Errorf("cause %v lost, want it kept for the log", tt.err)
			}
		})
	}
}
