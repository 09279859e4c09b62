package main

import (
	"net"
	"net/http"
	"sync"
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
