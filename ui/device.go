package ui

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/session"
)

const (
	// deviceCookieName is the known-device cookie's name.
	deviceCookieName = "keygate_device"
	// deviceKeyName is the name of the store's server key that signs device cookies.
	deviceKeyName = "device"
	// deviceIDLength is the size of a device ID in bytes.
	deviceIDLength = 16
	// maxDeviceCookie bounds the cookie values that are looked at at all.
	maxDeviceCookie = 128
	// maxDeviceCookies bounds how many cookies of the name one request may
	// have checked (a sibling subdomain may have set more than the portal's).
	maxDeviceCookies = 4
	// defaultDeviceLifetime is a device cookie's lifetime when
	// regulation.device_lifetime is zero: one year.
	defaultDeviceLifetime = 8760 * time.Hour
	// maxDeviceLifetime is the longest a browser keeps a cookie (400 days).
	maxDeviceLifetime = 9600 * time.Hour
	// deviceKeyWait bounds the read of the server key, so that a store that
	// does not answer delays a sign-in by no more than this: the sign-in then
	// goes on without a device.
	deviceKeyWait = 2 * time.Second
	// deviceKeyRetry is how long after a failed read of the key the next one
	// is tried; meanwhile every device cookie counts as none at once.
	deviceKeyRetry = 10 * time.Second
)

// deviceMACContext separates the device cookie's MAC from any other use of a key.
const deviceMACContext = "keygate device cookie v1"

// errNoDeviceKey reports that the key was not read again so soon after a failure.
var errNoDeviceKey = errors.New("device cookie key unreadable lately")

// serverKeys hands out the server's secret keys by name, the same to every
// replica on one store: *store.Store.
type serverKeys interface {
	ServerKey(ctx context.Context, name string) ([]byte, error)
}

// devices issues and checks the known-device cookie, which gives a returning
// user's password sign-in priority for a hashing slot (see hashPool).
//
// Every sign-in that reaches a factor on the portal (password, passkey,
// enrollment, a second factor) sets it on the portal host: host-only,
// HttpOnly, Secure when the portal is https, SameSite=Lax, Path=/, for
// lifetime. Its value is "<device ID>.<expiry>.<MAC>": a random device ID
// (crypto/rand), the Unix second it expires, and the HMAC-SHA-256, under the
// store's server key deviceKeyName, of both and the username, case-folded as
// the directory looks users up. The username is not in the value: only a
// sign-in as the same user verifies it. A sign-in keeps the device ID of a
// valid cookie of its user and renews the expiry; otherwise it makes a new ID.
//
// The cookie never authenticates anyone, lowers no check and names no user
// to anything but the pool: a sign-in with it is regulated and verified
// exactly like one without. A stolen cookie gives its thief priority for
// guesses of its own user's password, which regulation bans after
// max_failures as always. A cookie that does not verify (forged, expired,
// malformed, for another user, or no key could be read) counts as none, and
// is never answered as an error.
type devices struct {
	keys     serverKeys
	lifetime time.Duration // <= 0: no cookie is set or believed
	now      func() time.Time
	logger   *slog.Logger

	mu       sync.Mutex
	key      []byte    // the server key, read from keys on first need
	failedAt time.Time // when reading it last failed
}

// newDevices returns the known-device cookie's issuer for lifetime (<= 0, or
// no keys: off).
func newDevices(lifetime time.Duration, keys serverKeys, now func() time.Time, logger *slog.Logger) *devices {
	if keys == nil {
		lifetime = 0
	}
	return &devices{keys: keys, lifetime: lifetime, now: now, logger: logger}
}

// enabled reports whether known devices are on.
func (d *devices) enabled() bool { return d != nil && d.lifetime > 0 }

// known returns the device ID of a valid device cookie of r for username, or
// "" when r has none.
func (d *devices) known(r *http.Request, username string) string {
	if !d.enabled() {
		return ""
	}
	cookies := r.CookiesNamed(deviceCookieName)
	if len(cookies) == 0 {
		return ""
	}
	key, err := d.serverKey(r.Context())
	if err != nil {
		d.logger.Warn("device cookie not checked: no server key", "err", err)
		return ""
	}
	for _, c := range cookies[:min(len(cookies), maxDeviceCookies)] {
		if id, ok := d.verify(key, c.Value, username); ok {
			return id
		}
	}
	return ""
}

