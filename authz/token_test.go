package authz

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/policy"
	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/token"
)

// fakeTokens is a TokenStore over a map that counts lookups and uses.
type fakeTokens struct {
	mu      sync.Mutex
	byID    map[string]token.Token
	err     error
	lookups int
	touched []string
	refused []string // audit events: user/id@ip
}

var (
	_ TokenStore   = (*fakeTokens)(nil)
	_ TokenAuditor = (*fakeTokens)(nil)
)

func (f *fakeTokens) TokenRefused(_ context.Context, user, id, ip string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refused = append(f.refused, user+"/"+id+"@"+ip)
	return nil
}

func (f *fakeTokens) Token(_ context.Context, id string) (token.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	if f.err != nil {
		return token.Token{}, f.err
	}
	t, ok := f.byID[id]
	if !ok {
		return token.Token{}, token.ErrUnknown
	}
	return t, nil
}

func (f *fakeTokens) TouchToken(_ context.Context, id string, at time.Time, ip string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.touched = append(f.touched, id+"@"+ip)
	return nil
}

// tokenPolicy accepts tokens under dav.example.com/cal and nowhere else.
func tokenPolicy(tb testing.TB) *policy.Engine {
	tb.Helper()
	e, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Domain: []string{"dav.example.com"}, Resources: []string{"^/cal/"}, Policy: "two_factor", Tokens: "allow"},
		{Domain: []string{"*.example.com"}, Policy: "one_factor"},
	}})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// mint makes a token of alice for dav.example.com GET and PROPFIND, expiring
// an hour after testNow, and returns its text.
func mint(t *testing.T, ft *fakeTokens, ttl time.Duration) string {
	t.Helper()
	scope := token.Scope{Hosts: []string{"dav.example.com"}, Methods: []string{"GET", "PROPFIND"}}
	text, tok, err := token.Mint("alice", "phone", scope, testNow.Add(-time.Hour), time.Hour+ttl)
	if err != nil {
		t.Fatal(err)
	}
	ft.byID[tok.ID] = tok
	return text
}

func basicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

func TestTokens(t *testing.T) {
	ft := &fakeTokens{byID: map[string]token.Token{}}
	good := mint(t, ft, time.Hour)
	expired := mint(t, ft, 0)
	revoked := mint(t, ft, time.Hour)
	id, _, _ := token.Parse(revoked)
	delete(ft.byID, id)
	wrong := good[:len(good)-2] + "AA"
	if wrong == good {
		wrong = good[:len(good)-2] + "BB"
	}
	tests := []struct {
		name, method, url, auth string
		wantStatus              int
		wantUser                string
		wantLookup, wantAudit   bool
	}{
		{"bearer in scope", "GET", "https://dav.example.com/cal/home", "Bearer " + good, 200, "alice", true, false},
		{"basic in scope", "PROPFIND", "https://dav.example.com/cal/home", basicAuth("alice", good), 200, "alice", true, false},
		{"basic without user", "GET", "https://dav.example.com/cal/home", basicAuth("", good), 200, "alice", true, false},
		{"basic of another user", "GET", "https://dav.example.com/cal/home", basicAuth("bob", good), 401, "", true, true},
		{"method outside the scope", "DELETE", "https://dav.example.com/cal/home", "Bearer " + good, 401, "", true, false},
		{"rule without tokens: Authorization not read", "GET", "https://dav.example.com/files/", "Bearer " + good, 401, "", false, false},
		{"host without tokens", "GET", "https://app.example.com/cal/home", "Bearer " + good, 401, "", false, false},
		{"wrong secret", "GET", "https://dav.example.com/cal/home", "Bearer " + wrong, 401, "", true, true},
		{"expired", "GET", "https://dav.example.com/cal/home", "Bearer " + expired, 401, "", true, false},
		{"revoked", "GET", "https://dav.example.com/cal/home", "Bearer " + revoked, 401, "", true, false},
		{"malformed", "GET", "https://dav.example.com/cal/home", "Bearer kgt_nope", 401, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newTokenEcho(t, &fakeSessions{}, ft, Regulation{})
			before, audited := ft.lookups, len(ft.refused)
			d := forwardAuthDialect
			hdr := d.header(tt.method, tt.url)
			hdr.Set("Authorization", tt.auth)
			w := serve(e, checkRequest(d, proxyAddr, hdr, ""))
			if w.Code != tt.wantStatus {
				t.Fatalf("got status %d, want %d (body %q)", w.Code, tt.wantStatus, w.Body)
			}
			if got := w.Header().Get("Remote-User"); got != tt.wantUser {
				t.Errorf("got Remote-User %q, want %q", got, tt.wantUser)
			}
			if w.Code == 200 && w.Header().Get("Remote-AMR") != "" {
				t.Errorf("a token's answer has Remote-AMR %q, want empty", w.Header().Get("Remote-AMR"))
			}
			if looked := ft.lookups > before; looked != tt.wantLookup {
				t.Errorf("token looked up: %v, want %v", looked, tt.wantLookup)
			}
			if got := len(ft.refused) > audited; got != tt.wantAudit {
				t.Errorf("audited: %v, want %v (%v)", got, tt.wantAudit, ft.refused)
			}
		})
	}
}

