package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/keygate/keygate/internal/testenv"
)

// cheapHash is an argon2id hash at the lowest cost the users file accepts.
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

// TestDisabledUserSessionsEnd signs bob in on a running daemon, disables him in
// the users file and enables him again: the session he had is gone for good.
func TestDisabledUserSessionsEnd(t *testing.T) {
	addr, cfg := serveConfig(t)
	users := filepath.Join(filepath.Dir(cfg), "users.yml")
	hash := cheapHash(t, "bob-password")
	writeUsers := func(disabled bool) {
		t.Helper()
		body := fmt.Sprintf("users:\n  admin: {groups: [admins]}\n  bob:\n    password: %q\n    disabled: %v\n", hash, disabled)
		writeFile(t, users, body)
		// A new modification time, whatever the file system's resolution.
		mtime := time.Now().Add(time.Duration(len(body)) * time.Second)
		if disabled {
			mtime = mtime.Add(time.Hour)
		} else {
			mtime = mtime.Add(2 * time.Hour)
		}
		if err := os.Chtimes(users, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	writeUsers(false)

	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", cfg}, nil, &out, &errOut) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve ended with %v\n%s", err, errOut.String())
		}
	})
	testenv.WaitTCP(t, addr, 10*time.Second)

	cookie := signInPassword(t, addr, "bob", "bob-password")
	if got := forwardAuth(t, addr, cookie); got != http.StatusOK {
		t.Fatalf("forward-auth with bob's session = %d, want 200", got)
	}
	writeUsers(true)
	waitFor(t, "bob's session refused once disabled", func() bool { return forwardAuth(t, addr, cookie) != http.StatusOK })
	writeUsers(false)
	waitFor(t, "the daemon to reload bob enabled", func() bool {
		return strings.Count(errOut.String(), "users reloaded") >= 2
	})
	if got := forwardAuth(t, addr, cookie); got == http.StatusOK {
		t.Errorf("forward-auth with bob's old session after enabling him again = %d, want it ended", got)
	}
	if fresh := signInPassword(t, addr, "bob", "bob-password"); forwardAuth(t, addr, fresh) != http.StatusOK {
		t.Error("a new sign-in after enabling bob again does not pass")
	}
}

// signInPassword signs in on the portal and returns the session cookie.
func signInPassword(t *testing.T, addr, user, password string) *http.Cookie {
	t.Helper()
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, user, password)
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/api/login/password", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "localhost:9091"
	req.Header.Set("Origin", "http://localhost:9091")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "keygate_session" && c.Value != "" {
			return c
		}
	}
	t.Fatalf("sign-in answered %d without a session cookie", resp.StatusCode)
	return nil
}

// forwardAuth asks the daemon whether a request with cookie may reach app.localhost.
func forwardAuth(t *testing.T, addr string, cookie *http.Cookie) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/api/authz/forward-auth", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Forwarded-Method", "GET")
	req.Header.Set("X-Forwarded-Proto", "http")
	req.Header.Set("X-Forwarded-Host", "app.localhost")
	req.Header.Set("X-Forwarded-Uri", "/")
	req.Header.Set("Accept", "application/json")
	req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitFor polls cond for up to 10 s (the users file is looked at every 2 s).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
