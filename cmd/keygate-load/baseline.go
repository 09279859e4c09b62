package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// baselineCommand is the hidden first argument that makes this binary the
// baseline server instead of the load tool.
const baselineCommand = "baseline-server"

// baselineSessions is how many other sessions the baseline's map holds besides
// the one the load uses, so that the lookup is in a map of realistic size.
const baselineSessions = 10_000

// identity is what the baseline answers for a known cookie.
type identity struct {
	user, groups, email, name string
}

// baseline is the trivial handler every figure is compared with: look the cookie
// up in a map, answer 200 with the four identity headers, or 401.
type baseline struct {
	cookie   string
	sessions map[string]identity
}

func (b *baseline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(b.cookie)
	if err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id, ok := b.sessions[c.Value]
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	h := w.Header()
	h.Set("Remote-User", id.user)
	h.Set("Remote-Groups", id.groups)
	h.Set("Remote-Email", id.email)
	h.Set("Remote-Name", id.name)
	w.WriteHeader(http.StatusOK)
}

// serveBaseline runs the baseline server: args are the address, the cookie name
// and the cookie value of the one session the load sends. It returns the exit code.
func serveBaseline(args []string) int {
	if len(args) != 3 {
		fmt.Fprintf(os.Stderr, "usage: keygate-load %s ADDR COOKIE_NAME COOKIE_VALUE\n", baselineCommand)
		return 2
	}
	b := &baseline{cookie: args[1], sessions: make(map[string]identity, baselineSessions+1)}
	for range baselineSessions {
		b.sessions[randomToken()] = identity{user: "someone", groups: "users", email: "someone@example.test", name: "Someone"}
	}
	b.sessions[args[2]] = loadIdentity
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Addr: args[0], Handler: b, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "baseline: %v\n", err)
		return 1
	}
	return 0
}

// startBaseline starts this binary as the baseline server, in its own process like
// Keygate, and returns it with the target that the load sends it.
func (b *bench) startBaseline(ctx context.Context) (*proc, target, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, target{}, fmt.Errorf("finding this binary: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, target{}, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	value := randomToken()
	cmd := exec.Command(self, baselineCommand, addr, cookieName, value)
	p, err := b.procs.start("baseline", cmd, filepath.Join(b.dir, "baseline.log"))
	if err != nil {
		return nil, target{}, err
	}
	if err := p.waitTCP(ctx, addr, 10*time.Second); err != nil {
		return nil, target{}, err
	}
	return p, forwardAuthTarget(addr, cookieName+"="+value), nil
}
