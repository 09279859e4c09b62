package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/internal/testenv"
)

// The hosts of the deploy configs, which the tests keep: the client sends them in
// Host and SNI and dials the proxy's loopback port for all of them.
const (
	portalURL = "https://auth.example.com"
	appURL    = "https://app.example.com"
)

// account is a user of the generated users file.
type account struct {
	username    string
	password    string
	displayName string
	email       string
	groups      string // as Remote-Groups carries them
}

var (
	alice = account{"alice", "alice-correct-horse", "Alice Liddell", "alice@example.com", "admins,dev"}
	bob   = account{"bob", "bob-battery-staple", "Bob Builder", "bob@example.com", "dev"}
)

// keygateConfig is the daemon's config: %[1]s its address, %[2]s its data
// directory, %[3]s extra session keys. The rules cover every kind the tests check,
// on the one application host of the deploy configs, and a host the proxies do
// not serve whose policy is bypass (a hostile client names it to get another
// host judged than the one served).
const keygateConfig = `server:
  address: %[1]s
  trusted_proxies: ["127.0.0.0/8", "::1/128"]
log: {level: info, format: text}
storage: {path: %[2]s/keygate.db}
users: {file: %[2]s/users.yml}
session:
  name: keygate_session
  domain: example.com
  portal_url: https://auth.example.com
%[3]snotifier: {file: %[2]s/notifications.log}
access_control:
  default_policy: one_factor
  rules:
    - domain: [public.example.com]
      policy: bypass
    - domain: [app.example.com]
      resources: ["^/public([/?]|$)"]
      policy: bypass
    - domain: [app.example.com]
      resources: ["^/secret([/?]|$)"]
      policy: deny
    - domain: [app.example.com]
      resources: ["^/mfa([/?]|$)"]
      policy: two_factor
    - domain: [app.example.com]
      resources: ["^/admin([/?]|$)"]
      subject: ["group:admins"]
      policy: one_factor
    - domain: [app.example.com]
      resources: ["^/admin([/?]|$)"]
      policy: deny
`

// proxy is one running proxy in front of Keygate and the upstream.
type proxy struct {
	name  string
	https string // host:port of its HTTPS listener
	http  string // host:port of its plain-HTTP listener; "" when it has none
	http2 bool   // its HTTPS listener speaks HTTP/2
	// postStatus is its answer to an unauthenticated POST from a browser.
	postStatus int
	// apiStatus is its answer to an unauthenticated GET without Accept: text/html.
	apiStatus int
}

// stack is Keygate, the upstream and every proxy (nginx, Caddy, HAProxy), shared
// by the subtests of one test function.
type stack struct {
	keygate *testenv.Keygate
	dataDir string
	pki     testenv.PKI
	proxies []proxy
	// upstream records every request the upstream answered.
	upstream *upstreamLog

	mu      sync.Mutex
	clients map[string]*http.Client // signed-in clients by proxy and user
}

// stackOptions vary the stack between test functions.
type stackOptions struct {
	redis string // host:port of a Redis for sessions; "" for the embedded store
}

func newStack(t *testing.T, opts stackOptions) *stack {
	t.Helper()
	s := &stack{dataDir: t.TempDir(), pki: testenv.NewPKI(t, "example.com", "*.example.com"),
		upstream: &upstreamLog{byVector: map[string]echoed{}}, clients: map[string]*http.Client{}}
	s.keygate = startKeygate(t, s.dataDir, opts)
	upstream := httptest.NewServer(s.upstream.record(echoHandler))
	t.Cleanup(upstream.Close)
	upstreamAddr := strings.TrimPrefix(upstream.URL, "http://")
	s.proxies = []proxy{
		startNginx(t, s.keygate.Addr, upstreamAddr, s.pki),
		startCaddy(t, s.keygate.Addr, upstreamAddr, s.pki),
		startHAProxy(t, s.keygate.Addr, upstreamAddr, s.pki),
	}
	return s
}

// startKeygate writes the users file and config into dir and starts the daemon.
func startKeygate(t *testing.T, dir string, opts stackOptions) *testenv.Keygate {
	t.Helper()
	bin := keygateBuild.Binary(t)
	writeFile(t, filepath.Join(dir, "users.yml"), usersFile(t, alice, bob))
	var extra string
	if opts.redis != "" {
		extra = fmt.Sprintf("  redis: {address: %q}\n", opts.redis)
	}
	addr := loopback(t)
	config := filepath.Join(dir, "keygate.yml")
	writeFile(t, config, fmt.Sprintf(keygateConfig, addr, dir, extra))
	return testenv.StartKeygate(t, bin, config, addr)
}

