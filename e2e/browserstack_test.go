package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/internal/testenv"
)

// The browser tests serve everything over plain HTTP on names under
// .localhost, which Chromium resolves to loopback itself and treats as a
// secure context, so WebAuthn works without certificates. Each proxy gets its
// own cookie domain (nginx.localhost, caddy.localhost), which is also the RP ID:
// a cookie for "localhost" itself would not reach its subdomains.

// browserConfig is the daemon's config for the browser tests: %[1]s its
// address, %[2]s its data directory, %[3]s the cookie domain, %[4]s the port
// of the proxy in front of it.
const browserConfig = `server:
  address: %[1]s
  trusted_proxies: ["127.0.0.0/8", "::1/128"]
log: {level: debug, format: text}
storage: {path: %[2]s/keygate.db}
users: {file: %[2]s/users.yml}
session:
  name: keygate_session
  domain: %[3]s
  portal_url: http://auth.%[3]s:%[4]s
  default_redirect_url: http://app.%[3]s:%[4]s/
webauthn:
  rp_name: Example Portal
  timeout: 60s
  user_verification: preferred
  resident_key: preferred
notifier: {file: %[2]s/notifications.log}
access_control:
  default_policy: deny
  rules:
    - domain: [app.%[3]s]
      resources: ["^/public([/?]|$)"]
      policy: bypass
    - domain: [app.%[3]s]
      resources: ["^/secret([/?]|$)"]
      policy: deny
    - domain: [app.%[3]s]
      resources: ["^/admin([/?]|$)"]
      policy: two_factor
      require: {device_bound: true, attachment: cross-platform}
    - domain: [app.%[3]s]
      resources: ["^/dav/"]
      policy: two_factor
      tokens: allow
    - domain: [app.%[3]s, app2.%[3]s]
      policy: two_factor
`

// person is a user of the browser tests' users file; no password makes a
// passkey-only user.
type person struct {
	username, password, displayName, email string
}

var (
	alicePerson = person{"alice", "alice-correct-horse", "Alice Liddell", "alice@example.com"}
	carolPerson = person{"carol", "carol-quiet-river", "Carol Danvers", "carol@example.com"}
	davePerson  = person{"dave", "", "Dave Lister", "dave@example.com"}
	erinPerson  = person{"erin", "erin-open-meadow", "Erin Hale", "erin@example.com"}
)

// browserStack is Keygate behind one proxy, with the upstream app, as a
// browser reaches it.
type browserStack struct {
	proxy   string // "nginx" or "caddy"
	domain  string // the cookie domain and RP ID
	port    string // the proxy's port
	dataDir string
	config  string // the daemon's config file
}

func (s *browserStack) portal() string { return "http://auth." + s.domain + ":" + s.port }
func (s *browserStack) app() string    { return "http://app." + s.domain + ":" + s.port }
func (s *browserStack) app2() string   { return "http://app2." + s.domain + ":" + s.port }

// startBrowserStack starts the upstream app, Keygate and the named proxy.
func startBrowserStack(t *testing.T, proxyName string) *browserStack {
	t.Helper()
	addr := loopback(t)
	_, port, _ := net.SplitHostPort(addr)
	s := &browserStack{proxy: proxyName, domain: proxyName + ".localhost", port: port, dataDir: t.TempDir()}
	upstream := httptest.NewServer(http.HandlerFunc(appHandler))
	t.Cleanup(upstream.Close)
	upstreamAddr := strings.TrimPrefix(upstream.URL, "http://")

	writeFile(t, filepath.Join(s.dataDir, "users.yml"), peopleFile(t, alicePerson, carolPerson, davePerson, erinPerson))
	keygateAddr := loopback(t)
	s.config = filepath.Join(s.dataDir, "keygate.yml")
	writeFile(t, s.config, fmt.Sprintf(browserConfig, keygateAddr, s.dataDir, s.domain, s.port))
	testenv.StartKeygate(t, keygateBuild.Binary(t), s.config, keygateAddr)

	switch proxyName {
	case "nginx":
		startPlainNginx(t, s, addr, keygateAddr, upstreamAddr)
	case "caddy":
		startPlainCaddy(t, s, keygateAddr, upstreamAddr)
	default:
		t.Fatalf("unknown proxy %q", proxyName)
	}
	return s
}

// startPlainNginx runs deploy/nginx/keygate.conf with its HTTPS listener
// turned into a plain-HTTP one on addr and the site names moved under the
// stack's domain; the app server also answers for app2.
func startPlainNginx(t *testing.T, s *browserStack, addr, keygateAddr, upstreamAddr string) {
	t.Helper()
	pki := testenv.NewPKI(t, "example.com", "*.example.com") // the config still names certificate files
	pairs := []string{
		"127.0.0.1:9091", keygateAddr,
		"127.0.0.1:8080", upstreamAddr,
		"listen 443 ssl;", "listen " + addr + ";",
		"listen 80;", "listen " + loopback(t) + ";",
		"/etc/ssl/example.com/", pki.Dir + "/",
		"auth.example.com", "auth." + s.domain,
		"app.example.com", "app." + s.domain + " app2." + s.domain,
		// Not on 443: the port goes after $host, as the config says.
		"$scheme://$host$request_uri", "$scheme://$host:" + s.port + "$request_uri",
	}
	testenv.Nginx(t, deployed(t, "nginx/keygate.conf", pairs), addr)
}

