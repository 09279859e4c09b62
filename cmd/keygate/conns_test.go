package main

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
)

// TestShutdownClosesIdleNewConnections checks that a connection that never
// sent a request (as a proxy opens ahead of need) does not hold the shutdown
// up: net/http alone would wait five seconds for it.
func TestShutdownClosesIdleNewConnections(t *testing.T) {
	addr, cfg := serveConfig(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", cfg}, nil, &out, &errOut) }()
	testenv.WaitTCP(t, addr, 10*time.Second)

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	time.Sleep(100 * time.Millisecond) // let the server accept it

	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve ended with %v\n%s", err, errOut.String())
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("shutdown took %v with an idle new connection open, want well under net/http's 5 s", took)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("shutdown still waiting after 4 s on a connection that never sent a request")
	}
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	if n, err := conn.Read(make([]byte, 1)); err == nil {
		t.Errorf("the idle connection is still open after shutdown (read %d bytes)", n)
	}
}