func usersFile(t *testing.T, accounts ...account) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("users:\n")
	for _, a := range accounts {
		hash, err := directory.HashPassword(a.password)
		if err != nil {
			t.Fatalf("hashing %s's password: %v", a.username, err)
		}
		fmt.Fprintf(&b, "  %s:\n    display_name: %q\n    email: %q\n    groups: [%s]\n    password: %q\n",
			a.username, a.displayName, a.email, a.groups, hash)
	}
	return b.String()
}

// startNginx runs deploy/nginx/keygate.conf with exactly the substitutions that
// deploy/README.md documents, failing if any of the strings is missing.
func startNginx(t *testing.T, keygateAddr, upstreamAddr string, pki testenv.PKI) proxy {
	t.Helper()
	p := proxy{name: "nginx", https: loopback(t), http: loopback(t),
		postStatus: http.StatusFound, apiStatus: http.StatusFound}
	pairs := []string{
		"127.0.0.1:9091", keygateAddr,
		"127.0.0.1:8080", upstreamAddr,
		"listen 443 ssl;", "listen " + p.https + " ssl;",
		"listen 80;", "listen " + p.http + ";",
		"/etc/ssl/example.com/", pki.Dir + "/",
	}
	testenv.Nginx(t, deployed(t, "nginx/keygate.conf", pairs), p.https, p.http)
	return p
}

// startCaddy runs deploy/caddy/Caddyfile unchanged, its site values set through
// the environment variables listed at its top.
func startCaddy(t *testing.T, keygateAddr, upstreamAddr string, pki testenv.PKI) proxy {
	t.Helper()
	p := proxy{name: "caddy", https: loopback(t), http2: true,
		postStatus: http.StatusSeeOther, apiStatus: http.StatusUnauthorized}
	_, port, _ := net.SplitHostPort(p.https)
	env := []string{
		"CADDY_ADMIN=off",
		"KEYGATE_PORTAL_SITE=https://auth.example.com:" + port,
		"KEYGATE_APP_SITE=https://app.example.com:" + port,
		"KEYGATE_ADDRESS=" + keygateAddr,
		"KEYGATE_APP_UPSTREAM=" + upstreamAddr,
	}
	text := readDeploy(t, "caddy/Caddyfile")
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.Contains(text, "{$"+name) {
			t.Fatalf("deploy/caddy/Caddyfile lacks {$%s}, which the tests set", name)
		}
	}
	testenv.Caddy(t, deployPath(t, "caddy/Caddyfile"), env, testenv.CaddyTLS{CertFile: pki.CertFile, KeyFile: pki.KeyFile})
	return p
}

// echoHandler is the upstream application: it answers 200 with what it received.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = writeJSON(w, echoed{Upstream: true, Method: r.Method, Host: r.Host, URI: r.RequestURI, Header: r.Header})
}

// upstreamLog keeps what the upstream received, by the request's X-Vector
// header (requests without one are not kept).
type upstreamLog struct {
	mu       sync.Mutex
	byVector map[string]echoed
}

// record wraps the upstream's handler h.
func (l *upstreamLog) record(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if v := r.Header.Get("X-Vector"); v != "" {
			l.mu.Lock()
			l.byVector[v] = echoed{Upstream: true, Method: r.Method, Host: r.Host, URI: r.RequestURI, Header: r.Header.Clone()}
			l.mu.Unlock()
		}
		h(w, r)
	}
}

// reached returns what the upstream received of the request marked vector, and
// whether it received it at all.
func (l *upstreamLog) reached(vector string) (echoed, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.byVector[vector]
	return e, ok
}

func deployPath(t *testing.T, name string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "deploy", filepath.FromSlash(name)))
	if err != nil {
		t.Fatalf("locating deploy/%s: %v", name, err)
	}
	return path
}

// deployed returns deploy/NAME with each old string of pairs (old, new, old,
// new...) replaced by its new one, failing the test if the file lacks one of
// them: the documented substitutions must keep matching the file.
func deployed(t *testing.T, name string, pairs []string) string {
	t.Helper()
	text := readDeploy(t, name)
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(text, pairs[i]) {
			t.Fatalf("deploy/%s lacks %q, which the tests replace", name, pairs[i])
		}
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

func readDeploy(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(deployPath(t, name))
	if err != nil {
		t.Fatalf("reading deploy/%s: %v", name, err)
	}
	return string(data)
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatalf("writing %s: %v", path, err)
	}
}

// loopback is a free 127.0.0.1:port.
func loopback(t *testing.T) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(testenv.FreePort(t)))
}
