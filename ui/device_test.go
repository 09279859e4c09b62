package ui

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/session"
)

// fakeKeys hands out one key, or fails.
type fakeKeys struct {
	key []byte
	err error
}

func (k fakeKeys) ServerKey(context.Context, string) ([]byte, error) { return k.key, k.err }

// flakyKeys fails until healed, counting the reads.
type flakyKeys struct {
	reads  int
	healed bool
}

func (k *flakyKeys) ServerKey(context.Context, string) ([]byte, error) {
	k.reads++
	if !k.healed {
		return nil, errors.New("store down")
	}
	return testDeviceKey, nil
}

var testDeviceKey = bytes.Repeat([]byte{7}, 32)

func testDevices(c *clock, keys serverKeys, lifetime time.Duration) *devices {
	return newDevices(lifetime, keys, c.now, slog.New(slog.DiscardHandler))
}

// deviceCookieOf returns the device cookie set on rec, or nil.
func deviceCookieOf(rec *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == deviceCookieName {
			return c
		}
	}
	return nil
}

// issueDevice returns the device cookie d sets for username on a request
// carrying cookies.
func issueDevice(t *testing.T, d *devices, username string, cookies ...*http.Cookie) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/api/login/password", nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	d.remember(rec, req, testDomain("https://auth.example.com"), username)
	c := deviceCookieOf(rec)
	if c == nil {
		t.Fatalf("remember(%q) set no device cookie", username)
	}
	return c
}

func testDomain(portal string) session.Domain {
	u, _ := url.Parse(portal)
	return session.Domain{Name: "example.com", PortalURL: u, DefaultRedirectURL: u}
}

// knownWith is d.known for a request carrying value as the device cookie.
func knownWith(d *devices, value, username string) string {
	req := httptest.NewRequest(http.MethodPost, "/api/login/password", nil)
	req.AddCookie(&http.Cookie{Name: deviceCookieName, Value: value})
	return d.known(req, username)
}

func TestDeviceCookieKnown(t *testing.T) {
	c := newTestClock()
	d := testDevices(c, fakeKeys{key: testDeviceKey}, time.Hour)
	valid := issueDevice(t, d, "alice").Value
	id, _, _ := strings.Cut(valid, ".")
	parts := strings.Split(valid, ".")
	otherKey := issueDevice(t, testDevices(c, fakeKeys{key: bytes.Repeat([]byte{8}, 32)}, time.Hour), "alice").Value
	flipped := []byte(valid)
	flipped[len(flipped)-2] ^= 1
	tests := []struct {
		name     string
		value    string
		username string
		advance  time.Duration
		want     string
	}{
		{"its own user", valid, "alice", 0, id},
		{"its own user in capitals", valid, "ALICE", 0, id},
		{"another user", valid, "bob", 0, ""},
		{"a username that only starts alike", valid, "alice2", 0, ""},
		{"forged MAC", string(flipped), "alice", 0, ""},
		{"signed with another key", otherKey, "alice", 0, ""},
		{"expiry changed", parts[0] + "." + "9999999999" + "." + parts[2], "alice", 0, ""},
		{"another device ID", newDeviceID() + "." + parts[1] + "." + parts[2], "alice", 0, ""},
		{"expired", valid, "alice", time.Hour, ""},
		{"just before it expires", valid, "alice", time.Hour - time.Second, id},
		{"two parts", parts[0] + "." + parts[2], "alice", 0, ""},
		{"four parts", valid + ".x", "alice", 0, ""},
		{"empty", "", "alice", 0, ""},
		{"ID not base64url", "!!" + valid[2:], "alice", 0, ""},
		{"short ID", parts[0][:10] + "." + parts[1] + "." + parts[2], "alice", 0, ""},
		{"expiry with a sign", parts[0] + ".+" + parts[1] + "." + parts[2], "alice", 0, ""},
		{"expiry with a leading zero", parts[0] + ".0" + parts[1] + "." + parts[2], "alice", 0, ""},
		{"short MAC", parts[0] + "." + parts[1] + "." + parts[2][:20], "alice", 0, ""},
		{"too long", valid + strings.Repeat("A", maxDeviceCookie), "alice", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: c.t.Add(tt.advance)}
			d := testDevices(clk, fakeKeys{key: testDeviceKey}, time.Hour)
			if got := knownWith(d, tt.value, tt.username); got != tt.want {
				t.Errorf("known(%q as %s) = %q, want %q", tt.value, tt.username, got, tt.want)
			}
		})
	}
}

func TestDeviceCookieOff(t *testing.T) {
	c := newTestClock()
	valid := issueDevice(t, testDevices(c, fakeKeys{key: testDeviceKey}, time.Hour), "alice").Value
	tests := []struct {
		name string
		d    *devices
	}{
		{"negative lifetime", testDevices(c, fakeKeys{key: testDeviceKey}, -1)},
		{"no key store", testDevices(c, nil, time.Hour)},
		{"key store failing", testDevices(c, fakeKeys{err: errors.New("store down")}, time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := knownWith(tt.d, valid, "alice"); got != "" {
				t.Errorf("known = %q, want \"\": the cookie counts as none", got)
			}
			rec := httptest.NewRecorder()
			tt.d.remember(rec, httptest.NewRequest(http.MethodPost, "/", nil), testDomain("https://auth.example.com"), "alice")
			if c := deviceCookieOf(rec); c != nil {
				t.Errorf("remember set %v, want no cookie", c)
			}
		})
	}
}

