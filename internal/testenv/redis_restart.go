package testenv

import (
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// RedisProcess is a redis-server a test may stop and start again on the same
// port, to see how Keygate rides out an outage.
type RedisProcess struct {
	// Addr is the server's host:port; it stays the same across restarts.
	Addr string
	port int
	cmd  *exec.Cmd
}

// RestartableRedis starts a redis-server like Redis and returns it to be
// stopped and started at will; it is stopped when the test ends.
func RestartableRedis(t testing.TB) *RedisProcess {
	t.Helper()
	port := FreePort(t)
	r := &RedisProcess{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), port: port}
	r.Start(t)
	return r
}

// Stop kills the server and waits until its port refuses connections.
func (r *RedisProcess) Stop(t testing.TB) {
	t.Helper()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
	deadline := time.Now().Add(redisStartTimeout)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", r.Addr, 100*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("testenv: redis-server on %s still answers after being killed", r.Addr)
}

// Start starts the server (again) on its port, empty, and waits until it listens.
func (r *RedisProcess) Start(t testing.TB) {
	t.Helper()
	if r.cmd != nil {
		return
	}
	r.cmd = startRedis(t, r.port, "", "--port", strconv.Itoa(r.port))
}
