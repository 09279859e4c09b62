package e2e

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
)

// dora is a third user, signed in only to be revoked.
var dora = account{"dora", "dora-explorer-map", "Dora", "dora@example.com", "dev"}

// replicaSet is several keygate daemons sharing PostgreSQL and Redis, behind
// an HAProxy that balances every request round robin among them.
type replicaSet struct {
	lb       string // HAProxy's host:port
	replicas []*replica
}

// replica is one daemon of a replicaSet.
type replica struct {
	name   string // HAProxy's name for it: k1, k2, ...
	dir    string
	config string
	*daemon
}

// startReplicaSet starts n daemons on one PostgreSQL database and the Redis
// deployment described by redisYAML (the value of session.redis), and HAProxy
// in front of them.
func startReplicaSet(t *testing.T, n int, pg *testenv.Postgres, redisYAML string) *replicaSet {
	t.Helper()
	storage := fmt.Sprintf("storage:\n  postgres: {address: %q, database: %q, username: %q, password: %q}\n",
		pg.Addr, pg.NewDatabase(t), pg.User, pg.Password)
	users := usersFile(t, alice, bob, dora)
	rs := &replicaSet{lb: loopback(t)}
	for i := range n {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "users.yml"), users)
		addr := loopback(t)
		text := fmt.Sprintf(keygateConfig, addr, dir, "  redis: "+redisYAML+"\n")
		text = strings.Replace(text, fmt.Sprintf("storage: {path: %s/keygate.db}\n", dir), storage, 1)
		// With metrics, as a production replica runs: the shared regulation,
		// codes window and replay guard must hold with them on.
		text = strings.Replace(text, "  trusted_proxies:", "  metrics_address: "+loopback(t)+"\n  trusted_proxies:", 1)
		config := filepath.Join(dir, "keygate.yml")
		writeFile(t, config, text)
		r := &replica{name: fmt.Sprintf("k%d", i+1), dir: dir, config: config}
		r.daemon = startDaemon(t, dir, config, addr)
		rs.replicas = append(rs.replicas, r)
	}
	testenv.HAProxy(t, rs.haproxyConfig(), rs.lb)
	return rs
}

// haproxyConfig balances round robin per request, drops a replica after two
// failed health checks 200 ms apart, and retries a request whose connection
// failed on another replica. Each answer names the replica that gave it.
func (rs *replicaSet) haproxyConfig() string {
	var b strings.Builder
	fmt.Fprintf(&b, `defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response

frontend lb
    bind %s
    default_backend keygate

backend keygate
    balance roundrobin
    option httpchk GET /api/health
    http-response set-header X-Served-By %%[srv_name]
`, rs.lb)
	for _, r := range rs.replicas {
		fmt.Fprintf(&b, "    server %s %s check inter 200 fall 2 rise 2\n", r.name, r.addr)
	}
	return b.String()
}

// cli runs keygate with args on replica r's config, in its directory (where
// its admin socket is), and returns the output.
func (r *replica) cli(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(keygateBuild.Binary(t), append(args, "--config", r.config)...)
	cmd.Dir = r.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("keygate %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// notifiedCode is the newest one-time code any replica sent to user.
func (rs *replicaSet) notifiedCode(t *testing.T, user string) string {
	t.Helper()
	var code string
	var at time.Time
	for _, r := range rs.replicas {
		f, err := os.Open(filepath.Join(r.dir, "notifications.log"))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var n struct {
				Time time.Time `json:"time"`
				User string    `json:"user"`
				Code string    `json:"code"`
			}
			if json.Unmarshal(sc.Bytes(), &n) == nil && n.User == user && n.Code != "" && n.Time.After(at) {
				code, at = n.Code, n.Time
			}
		}
		f.Close()
	}
	if code == "" {
		t.Fatalf("no replica sent %s a code", user)
	}
	return code
}

// lbClient speaks to the portal through the load balancer, as a browser
// would, carrying its cookies and noting which replica served each call.
type lbClient struct{ portalClient }

func newLBClient(lb string) *lbClient {
	return &lbClient{portalClient{addr: lb, cookies: map[string]string{}}}
}

// mustPost is post that fails the test unless the call answers want.
func (c *lbClient) mustPost(t *testing.T, path string, body any, want int) []byte {
	t.Helper()
	status, out, err := c.post(path, body)
	if err != nil || status != want {
		t.Fatalf("POST %s: %d, %v, want %d: %s", path, status, err, want, out)
	}
	return out
}

// session is the client's session cookie.
func (c *lbClient) session() string { return c.cookies["keygate_session"] }

// distinct counts the different replicas that served the calls.
func distinct(served []string) int {
	seen := map[string]bool{}
	for _, s := range served {
		seen[s] = true
	}
	return len(seen)
}

// forwardCheck asks addr (the load balancer or one replica) whether cookie
// may GET app.example.com/path, as Traefik or Caddy would, and returns the
// status (0 on a transport error) and the replica that answered.
func forwardCheck(addr, cookie, path string) (int, string) {
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/authz/forward-auth", nil)
	req.Header.Set("X-Forwarded-Method", "GET")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-Forwarded-Host", "app.example.com")
	req.Header.Set("X-Forwarded-Uri", path)
	req.Header.Set("Accept", "application/json")
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "keygate_session", Value: cookie})
	}
	resp, err := checkClient.Do(req)
	if err != nil {
		return 0, ""
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("X-Served-By")
}

// checkClient follows no redirect and gives up on a check after 5 s.
var checkClient = &http.Client{
	Timeout:       5 * time.Second,
	Transport:     &http.Transport{MaxIdleConnsPerHost: 64},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// hashOf is the hex SHA-256 of the session ID in cookie: the name Keygate
// stores the session under.
func hashOf(t *testing.T, cookie string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(cookie)
	if err != nil {
		t.Fatalf("session cookie %q: %v", cookie, err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}
