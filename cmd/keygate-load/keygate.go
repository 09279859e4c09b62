package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	cookieName = "keygate_session"
	// appHost is the protected app every check asks about; it is under the
	// cookie domain localhost, the one domain whose portal may be plain http.
	appHost = "app.localhost"
	appURI  = "/dashboard?tab=1"
	// startTimeout bounds how long a freshly started server may take to answer.
	startTimeout = 15 * time.Second
	// signInTimeout bounds one password sign-in, queueing for a hashing slot
	// included; the daemon itself gives up writing an answer after 30 s.
	signInTimeout = 60 * time.Second
	// idleSettle is how long the daemon is left alone after sign-ins before its
	// idle RSS is read: it returns the password hashes' memory to the operating
	// system once it has hashed nothing for a second.
	idleSettle = 2 * time.Second
)

// loadIdentity is the user every authenticated scenario signs in as.
var loadIdentity = identity{user: "loaduser", groups: "dev", email: "load@example.test", name: "Load User"}

// errSignIn reports that the password sign-in did not give a session cookie.
var errSignIn = errors.New("sign-in failed")

// statusError is a sign-in answered with a status other than 200.
type statusError struct {
	code   int
	answer string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%v: status %d: %s", errSignIn, e.code, e.answer)
}

func (e *statusError) Unwrap() error { return errSignIn }

// errSignInBusy reports a sign-in answered 429: the daemon could not check the
// password in time and asks the client to try again.
var errSignInBusy = fmt.Errorf("%w: busy (429)", errSignIn)

// keygate is one running daemon with a signed-in session.
type keygate struct {
	proc     *proc
	addr     string // 127.0.0.1:port
	cookie   string // name=value of the signed-in session
	password string // the load user's
	// manyPassword is the many-sessions user's (see cheapHash).
	manyPassword string
	// rssStart is the RSS once the daemon answers, before any other request
	// (the sign-in among them); rssSignedIn the RSS idleSettle after its first
	// sign-in. 0 when it could not be read.
	rssStart, rssSignedIn uint64
	memStart, memSignedIn memory // the same with their anonymous part
	pprofAddr             string // net/http/pprof's address in a profiling build; "" none
}

// keygateBinary returns the binary given with -keygate, or builds one into the
// temporary directory the first time it is needed.
func (b *bench) keygateBinary(ctx context.Context) (string, error) {
	if b.opts.keygate != "" {
		return b.opts.keygate, nil
	}
	bin := filepath.Join(b.dir, "keygate")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	extra, err := b.buildArgs(ctx)
	if err != nil {
		return "", err
	}
	b.logger.Info("building keygate", "output", bin, "profiling", b.opts.profileDir != "")
	// As task build ships it: static, without symbol tables.
	args := slices.Concat([]string{"build", "-trimpath", "-ldflags=-s -w", "-o", bin}, extra, []string{"github.com/keygate/keygate/cmd/keygate"})
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building keygate: %w\n%s", err, out)
	}
	return bin, nil
}

