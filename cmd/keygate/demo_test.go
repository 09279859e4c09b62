package main

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDemoAppAsksLikeAProxy checks what the example app sends the daemon and
// what it makes of each answer.
func TestDemoAppAsksLikeAProxy(t *testing.T) {
	var asked http.Header
	answer := func(w http.ResponseWriter, r *http.Request) {
		asked = r.Header.Clone()
		if r.URL.Path != "/api/authz/forward-auth" {
			t.Errorf("asked %s, want /api/authz/forward-auth", r.URL.Path)
		}
		switch r.Header.Get("X-Forwarded-Uri") {
		case "/private?x=1":
			w.Header().Set("Location", "http://localhost:9091/?rd=x")
			w.WriteHeader(http.StatusFound)
			io.WriteString(w, "302 Found: sign in at the Location\n")
		case "/denied":
			w.WriteHeader(http.StatusForbidden)
		default:
			w.Header().Set("Remote-User", "alice")
			w.Header().Set("Remote-Groups", "admins,dev")
			w.Header().Set("Remote-Email", "")
			w.Header().Set("Remote-Name", `<script>alert(1)</script>`)
			w.Header().Set("Remote-AMR", "pwd,hwk,mfa")
		}
	}
	daemon := httptest.NewServer(http.HandlerFunc(answer))
	defer daemon.Close()
	app := newDemoApp(daemon.Listener.Addr(), "http://localhost:9091/", slog.New(slog.DiscardHandler))
	defer app.client.CloseIdleConnections()

	get := func(target string, header http.Header) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.RemoteAddr = "127.0.0.1:40000"
		for k, v := range header {
			req.Header[k] = v
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		return rec
	}

	rec := get("http://localhost:9092/private?x=1", http.Header{"Cookie": {"keygate_session=abc"}, "Accept": {"text/html"},
		"Remote-User": {"mallory"}})
	for name, want := range map[string]string{
		"X-Forwarded-Method": "GET", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "localhost:9092",
		"X-Forwarded-Uri": "/private?x=1", "X-Forwarded-For": "127.0.0.1", "Cookie": "keygate_session=abc",
		"Accept": "text/html", "Remote-User": "",
	} {
		if got := asked.Get(name); got != want {
			t.Errorf("asked with %s %q, want %q", name, got, want)
		}
	}
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "http://localhost:9091/?rd=x" {
		t.Errorf("refusal passed on as %d Location %q, want 302 with the daemon's Location", rec.Code, rec.Header().Get("Location"))
	}

	if rec := get("http://localhost:9092/denied", nil); rec.Code != http.StatusForbidden {
		t.Errorf("denied: %d, want 403", rec.Code)
	}

	rec = get("http://localhost:9092/", nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("allowed: %d, want 200", rec.Code)
	}
	for _, want := range []string{`<td id="Remote-User">alice</td>`, `<td id="Remote-Groups">admins,dev</td>`,
		`<td id="Remote-Email"></td>`, `<td id="Remote-AMR">pwd,hwk,mfa</td>`, `&lt;script&gt;alert(1)&lt;/script&gt;`, `href="http://localhost:9091/logout"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Errorf("page holds an unescaped header value:\n%s", body)
	}
	// The CSP allows the page's inline style by the hash of exactly what is
	// served, and nothing else.
	csp := rec.Header().Get("Content-Security-Policy")
	_, rest, _ := strings.Cut(body, "<style>")
	style, _, found := strings.Cut(rest, "</style>")
	if !found {
		t.Fatalf("page has no style element:\n%s", body)
	}
	sum := sha256.Sum256([]byte(style))
	want := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "';"
	if !strings.HasPrefix(csp, want) || strings.Contains(csp, "unsafe") {
		t.Errorf("Content-Security-Policy = %q, want it to start %q and allow nothing unsafe", csp, want)
	}
}

// TestDemoAppFailsClosed checks that the page is never shown when the daemon
// does not answer.
func TestDemoAppFailsClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr()
	ln.Close() // nothing listens there now
	app := newDemoApp(addr, "http://localhost:9091", slog.New(slog.DiscardHandler))
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://localhost:9092/", nil))
	if rec.Code != http.StatusBadGateway || strings.Contains(rec.Body.String(), "Remote-User") {
		t.Errorf("daemon down: %d %q, want 502 without the page", rec.Code, rec.Body.String())
	}
}