// verify returns the device ID of value when it is a device cookie of
// username, signed with key and not expired.
func (d *devices) verify(key []byte, value, username string) (string, bool) {
	if len(value) > maxDeviceCookie {
		return "", false
	}
	id, expiry, mac, ok := splitDeviceCookie(value)
	if !ok {
		return "", false
	}
	if !hmac.Equal(mac, deviceMAC(key, id, expiry, username)) {
		return "", false
	}
	if !d.now().Before(time.Unix(expiry, 0)) {
		return "", false
	}
	return id, true
}

// splitDeviceCookie parses "<id>.<expiry>.<mac>" and checks each part's form.
func splitDeviceCookie(value string) (id string, expiry int64, mac []byte, ok bool) {
	parts := strings.Split(value, ".")
	if len(parts) != 3 {
		return "", 0, nil, false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(parts[0])
	if err != nil || len(raw) != deviceIDLength {
		return "", 0, nil, false
	}
	expiry, err = strconv.ParseInt(parts[1], 10, 64)
	if err != nil || expiry <= 0 || strconv.FormatInt(expiry, 10) != parts[1] {
		return "", 0, nil, false
	}
	mac, err = base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil || len(mac) != sha256.Size {
		return "", 0, nil, false
	}
	return parts[0], expiry, mac, true
}

// deviceMAC is the MAC of a device cookie: HMAC-SHA-256 under key of the
// device ID, the expiry and the folded username, each length-free but
// separated by a byte none of them can hold.
func deviceMAC(key []byte, id string, expiry int64, username string) []byte {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s\x00%s\x00%d\x00%s", deviceMACContext, id, expiry, directory.FoldUsername(username))
	return m.Sum(nil)
}

// remember sets the device cookie of username on the answer to r, for the
// portal of domain: the device ID of r's valid cookie of username, or a new
// one, with a fresh expiry. When no key can be read it sets nothing and logs
// why: the sign-in itself has succeeded.
func (d *devices) remember(w http.ResponseWriter, r *http.Request, domain session.Domain, username string) {
	if !d.enabled() {
		return
	}
	key, err := d.serverKey(r.Context())
	if err != nil {
		d.logger.Warn("device cookie not set: no server key", "user", username, "err", err)
		return
	}
	id := d.known(r, username)
	if id == "" {
		id = newDeviceID()
	}
	expires := d.now().Add(d.lifetime).Truncate(time.Second)
	mac := deviceMAC(key, id, expires.Unix(), username)
	http.SetCookie(w, &http.Cookie{
		Name:     deviceCookieName,
		Value:    id + "." + strconv.FormatInt(expires.Unix(), 10) + "." + base64.RawURLEncoding.EncodeToString(mac),
		Path:     "/",
		Expires:  expires,
		MaxAge:   int(d.lifetime / time.Second),
		HttpOnly: true,
		Secure:   domain.PortalURL.Scheme == "https",
		SameSite: http.SameSiteLaxMode,
	})
}

// newDeviceID returns deviceIDLength random bytes, base64url-encoded.
func newDeviceID() string {
	b := make([]byte, deviceIDLength)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// serverKey returns the key that signs device cookies, read from the store
// once; a failed read is tried again at the first need deviceKeyRetry later.
func (d *devices) serverKey(ctx context.Context) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.key != nil {
		return d.key, nil
	}
	if !d.failedAt.IsZero() && d.now().Sub(d.failedAt) < deviceKeyRetry {
		return nil, errNoDeviceKey
	}
	ctx, cancel := context.WithTimeout(ctx, deviceKeyWait)
	defer cancel()
	key, err := d.keys.ServerKey(ctx, deviceKeyName)
	if err != nil {
		d.failedAt = d.now()
		return nil, err
	}
	d.key = key
	return key, nil
}