// startKeygate starts a daemon named name in its own directory, with the
// embedded session store, or with Redis at redisAddr when it is not empty, and
// signs the load user in. With cheap, every password hash in its users file is
// the cheapest argon2id (see cheapHash): Keygate hashes once per class of hash
// in the file at every sign-in, whichever the user, so one default-cost hash
// would make the many-sessions sign-ins as slow as the default's. A daemon
// with cheap hashes serves the throughput scenarios and runs on -server-cpus;
// one with the default cost serves the sign-in scenarios and runs on
// -signin-cpus.
func (b *bench) startKeygate(ctx context.Context, name, redisAddr string, cheap bool) (*keygate, error) {
	bin, err := b.keygateBinary(ctx)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(b.dir, "keygate-"+name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	kg := &keygate{password: randomToken(), manyPassword: randomToken()}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	kg.addr = "127.0.0.1:" + strconv.Itoa(port)
	conf, err := writeKeygateFiles(ctx, bin, dir, port, kg, redisAddr, cheap)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--config", conf)
	cmd.Dir = dir
	if b.opts.profileDir != "" {
		pport, err := freePort()
		if err != nil {
			return nil, err
		}
		kg.pprofAddr = "127.0.0.1:" + strconv.Itoa(pport)
		cmd.Env = append(os.Environ(), pprofEnv+"="+kg.pprofAddr)
	}
	cpus := b.opts.serverCPUs
	if !cheap {
		cpus = b.opts.signinCPUs
	}
	if kg.proc, err = b.procs.start("keygate ("+name+")", pinned(cpus, cmd), filepath.Join(dir, "keygate.log")); err != nil {
		return nil, err
	}
	if err := kg.proc.waitFor(ctx, startTimeout, kg.healthy); err != nil {
		return nil, err
	}
	kg.memStart, _ = readMem(kg.proc.pid())
	kg.rssStart = kg.memStart.rss
	if kg.cookie, err = kg.signIn(ctx); err != nil {
		return nil, kg.proc.failure(err)
	}
	if err := settle(ctx); err != nil {
		return nil, err
	}
	kg.memSignedIn, _ = readMem(kg.proc.pid())
	kg.rssSignedIn = kg.memSignedIn.rss
	return kg, nil
}

// settle leaves the daemon alone for idleSettle, or until ctx is done.
func settle(ctx context.Context) error {
	select {
	case <-time.After(idleSettle):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writeKeygateFiles writes the users file (one password user) and the config
// file into dir and returns the config file's path.
func writeKeygateFiles(ctx context.Context, bin, dir string, port int, kg *keygate, redisAddr string, cheap bool) (string, error) {
	hash := cheapHash(kg.password)
	if !cheap {
		var err error
		if hash, err = hashPassword(ctx, bin, kg.password); err != nil {
			return "", err
		}
	}
	user := func(id identity, hash string) string {
		return fmt.Sprintf("  %s:\n    display_name: %q\n    email: %q\n    groups: [%s]\n    password: %q\n",
			id.user, id.name, id.email, id.groups, hash)
	}
	users := "users:\n" + user(loadIdentity, hash) + user(manyIdentity, cheapHash(kg.manyPassword))
	usersFile := filepath.Join(dir, "users.yml")
	if err := os.WriteFile(usersFile, []byte(users), 0o600); err != nil {
		return "", fmt.Errorf("writing users file: %w", err)
	}
	var redis string
	if redisAddr != "" {
		redis = fmt.Sprintf("  redis:\n    address: %q\n", redisAddr)
	}
	conf := fmt.Sprintf(`server:
  address: "127.0.0.1:%d"
log: {level: info, format: text}
storage: {path: %q}
users: {file: %q}
session:
  name: %s
  domain: localhost
  portal_url: "http://localhost:%d"
%snotifier: {file: %q}
access_control:
  default_policy: deny
  rules:
    - domain: [%q]
      policy: one_factor
`, port, filepath.Join(dir, "keygate.db"), usersFile, cookieName, port, redis,
		filepath.Join(dir, "notifications.log"), appHost)
	path := filepath.Join(dir, "keygate.yml")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return "", fmt.Errorf("writing config file: %w", err)
	}
	return path, nil
}

// hashPassword asks `keygate hash-password` for the hash of password.
func hashPassword(ctx context.Context, bin, password string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, "hash-password")
	cmd.Stdin = strings.NewReader(password + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("keygate hash-password: %w: %s", err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

// portal returns the portal's host (as a browser sends it) and origin.
func (kg *keygate) portal() (host, origin string) {
	_, port, _ := strings.Cut(kg.addr, ":")
	host = "localhost:" + port
	return host, "http://" + host
}

// healthy reports whether the daemon answers its health check.
func (kg *keygate) healthy() bool {
	req, err := http.NewRequest(http.MethodGet, "http://"+kg.addr+"/api/health", nil)
	if err != nil {
		return false
	}
	req.Host, _ = kg.portal()
	client := &http.Client{Timeout: time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// signIn signs the load user in through the portal's API, as the sign-in page
// does, and returns the session cookie as name=value.
func (kg *keygate) signIn(ctx context.Context) (string, error) {
	return kg.signInAs(ctx, loadIdentity.user, kg.password, "")
}

// signInAs signs user in with password and returns the session cookie as
// name=value. When xff is not "", the request carries it as X-Forwarded-For,
// which Keygate believes from loopback (its default trusted proxies).
func (kg *keygate) signInAs(ctx context.Context, user, password, xff string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+kg.addr+"/api/login/password", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("building sign-in request: %w", err)
	}
	host, origin := kg.portal()
	req.Host = host
	req.Header.Set("Origin", origin)
	req.Header.Set("Content-Type", "application/json")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := (&http.Client{Timeout: signInTimeout}).Do(req)
	if err != nil {
		return "", fmt.Errorf("signing in: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode == http.StatusTooManyRequests {
		return "", fmt.Errorf("%w: %s", errSignInBusy, answer)
	}
	if resp.StatusCode != http.StatusOK {
		return "", &statusError{code: resp.StatusCode, answer: string(answer)}
	}
	for _, c := range resp.Cookies() {
		if c.Name == cookieName && c.Value != "" {
			return c.Name + "=" + c.Value, nil
		}
	}
	return "", fmt.Errorf("%w: no %s cookie in the answer", errSignIn, cookieName)
}

// forwardAuthTarget is a GET of appHost+appURI as a forward-auth proxy asks
// about it at addr, carrying cookie (name=value; "" for none). It accepts JSON,
// not HTML, so that Keygate refuses it with 401, which wrk counts as a bad
// status, rather than with the 302 a browser gets, which wrk would count as
// good: a session lost during a run cannot pass unseen.
func forwardAuthTarget(addr, cookie string) target {
	h := http.Header{}
	h.Set("X-Forwarded-Method", http.MethodGet)
	h.Set("X-Forwarded-Proto", "http")
	h.Set("X-Forwarded-Host", appHost)
	h.Set("X-Forwarded-Uri", appURI)
	h.Set("Accept", "application/json")
	if cookie != "" {
		h.Set("Cookie", cookie)
	}
	return target{
		url:      "http://" + addr + "/api/authz/forward-auth",
		header:   h,
		want:     http.StatusOK,
		wantUser: loadIdentity.user,
	}
}

// randomToken returns 32 random bytes, base64url-encoded.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