// startPlainCaddy runs deploy/caddy/Caddyfile with http:// site addresses
// under the stack's domain; the app site also answers for app2.
func startPlainCaddy(t *testing.T, s *browserStack, keygateAddr, upstreamAddr string) {
	t.Helper()
	env := []string{
		"CADDY_ADMIN=off",
		"KEYGATE_PORTAL_SITE=" + s.portal(),
		"KEYGATE_APP_SITE=" + s.app() + ", " + s.app2(),
		"KEYGATE_ADDRESS=" + keygateAddr,
		"KEYGATE_APP_UPSTREAM=" + upstreamAddr,
	}
	testenv.Caddy(t, deployPath(t, "caddy/Caddyfile"), env, testenv.CaddyTLS{})
}

// peopleFile is a users file; a person without a password is passkey-only.
func peopleFile(t *testing.T, people ...person) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("users:\n")
	for _, p := range people {
		fmt.Fprintf(&b, "  %s:\n    display_name: %q\n    email: %q\n    groups: [staff]\n", p.username, p.displayName, p.email)
		if p.password == "" {
			continue
		}
		hash, err := directory.HashPassword(p.password)
		if err != nil {
			t.Fatalf("hashing %s's password: %v", p.username, err)
		}
		fmt.Fprintf(&b, "    password: %q\n", hash)
	}
	return b.String()
}

// appPage is the protected application: it shows who the proxy says the user is.
var appPage = template.Must(template.New("app").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Host}}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #eef3ee; color: #1b1f24; }
main { max-width: 34rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 12px; border: 1px solid #cdd8cd; }
dt { font-weight: 600; } dd { margin: 0 0 .5rem; font-family: ui-monospace, monospace; }
</style></head>
<body><main>
<h1>Protected application</h1>
<p>{{.Host}}{{.URI}}</p>
<dl>
<dt>Remote-User</dt><dd id="remote-user">{{.User}}</dd>
<dt>Remote-Name</dt><dd id="remote-name">{{.Name}}</dd>
<dt>Remote-Email</dt><dd id="remote-email">{{.Email}}</dd>
<dt>Remote-Groups</dt><dd id="remote-groups">{{.Groups}}</dd>
<dt>Remote-AMR</dt><dd id="remote-amr">{{.AMR}}</dd>
</dl>
</main></body></html>
`))

// appHandler serves appPage for every request.
func appHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = appPage.Execute(w, map[string]string{
		"Host": r.Host, "URI": r.RequestURI,
		"User": r.Header.Get("Remote-User"), "Name": r.Header.Get("Remote-Name"),
		"Email": r.Header.Get("Remote-Email"), "Groups": r.Header.Get("Remote-Groups"),
		"AMR": r.Header.Get("Remote-AMR"),
	})
}

// notification is one line of the file notifier.
type notification struct {
	User string `json:"user"`
	Code string `json:"code"`
	Link string `json:"link"`
}

// codes returns the one-time codes the file notifier wrote for user, oldest first.
func (s *browserStack) codes(t *testing.T, user string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(s.dataDir, "notifications.log"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("opening the notifier file: %v", err)
	}
	defer f.Close()
	var codes []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var n notification
		if err := json.Unmarshal(sc.Bytes(), &n); err != nil {
			t.Fatalf("notifier line %q is not JSON: %v", sc.Text(), err)
		}
		if n.User == user && n.Code != "" {
			codes = append(codes, n.Code)
		}
	}
	return codes
}

// newCode waits until the notifier has written a code for user beyond the
// first known ones, and returns it.
func (s *browserStack) newCode(t *testing.T, user string, known int) string {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		if codes := s.codes(t, user); len(codes) > known {
			return codes[len(codes)-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new identity code for %s in the notifier file after %v", user, waitTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// invite runs "keygate invite USER" against the running daemon and returns the
// enrollment URL, the last line of its output.
func (s *browserStack) invite(t *testing.T, user string) string {
	t.Helper()
	cmd := exec.Command(keygateBuild.Binary(t), "invite", user, "--config", s.config)
	cmd.Dir = s.dataDir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("keygate invite %s: %v\n%s", user, err, exitStderr(err))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	link := strings.TrimSpace(lines[len(lines)-1])
	if want := s.portal() + "/enroll?token="; !strings.HasPrefix(link, want) {
		t.Fatalf("keygate invite printed %q last, want a URL starting %s", link, want)
	}
	return link
}

func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
