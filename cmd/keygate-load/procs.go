package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// stopGrace is how long a child may take to exit after SIGTERM before it is killed.
const stopGrace = 5 * time.Second

// errExited reports that a child process ended while it was expected to serve.
var errExited = errors.New("process exited")

// procs is every long-running child process the tool started, stopped by PID in
// reverse order of starting. Start processes only from the main goroutine (see
// childAttr: on Linux a child is signalled when the thread that started it dies).
type procs struct {
	list   []*proc
	logger *slog.Logger
}

// proc is one child with its output file.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited and been reaped
}

// start runs cmd in the background with its stdout and stderr in the file logPath.
func (ps *procs) start(name string, cmd *exec.Cmd, logPath string) (*proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating %s log: %w", name, err)
	}
	defer f.Close() // the child holds its own descriptor
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	ps.list = append(ps.list, p)
	ps.logger.Debug("started", "process", name, "pid", cmd.Process.Pid)
	return p, nil
}

// stopAll stops every child, the last started first.
func (ps *procs) stopAll() {
	for i := len(ps.list) - 1; i >= 0; i-- {
		ps.list[i].stop()
	}
	ps.list = nil
}

// pid returns the child's process ID.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// exited reports whether the child has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the child's PID and kills it if it has not exited after stopGrace.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// failure wraps err with the tail of the child's log, which usually says why.
func (p *proc) failure(err error) error {
	out, _ := os.ReadFile(p.log)
	s := strings.TrimSpace(string(out))
	if len(s) > 1500 {
		s = "..." + s[len(s)-1500:]
	}
	if s == "" {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	return fmt.Errorf("%s: %w\n--- %s ---\n%s", p.name, err, p.log, s)
}

// waitTCP waits until addr accepts connections, failing early if p exits.
func (p *proc) waitTCP(ctx context.Context, addr string, timeout time.Duration) error {
	return p.waitFor(ctx, timeout, func() bool {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// waitFor polls ready until it holds, p exits, ctx ends or timeout passes.
func (p *proc) waitFor(ctx context.Context, timeout time.Duration, ready func() bool) error {
	deadline := time.Now().Add(timeout)
	for !ready() {
		switch {
		case p.exited():
			return p.failure(errExited)
		case ctx.Err() != nil:
			return ctx.Err()
		case time.Now().After(deadline):
			return p.failure(fmt.Errorf("not ready after %v", timeout))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// require returns the path of binary, installing Debian package pkg with apt-get
// when it is missing.
func require(ctx context.Context, logger *slog.Logger, binary, pkg string) (string, error) {
	if path, err := exec.LookPath(binary); err == nil {
		return path, nil
	}
	logger.Info("installing a missing part", "binary", binary, "package", pkg)
	if _, err := aptGet(ctx, "install", "-y", "-q", "--no-install-recommends", pkg); err != nil {
		if out, err := aptGet(ctx, "update", "-q"); err != nil {
			return "", fmt.Errorf("apt-get update: %w\n%s", err, out)
		}
		if out, err := aptGet(ctx, "install", "-y", "-q", "--no-install-recommends", pkg); err != nil {
			return "", fmt.Errorf("apt-get install %s: %w\n%s", pkg, err, out)
		}
	}
	return exec.LookPath(binary)
}

func aptGet(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "apt-get", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	return cmd.CombinedOutput()
}
