package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/argon2"

	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/notify"
	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/store"
	"github.com/keygate/keygate/webauthn"
)

const (
	portalHost = "auth.example.com"
	testOrigin = "https://auth.example.com"
	defaultURL = "https://home.example.com/"
)

// testEnv is a portal on a real session Manager and a real store (one bbolt
// file in a temporary directory), a real relying party, a file notifier and a
// real users file.
type testEnv struct {
	echo     *echo.Echo
	handler  *Handler
	sessions *session.Manager
	users    *countingUsers
	clock    *clock
	logs     *lockedBuffer
	store    *store.Store
	rp       *webauthn.RP
	file     *store.File
	notes    string // the notifier's file
	metrics  *fakeMetrics
}

// lockedBuffer is a log buffer that server goroutines may write while a test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// countingUsers counts the password checks it passes to the directory, and
// shows the users a test disabled as disabled.
type countingUsers struct {
	dir      *directory.Directory
	calls    atomic.Int64
	disabled sync.Map      // username -> true
	delay    time.Duration // added to every check, to widen races
}

// disable makes the user disabled from now on, as an edited users file would.
func (u *countingUsers) disable(username string) { u.disabled.Store(username, true) }

func (u *countingUsers) Authenticate(ctx context.Context, username, password string) (directory.User, error) {
	u.calls.Add(1)
	time.Sleep(u.delay)
	return u.dir.Authenticate(ctx, username, password)
}

func (u *countingUsers) Lookup(username string) (directory.User, bool) {
	user, ok := u.dir.Lookup(username)
	if _, off := u.disabled.Load(username); off {
		user.Disabled = true
	}
	return user, ok
}

// testConfig is the portal config most tests use.
func testConfig() Config {
	return Config{
		RPName:     "Example Login",
		RememberMe: 720 * time.Hour,
		Regulation: store.RegulationConfig{MaxFailures: 3, Window: time.Minute, Ban: 10 * time.Minute},
	}
}

func newTestEnv(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	return newTestEnvWith(t, cfg, nil)
}

// testRPID is the relying party ID of the tests: the primary cookie domain.
const testRPID = "example.com"

// newTestEnvWith builds a testEnv; configure, when not nil, edits the relying
// party's config first.
func newTestEnvWith(t *testing.T, cfg Config, configure func(*webauthn.Config)) *testEnv {
	t.Helper()
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st := newTestStore(t)
	file, _ := st.File()
	mgr := newTestManagerOn(t, file, cfg.RememberMe, logger)
	wcfg := webauthn.Config{RPID: testRPID, Origins: []string{testOrigin}}
	if configure != nil {
		configure(&wcfg)
	}
	rp, err := webauthn.New(wcfg, st, logger)
	if err != nil {
		t.Fatalf("webauthn.New: %v", err)
	}
	notes := filepath.Join(t.TempDir(), "notes.jsonl")
	notifier, err := notify.New(notify.Config{File: notes}, logger)
	if err != nil {
		t.Fatalf("notify.New: %v", err)
	}
	users := &countingUsers{dir: newTestDirectory(t, logger)}
	c := newTestClock()
	c.t = time.Now()
	fm := &fakeMetrics{counts: map[string]int{}}
	d := dependencies{sessions: mgr, users: users, notifier: notifier, rp: rp, records: st, keys: st, metrics: fm}
	h, err := newHandler(cfg, d, logger, c.now)
	if err != nil {
		t.Fatalf("newHandler: %v", err)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// Like cmd/keygate: X-Forwarded-For only from trusted proxies (loopback
	// here, so that HTTP tests can give browsers addresses).
	e.IPExtractor = echo.ExtractIPFromXFFHeader()
	e.HTTPErrorHandler = ErrorHandler(logger)
	h.Register(e)
	return &testEnv{echo: e, handler: h, sessions: mgr, users: users, clock: c, logs: logs, store: st, rp: rp, file: file, notes: notes, metrics: fm}
}

func newTestStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{Path: filepath.Join(t.TempDir(), "keygate.db")}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newTestManagerOn(t *testing.T, db session.BoltFile, rememberMe time.Duration, logger *slog.Logger) *session.Manager {
	t.Helper()
	st, err := session.NewBoltStore(db, logger)
	if err != nil {
		t.Fatalf("NewBoltStore: %v", err)
	}
	mgr, err := session.NewManager(session.Config{
		Domain:             "example.com",
		PortalURL:          "https://auth.example.com",
		DefaultRedirectURL: defaultURL,
		RememberMe:         rememberMe,
		Cookies: []session.CookieConfig{
			{Domain: "example.org", PortalURL: "https://login.example.org:8443/"},
		},
	}, st, logger)
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	t.Cleanup(func() { mgr.Close() })
	return mgr
}

// The users of the test users file; every password is "<name>-password".
const testUsersFile = `users:
  alice:
    display_name: Alice Liddell
    email: alice@example.com
    groups: [admins, dev]
    password: "%[1]s"
  bob:
    password: "%[2]s"
  dora:
    disabled: true
    password: "%[3]s"
  carol:
    display_name: Carol
`

func newTestDirectory(t *testing.T, logger *slog.Logger) *directory.Directory {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.yml")
	content := fmt.Sprintf(testUsersFile, cheapHash(t, "alice-password"), cheapHash(t, "bob-password"), cheapHash(t, "dora-password"))
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatalf("writing users file: %v", err)
	}
	d, err := directory.New(directory.Config{File: path}, logger)
	if err != nil {
		t.Fatalf("directory.New: %v", err)
	}
	return d
}

