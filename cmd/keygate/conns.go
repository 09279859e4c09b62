package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// freshConns tracks the connections that have not begun a request yet, so that
// a shutdown can close them. http.Server.Shutdown waits up to five seconds for
// such a connection to send its first request; a proxy that opened one ahead of
// need would hold every restart up that long. Closing it loses nothing: no
// request of it was read.
type freshConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func newFreshConns() *freshConns { return &freshConns{conns: make(map[net.Conn]struct{})} }

// track is the server's ConnState hook. A connection leaves StateNew for
// StateActive (its first request), StateClosed or StateHijacked; StateIdle only
// ever follows StateActive, so the keep-alive cycle of a busy connection costs
// one lock per request, not two.
func (f *freshConns) track(c net.Conn, state http.ConnState) {
	if state == http.StateIdle {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if state == http.StateNew {
		f.conns[c] = struct{}{}
		return
	}
	delete(f.conns, c)
}

// closeAll closes every connection that has not begun a request.
func (f *freshConns) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		_ = c.Close()
		delete(f.conns, c)
	}
}

// drainIdle is how long a draining listener waits for one more connection before
// it closes: the connections the kernel queued before the signal are accepted
// and refused with 503 rather than reset when the listener closes.
const drainIdle = 100 * time.Millisecond

// errDrained ends http.Server.Serve once the accept queue is empty after drain.
var errDrained = errors.New("listener drained")

// drainListener accepts as usual until drain is called; from then on it accepts
// what is queued and returns errDrained once none arrives for drainIdle.
type drainListener struct {
	*net.TCPListener
	draining atomic.Bool
}

// drain switches l to draining and wakes an Accept that is waiting.
func (l *drainListener) drain() {
	l.draining.Store(true)
	_ = l.SetDeadline(time.Now())
}

// Accept implements net.Listener.
func (l *drainListener) Accept() (net.Conn, error) {
	for {
		if !l.draining.Load() {
			c, err := l.TCPListener.Accept()
			if err == nil || !l.draining.Load() {
				return c, err
			}
			continue // woken by drain
		}
		deadline := time.Now().Add(drainIdle)
		_ = l.SetDeadline(deadline)
		c, err := l.TCPListener.Accept()
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, err
		}
		if !time.Now().Before(deadline) {
			return nil, errDrained
		}
	}
}

// refuser answers 503 to every request that begins after refuse is called, so
// that a request read on a kept-alive or just-accepted connection during a
// shutdown gets an answer rather than a dropped connection.
type refuser struct {
	next    http.Handler
	refused atomic.Bool
}

func (f *refuser) refuse() { f.refused.Store(true) }

// ServeHTTP implements http.Handler.
func (f *refuser) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !f.refused.Load() {
		f.next.ServeHTTP(w, r)
		return
	}
	h := w.Header()
	h.Set("Connection", "close")
	h.Set("Retry-After", "1")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = io.WriteString(w, "503 Service Unavailable: keygate is shutting down\n")
}
