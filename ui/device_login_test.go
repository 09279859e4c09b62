package ui

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
)

// deviceCookieFor signs username in and returns the device cookie it got.
func (te *testEnv) deviceCookieFor(t *testing.T, username string) *http.Cookie {
	t.Helper()
	rec := te.login(t, username, username+"-password")
	c := deviceCookieOf(rec)
	if rec.Code != http.StatusOK || c == nil {
		t.Fatalf("sign-in of %s: status %d, device cookie %v; want 200 and a device cookie", username, rec.Code, c)
	}
	return c
}

func TestPasswordSignInHashClass(t *testing.T) {
	te := newTestEnv(t, testConfig())
	alice, bob := te.deviceCookieFor(t, "alice"), te.deviceCookieFor(t, "bob")
	forged := &http.Cookie{Name: deviceCookieName, Value: alice.Value[:len(alice.Value)-1] + "A"}
	if forged.Value == alice.Value {
		forged.Value = alice.Value[:len(alice.Value)-1] + "B"
	}
	tests := []struct {
		name       string
		cookie     *http.Cookie
		wantDevice bool
	}{
		{"its own user's device cookie", alice, true},
		{"another user's device cookie", bob, false},
		{"a forged device cookie", forged, false},
		{"no device cookie", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newHashPool(1, te.clock.now)
			te.handler.login.hashes = p
			holder := holdSlot(t, p)
			answer := make(chan *httptest.ResponseRecorder, 1)
			go func() { answer <- te.login(t, "alice", "alice-password", withCookie(tt.cookie)) }()
			waitQueued(t, p, 1)
			p.mu.Lock()
			got := p.waiting[0].key.device
			p.mu.Unlock()
			holder.rel()
			rec := <-answer
			if got != tt.wantDevice {
				t.Errorf("waited in the known-device class: %v, want %v", got, tt.wantDevice)
			}
			if rec.Code != http.StatusOK {
				t.Errorf("status %d (%s), want 200: a cookie that does not verify is no error", rec.Code, rec.Body)
			}
			if c := deviceCookieOf(rec); c == nil {
				t.Errorf("no device cookie on a successful sign-in")
			}
		})
	}
}

// TestDeviceCookieBypassesNothing checks that a device cookie signs nobody in
// and leaves regulation whole: its user's wrong passwords ban the user, and
// during the ban the right password is refused without a hash.
func TestDeviceCookieBypassesNothing(t *testing.T) {
	te := newTestEnv(t, testConfig())
	device := te.deviceCookieFor(t, "alice")
	st := te.do(request(http.MethodGet, "/api/session", "", withCookie(device)))
	if m := decode(t, st); m["authenticated"] != false {
		t.Errorf("session with only a device cookie: %v, want not authenticated", m)
	}
	for i := range testConfig().Regulation.MaxFailures {
		rec := te.login(t, "alice", "wrong", withCookie(device))
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: status %d, want 401", i+1, rec.Code)
		}
		if c := deviceCookieOf(rec); c != nil {
			t.Errorf("wrong password %d set a device cookie %v, want none", i+1, c)
		}
	}
	calls := te.users.calls.Load()
	rec := te.login(t, "alice", "alice-password", withCookie(device))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("right password during the ban with a device cookie: status %d, want 401", rec.Code)
	}
	if n := te.users.calls.Load() - calls; n != 0 {
		t.Errorf("%d password checks during the ban, want none", n)
	}
	te.clock.advance(testConfig().Regulation.Ban + time.Second)
	if rec := te.login(t, "alice", "alice-password", withCookie(device)); rec.Code != http.StatusOK {
		t.Errorf("after the ban: status %d, want 200", rec.Code)
	}
}

// TestDeviceCookieFromWebAuthn checks that sign-ins without a password set
// the device cookie too, valid for their user only.
func TestDeviceCookieFromWebAuthn(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	d := newDevice(virtualwebauthn.KeyTypeEC2, false)
	enrolled := p.browser(t)
	enrolled.enroll(p.invite(t, "alice"), d).want(t, http.StatusOK, "")
	signedIn := p.browser(t)
	signedIn.passkey(d, false).want(t, http.StatusOK, "")
	tests := []struct {
		name string
		b    *browser
	}{
		{"enrollment", enrolled},
		{"passkey sign-in", signedIn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.b.cookies[deviceCookieName]
			if c == nil {
				t.Fatal("no device cookie")
			}
			devices := p.handler.login.devices
			if got := knownWith(devices, c.Value, "alice"); got == "" {
				t.Errorf("the cookie is not a known device of alice")
			}
			if got := knownWith(devices, c.Value, "bob"); got != "" {
				t.Errorf("the cookie is a known device of bob (%s), want of alice only", got)
			}
		})
	}
}
