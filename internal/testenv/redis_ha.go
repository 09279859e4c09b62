package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// RedisServer is one redis-server (or Sentinel) process a test started, which
// the test may stop, freeze or kill by its PID.
type RedisServer struct {
	// Addr is host:port on 127.0.0.1.
	Addr string
	cmd  *exec.Cmd
	dir  string
}

// PID is the process ID of the server.
func (r *RedisServer) PID() int { return r.cmd.Process.Pid }

// Kill ends the server at once with SIGKILL, as a crash would.
func (r *RedisServer) Kill(t testing.TB) {
	t.Helper()
	if err := syscall.Kill(r.PID(), syscall.SIGKILL); err != nil {
		t.Fatalf("testenv: killing redis %s (pid %d): %v", r.Addr, r.PID(), err)
	}
}

// Freeze stops the server with SIGSTOP until Thaw; connections stay open and unanswered.
func (r *RedisServer) Freeze(t testing.TB) {
	t.Helper()
	if err := syscall.Kill(r.PID(), syscall.SIGSTOP); err != nil {
		t.Fatalf("testenv: freezing redis %s: %v", r.Addr, err)
	}
}

// Thaw resumes a frozen server.
func (r *RedisServer) Thaw(t testing.TB) {
	t.Helper()
	if err := syscall.Kill(r.PID(), syscall.SIGCONT); err != nil {
		t.Fatalf("testenv: thawing redis %s: %v", r.Addr, err)
	}
}

// CLI runs redis-cli against the server and returns its output.
func (r *RedisServer) CLI(t testing.TB, args ...string) string {
	t.Helper()
	_, port, _ := net.SplitHostPort(r.Addr)
	return redisCLI(t, Require(t, "redis-cli", "redis-tools"), port, args...)
}

// startRedisServer is startRedis that keeps the process. conf, when not empty,
// is the text of a config file, which goes first on the command line.
func startRedisServer(t testing.TB, conf string, args ...string) *RedisServer {
	t.Helper()
	bin := Require(t, "redis-server", "redis-server")
	dir := t.TempDir()
	port := FreePort(t)
	var all []string
	if conf != "" {
		file := filepath.Join(dir, "redis.conf")
		writeFile(t, file, conf)
		all = append(all, file)
	}
	logFile := filepath.Join(dir, "redis.log")
	all = append(all, args...)
	all = append(all, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--logfile", logFile, "--daemonize", "no")
	cmd := exec.Command(bin, all...)
	cmd.Dir = dir
	r := &RedisServer{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd, dir: dir}
	Start(t, cmd)
	t.Cleanup(func() { _ = syscall.Kill(r.PID(), syscall.SIGCONT) }) // a frozen one must hear the interrupt
	if !waitListening(r.Addr, redisStartTimeout) {
		out, _ := os.ReadFile(logFile)
		t.Fatalf("testenv: redis-server not listening on %s after %v\n%s", r.Addr, redisStartTimeout, tail(out))
	}
	return r
}

// RedisHA is a primary with replicas and the Sentinels that watch them.
type RedisHA struct {
	Primary   *RedisServer
	Replicas  []*RedisServer
	Sentinels []*RedisServer
	// Master is the name the Sentinels know the primary by: "keygate".
	Master string
}

// SentinelAddrs lists the Sentinels' host:port.
func (h *RedisHA) SentinelAddrs() []string {
	out := make([]string, len(h.Sentinels))
	for i, s := range h.Sentinels {
		out[i] = s.Addr
	}
	return out
}

// RedisSentinelHA starts a primary, replicas replicas of it and sentinels
// Sentinels (quorum: a majority) that declare the primary down after 1 s
// without an answer, and waits until every replica is in sync and every
// Sentinel knows the others.
func RedisSentinelHA(t testing.TB, replicas, sentinels int) *RedisHA {
	t.Helper()
	h := &RedisHA{Master: "keygate", Primary: startRedisServer(t, "")}
	host, port, _ := net.SplitHostPort(h.Primary.Addr)
	for range replicas {
		h.Replicas = append(h.Replicas, startRedisServer(t, "", "--replicaof", host, port))
	}
	for _, r := range h.Replicas {
		waitFor(t, "replica "+r.Addr+" in sync", func() bool {
			return strings.Contains(r.CLI(t, "INFO", "replication"), "master_link_status:up")
		})
	}
	waitFor(t, "the primary to count its replicas online", func() bool {
		info := h.Primary.CLI(t, "INFO", "replication")
		return strings.Contains(info, fmt.Sprintf("connected_slaves:%d", replicas)) &&
			strings.Count(info, "state=online") == replicas
	})
	conf := fmt.Sprintf("sentinel monitor %s %s %s %d\nsentinel down-after-milliseconds %[1]s 1000\n"+
		"sentinel failover-timeout %[1]s 5000\nsentinel parallel-syncs %[1]s 1\n", h.Master, host, port, sentinels/2+1)
	for range sentinels {
		h.Sentinels = append(h.Sentinels, startRedisServer(t, conf, "--sentinel"))
	}
	for _, s := range h.Sentinels {
		waitFor(t, "sentinel "+s.Addr+" to know the others", func() bool {
			out := s.CLI(t, "SENTINEL", "MASTER", h.Master)
			return strings.Contains(out, fmt.Sprintf("num-other-sentinels\n%d", sentinels-1))
		})
	}
	return h
}

// RedisClusterHA starts a Redis Cluster of primaries primaries, each with one
// replica, whose nodes count a peer as failed after 1 s without an answer, and
// waits until every node reports the cluster ok. It returns the primaries
// (the slots split evenly among them) and the replicas.
func RedisClusterHA(t testing.TB, primaries int) (prim, repl []*RedisServer) {
	t.Helper()
	cli := Require(t, "redis-cli", "redis-tools")
	args := []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1000"}
	var addrs []string
	var all []*RedisServer
	for range 2 * primaries {
		r := startRedisServer(t, "", args...)
		all = append(all, r)
		addrs = append(addrs, r.Addr)
	}
	create := append([]string{"--cluster", "create"}, addrs...)
	create = append(create, "--cluster-replicas", "1", "--cluster-yes")
	if out, err := exec.Command(cli, create...).CombinedOutput(); err != nil {
		t.Fatalf("testenv: redis-cli --cluster create: %v\n%s", err, tail(out))
	}
	for _, r := range all {
		waitFor(t, "cluster ok on "+r.Addr, func() bool {
			return strings.Contains(r.CLI(t, "CLUSTER", "INFO"), "cluster_state:ok")
		})
	}
	for _, r := range all {
		if strings.Contains(r.CLI(t, "ROLE"), "master") {
			prim = append(prim, r)
		} else {
			repl = append(repl, r)
		}
	}
	if len(prim) != primaries {
		t.Fatalf("testenv: cluster has %d primaries, want %d", len(prim), primaries)
	}
	for _, r := range repl {
		waitFor(t, "replica "+r.Addr+" in sync", func() bool {
			return strings.Contains(r.CLI(t, "INFO", "replication"), "master_link_status:up")
		})
	}
	return prim, repl
}

// waitFor polls cond every 50 ms for up to 15 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("testenv: timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
