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
	"strings"
	"syscall"
	"time"
)

// baselineCommand is the hidden first argument that makes this binary the
// baseline server instead of the load tool.
const baselineCommand = "baseline-server"

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

// serveBaseline runs the baseline server: args are the address, the cookie name,
// the cookie value of the one session the hot scenarios send, and a file of the
// Cookie header values (name=value) the many-sessions scenario sends. It returns
// the exit code.
func serveBaseline(args []string) int {
	if len(args) != 4 {
		fmt.Fprintf(os.Stderr, "usage: keygate-load %s ADDR COOKIE_NAME COOKIE_VALUE COOKIES_FILE\n", baselineCommand)
		return 2
	}
	many, err := readLines(args[3])
	if err != nil {
		fmt.Fprintf(os.Stderr, "baseline: %v\n", err)
		return 1
	}
	b := &baseline{cookie: args[1], sessions: make(map[string]identity, len(many)+1)}
	for _, c := range many {
		b.sessions[strings.TrimPrefix(c, args[1]+"=")] = manyIdentity
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

// baselineServer is the running baseline and the requests its scenarios send.
type baselineServer struct {
	proc      *proc
	addr      string
	hot, many target
}

// pid returns the baseline's process ID, 0 when it did not start.
func (bl *baselineServer) pid() int {
	if bl.proc == nil {
		return 0
	}
	return bl.proc.pid()
}

// startBaseline starts this binary as the baseline server, in its own process like
// Keygate and pinned like it, with one hot session and -sessions others.
func (b *bench) startBaseline(ctx context.Context) (*baselineServer, error) {
	bl := &baselineServer{}
	self, err := os.Executable()
	if err != nil {
		return bl, fmt.Errorf("finding this binary: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return bl, err
	}
	bl.addr = "127.0.0.1:" + strconv.Itoa(port)
	many := make([]string, b.opts.sessions)
	for i := range many {
		many[i] = cookieName + "=" + randomToken()
	}
	file := filepath.Join(b.dir, "baseline-cookies.txt")
	if err := writeLines(file, many); err != nil {
		return bl, err
	}
	value := randomToken()
	cmd := exec.Command(self, baselineCommand, bl.addr, cookieName, value, file)
	if bl.proc, err = b.procs.start("baseline", pinned(b.opts.serverCPUs, cmd), filepath.Join(b.dir, "baseline.log")); err != nil {
		return bl, err
	}
	if err := bl.proc.waitTCP(ctx, bl.addr, 10*time.Second); err != nil {
		return bl, err
	}
	bl.hot = forwardAuthTarget(bl.addr, cookieName+"="+value)
	bl.many = manyTarget(bl.hot, file, many[0], manyIdentity.user)
	return bl, nil
}