// cheapHash is an argon2id hash at the lowest cost the users file accepts, to keep tests fast.
func cheapHash(t *testing.T, password string) string {
	t.Helper()
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		t.Fatal(err)
	}
	key := argon2.IDKey([]byte(password), salt, 1, 8, 1, 32)
	b64 := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=%d$m=8,t=1,p=1$%s$%s", argon2.Version, b64(salt), b64(key))
}

// request builds a request to the portal. Mutating requests get the portal's
// Origin and a JSON content type unless opts change them.
func request(method, target, body string, opts ...func(*http.Request)) *http.Request {
	var r io.Reader = http.NoBody
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	req.Host = portalHost
	req.RemoteAddr = "192.0.2.10:40000"
	if method != http.MethodGet && method != http.MethodHead {
		req.Header.Set("Origin", testOrigin)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	for _, opt := range opts {
		opt(req)
	}
	return req
}

func withCookie(c *http.Cookie) func(*http.Request) {
	return func(r *http.Request) {
		if c != nil {
			r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
}

func withHeader(name, value string) func(*http.Request) {
	return func(r *http.Request) {
		if value == "" {
			r.Header.Del(name)
			return
		}
		r.Header.Set(name, value)
	}
}

func withRemoteAddr(addr string) func(*http.Request) {
	return func(r *http.Request) { r.RemoteAddr = addr }
}

func (te *testEnv) do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	te.echo.ServeHTTP(rec, req)
	return rec
}

// sessionCookie returns the session cookie set by rec, or nil.
func (te *testEnv) sessionCookie(rec *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == te.sessions.CookieName() {
			return c
		}
	}
	return nil
}

// load returns the session stored under the cookie's ID, or nil.
func (te *testEnv) load(t *testing.T, c *http.Cookie) *session.Session {
	t.Helper()
	if c == nil {
		return nil
	}
	s, err := te.sessions.Load(context.Background(), c.Value, portalHost)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

// issue stores s and returns its cookie, as another ceremony would.
func (te *testEnv) issue(t *testing.T, s *session.Session) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := te.sessions.Issue(context.Background(), rec, "", s); err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return te.sessionCookie(rec)
}

// login signs in with a password and returns the answer and the response.
func (te *testEnv) login(t *testing.T, username, password string, opts ...func(*http.Request)) *httptest.ResponseRecorder {
	t.Helper()
	body, err := json.Marshal(passwordRequest{Username: username, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return te.do(request(http.MethodPost, "/api/login/password", string(body), opts...))
}

// decode parses a JSON response body into a map.
func decode(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("response %q is not JSON: %v", rec.Body.String(), err)
	}
	return m
}