func TestTokenChallenge(t *testing.T) {
	const challenge = `Bearer realm="Keygate", Basic realm="Keygate", charset="UTF-8"`
	ft := &fakeTokens{byID: map[string]token.Token{}}
	e, _ := newTokenEcho(t, &fakeSessions{}, ft, Regulation{})
	for _, tt := range []struct {
		name, url, accept string
		d                 dialect
		want              string
	}{
		{"API client on a tokens rule", "https://dav.example.com/cal/home", "", forwardAuthDialect, challenge},
		{"API client through nginx", "https://dav.example.com/cal/home", "application/json", authRequestDialect, challenge},
		{"browser through nginx", "https://dav.example.com/cal/home", "text/html", authRequestDialect, ""},
		{"API client on a rule without tokens", "https://app.example.com/", "", forwardAuthDialect, ""},
	} {
		h := tt.d.header("GET", tt.url)
		if tt.accept != "" {
			h.Set("Accept", tt.accept)
		}
		w := serve(e, checkRequest(tt.d, proxyAddr, h, ""))
		if got := strings.Join(w.Header().Values("WWW-Authenticate"), " | "); w.Code != 401 || got != tt.want {
			t.Errorf("%s: got %d with WWW-Authenticate %q, want 401 with %q", tt.name, w.Code, got, tt.want)
		}
	}
}

func TestTokenRegulation(t *testing.T) {
	ft := &fakeTokens{byID: map[string]token.Token{}}
	good := mint(t, ft, time.Hour)
	e, h := newTokenEcho(t, &fakeSessions{}, ft, Regulation{MaxFailures: 3, Window: time.Minute, Ban: 10 * time.Minute})
	d := forwardAuthDialect
	try := func(text string) int {
		hdr := d.header("GET", "https://dav.example.com/cal/home")
		hdr.Set("Authorization", "Bearer "+text)
		hdr.Set("X-Forwarded-For", clientIP)
		return serve(e, checkRequest(d, proxyAddr, hdr, "")).Code
	}
	bad := good[:len(good)-4] + "zzzz"
	for range 3 {
		if got := try(bad); got != 401 {
			t.Fatalf("wrong secret: got %d, want 401", got)
		}
	}
	if got := try(good); got != 401 {
		t.Errorf("the right token from a banned address: got %d, want 401", got)
	}
	now := testNow.Add(11 * time.Minute)
	h.now = func() time.Time { return now }
	h.tokenLimit.now = h.now
	if got := try(good); got != 200 {
		t.Errorf("the right token once the ban is over: got %d, want 200", got)
	}
}

// newTokenEcho serves a handler over tokenPolicy with tokens from ft.
func newTokenEcho(t *testing.T, fs *fakeSessions, ft *fakeTokens, reg Regulation) (*echo.Echo, *Handler) {
	t.Helper()
	h, err := newHandler(Config{TrustedProxies: []string{"192.0.2.0/24"}}, fs, tokenPolicy(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	h.now = func() time.Time { return testNow }
	h.EnableTokens(ft, reg, ft)
	e := echo.New()
	h.Register(e)
	return e, h
}

func TestTokenStoreDownFailsClosed(t *testing.T) {
	ft := &fakeTokens{byID: map[string]token.Token{}}
	good := mint(t, ft, time.Hour)
	ft.err = errors.New("disk on fire")
	e, _ := newTokenEcho(t, &fakeSessions{}, ft, Regulation{})
	d := authRequestDialect
	hdr := d.header("GET", "https://dav.example.com/cal/home")
	hdr.Set("Authorization", "Bearer "+good)
	if got := serve(e, checkRequest(d, proxyAddr, hdr, "")).Code; got != http.StatusInternalServerError {
		t.Errorf("token store down: got %d, want 500", got)
	}
}

func TestSessionBeforeToken(t *testing.T) {
	ft := &fakeTokens{byID: map[string]token.Token{}}
	good := mint(t, ft, time.Hour)
	fs := &fakeSessions{byID: map[string]*session.Session{"alice": alice()}}
	e, _ := newTokenEcho(t, fs, ft, Regulation{})
	d := forwardAuthDialect
	hdr := d.header("GET", "https://dav.example.com/cal/home")
	hdr.Set("Authorization", "Bearer "+good)
	w := serve(e, checkRequest(d, proxyAddr, hdr, "alice"))
	if w.Code != 200 || w.Header().Get("Remote-AMR") != "pwd,swk,mfa" || ft.lookups != 0 {
		t.Errorf("signed-in request with a token: got %d, AMR %q, %d lookups; want 200 by the session, no lookup",
			w.Code, w.Header().Get("Remote-AMR"), ft.lookups)
	}
}