func TestDeviceCookieAttributes(t *testing.T) {
	tests := []struct {
		portal     string
		wantSecure bool
	}{
		{"https://auth.example.com", true},
		{"http://auth.localhost:9091", false},
	}
	for _, tt := range tests {
		t.Run(tt.portal, func(t *testing.T) {
			c := newTestClock()
			d := testDevices(c, fakeKeys{key: testDeviceKey}, defaultDeviceLifetime)
			rec := httptest.NewRecorder()
			d.remember(rec, httptest.NewRequest(http.MethodPost, "/", nil), testDomain(tt.portal), "alice")
			got := deviceCookieOf(rec)
			if got == nil {
				t.Fatal("no device cookie")
			}
			if got.Secure != tt.wantSecure || !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Path != "/" || got.Domain != "" {
				t.Errorf("cookie %+v: want Secure %v, HttpOnly, SameSite=Lax, Path=/, host-only", got, tt.wantSecure)
			}
			if want := int(defaultDeviceLifetime / time.Second); got.MaxAge != want {
				t.Errorf("Max-Age %d, want %d (a year)", got.MaxAge, want)
			}
			if want := c.t.Add(defaultDeviceLifetime).Truncate(time.Second); !got.Expires.Equal(want) {
				t.Errorf("Expires %v, want %v", got.Expires, want)
			}
		})
	}
}

func TestDeviceCookieRefresh(t *testing.T) {
	c := newTestClock()
	d := testDevices(c, fakeKeys{key: testDeviceKey}, time.Hour)
	first := issueDevice(t, d, "alice")
	c.advance(30 * time.Minute)
	tests := []struct {
		name   string
		user   string
		sameID bool
	}{
		{"the same user keeps the device ID", "alice", true},
		{"another user gets a device ID of its own", "bob", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			again := issueDevice(t, d, tt.user, first)
			firstID, _, _ := strings.Cut(first.Value, ".")
			againID, _, _ := strings.Cut(again.Value, ".")
			if (againID == firstID) != tt.sameID {
				t.Errorf("device IDs %s then %s, want the same: %v", firstID, againID, tt.sameID)
			}
			if !again.Expires.After(first.Expires) {
				t.Errorf("expiry %v not renewed past %v", again.Expires, first.Expires)
			}
			c.advance(45 * time.Minute) // past the first cookie's end
			if knownWith(d, again.Value, tt.user) != againID {
				t.Errorf("the renewed cookie does not verify after the first one expired")
			}
			c.advance(-45 * time.Minute)
		})
	}
}

func TestDeviceCookieAmongOthers(t *testing.T) {
	c := newTestClock()
	d := testDevices(c, fakeKeys{key: testDeviceKey}, time.Hour)
	valid := issueDevice(t, d, "alice").Value
	id, _, _ := strings.Cut(valid, ".")
	tests := []struct {
		name   string
		before int // cookies of the name that do not verify, sent first
		want   string
	}{
		{"after a tossed one", 1, id},
		{"after three tossed ones", maxDeviceCookies - 1, id},
		{"after too many tossed ones", maxDeviceCookies, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/api/login/password", nil)
			for range tt.before {
				req.AddCookie(&http.Cookie{Name: deviceCookieName, Value: newDeviceID() + ".1.x"})
			}
			req.AddCookie(&http.Cookie{Name: deviceCookieName, Value: valid})
			if got := d.known(req, "alice"); got != tt.want {
				t.Errorf("known = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDeviceKeyRetry(t *testing.T) {
	c := newTestClock()
	valid := issueDevice(t, testDevices(c, fakeKeys{key: testDeviceKey}, time.Hour), "alice").Value
	keys := &flakyKeys{}
	d := testDevices(c, keys, time.Hour)
	steps := []struct {
		advance   time.Duration
		heal      bool
		wantKnown bool
		wantReads int
	}{
		{0, false, false, 1},
		{time.Second, false, false, 1}, // not asked again so soon
		{time.Second, true, false, 1},  // healed, but still within the pause
		{deviceKeyRetry, false, true, 2},
		{time.Hour / 2, false, true, 2}, // read once, kept
	}
	for i, s := range steps {
		c.advance(s.advance)
		keys.healed = keys.healed || s.heal
		got := knownWith(d, valid, "alice") != ""
		if got != s.wantKnown || keys.reads != s.wantReads {
			t.Errorf("step %d: known %v after %d reads, want %v after %d", i, got, keys.reads, s.wantKnown, s.wantReads)
		}
	}
}
