package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// redisStartTimeout bounds how long a freshly started redis-server may take to listen.
const redisStartTimeout = 10 * time.Second

// Redis starts a redis-server on a free loopback port, with persistence off and its
// working directory in t.TempDir(), and stops it when the test ends. Extra args are
// passed to the server (for example "--requirepass", "secret"). It returns host:port.
func Redis(t testing.TB, args ...string) string {
	t.Helper()
	port := FreePort(t)
	startRedis(t, port, "", append([]string{"--port", strconv.Itoa(port)}, args...)...)
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// RedisCluster starts a one-node Redis Cluster that owns every hash slot and waits
// until the cluster reports itself ok. It returns the node's host:port.
func RedisCluster(t testing.TB) string {
	t.Helper()
	cli := Require(t, "redis-cli", "redis-tools")
	addr := Redis(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	_, port, _ := net.SplitHostPort(addr)
	redisCLI(t, cli, port, "CLUSTER", "ADDSLOTSRANGE", "0", "16383")
	deadline := time.Now().Add(redisStartTimeout)
	for !strings.Contains(redisCLI(t, cli, port, "CLUSTER", "INFO"), "cluster_state:ok") {
		if time.Now().After(deadline) {
			t.Fatalf("testenv: redis cluster on %s not ok after %v", addr, redisStartTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return addr
}

// RedisSentinel starts a redis-server and one Sentinel that monitors it under the
// master name "keygate". It returns the Sentinel's host:port and the master name.
func RedisSentinel(t testing.TB) (sentinelAddr, master string) {
	t.Helper()
	master = "keygate"
	masterAddr := Redis(t)
	host, masterPort, _ := net.SplitHostPort(masterAddr)
	port := FreePort(t)
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor %s %s %s 1\n", port, master, host, masterPort)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatalf("testenv: writing sentinel config: %v", err)
	}
	startRedis(t, port, conf, "--sentinel")
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), master
}

// RedisTLS starts a redis-server that speaks only TLS, with a certificate for the
// name serverName (and no IP address) signed by a fresh CA whose PEM file is caFile.
// Clients are not asked for certificates. It returns the TLS port's host:port.
func RedisTLS(t testing.TB) (addr, caFile, serverName string) {
	t.Helper()
	serverName = "redis.keygate.test"
	pki := NewPKI(t, serverName)
	port := FreePort(t)
	startRedis(t, port, "",
		"--port", "0", "--tls-port", strconv.Itoa(port),
		"--tls-cert-file", pki.CertFile, "--tls-key-file", pki.KeyFile,
		"--tls-ca-cert-file", pki.CAFile, "--tls-auth-clients", "no")
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), pki.CAFile, serverName
}

// startRedis runs redis-server in a fresh directory, with persistence off and a log
// file that is shown when the server does not come to listen on port. conf, when not
// empty, is a config file, which must come first on the command line.
func startRedis(t testing.TB, port int, conf string, args ...string) *exec.Cmd {
	t.Helper()
	bin := Require(t, "redis-server", "redis-server")
	dir := t.TempDir()
	logFile := filepath.Join(dir, "redis.log")
	var all []string
	if conf != "" {
		all = append(all, conf)
	}
	all = append(all, args...)
	all = append(all, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--logfile", logFile, "--daemonize", "no")
	cmd := exec.Command(bin, all...)
	cmd.Dir = dir
	Start(t, cmd)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if !waitListening(addr, redisStartTimeout) {
		out, _ := os.ReadFile(logFile)
		t.Fatalf("testenv: redis-server not listening on %s after %v\n%s", addr, redisStartTimeout, tail(out))
	}
	return cmd
}

func waitListening(addr string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func redisCLI(t testing.TB, cli, port string, args ...string) string {
	t.Helper()
	out, err := exec.Command(cli, append([]string{"-h", "127.0.0.1", "-p", port}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("testenv: redis-cli %s: %v\n%s", strings.Join(args, " "), err, tail(out))
	}
	return string(out)
}
