package ui

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/webauthn"
)

// relyingParty is what the portal needs from *webauthn.RP. Each handler takes
// only its own part.
type relyingParty interface {
	registrar
	enrollRegistrar
	verifier
	passkeyVerifier
	credentialEditor
	stepUpper
	StateTTL() time.Duration
}

// records is what the portal needs from *store.Store.
type records interface {
	invites
	auditLog
	tokenStore
	handleOwners
}

// stateStore keeps single-use ceremony state: *session.Manager.
type stateStore interface {
	PutState(ctx context.Context, key string, value []byte, ttl time.Duration) error
	TakeState(ctx context.Context, key string) ([]byte, error)
}

// The ceremonies whose state the portal keeps; each kind has its own key, so a
// state only finishes the ceremony that began it.
type ceremonyKind string

const (
	kindPasskey  ceremonyKind = "passkey"
	kindLogin    ceremonyKind = "login"
	kindRegister ceremonyKind = "register"
	kindEnroll   ceremonyKind = "enroll"
	kindIdentity ceremonyKind = "identity"
)

// ceremonyCookie names the cookie that binds an anonymous ceremony (passkey
// sign-in, enrollment) to the browser that began it.
const ceremonyCookie = "keygate_ceremony"

// ceremonyCookieBytes is the entropy of the ceremony cookie.
const ceremonyCookieBytes = 32

// pending is what the portal keeps server-side between the two steps of a
// WebAuthn ceremony. It never goes to the browser.
type pending struct {
	Kind ceremonyKind `json:"kind"`
	// User is the user the ceremony was begun for; "" for a passkey sign-in.
	User string `json:"user,omitempty"`
	// Expires is checked with the portal's clock, besides the store's TTL.
	Expires time.Time `json:"expires"`
	// State is the relying party's opaque state.
	State []byte `json:"state"`
	// TokenHash is the SHA-256 of the invite token an enrollment was begun with.
	TokenHash []byte `json:"token_hash,omitempty"`
}

// ceremonies keeps pending ceremonies single-use in the session store, for the
// relying party's StateTTL, bound to the browser's session or ceremony cookie.
// The passkey sign-in, which anyone may begin, keeps its state in anonymous
// (session.Manager.EphemeralStates): asking for its options costs no durable
// write.
type ceremonies struct {
	states    stateStore
	anonymous stateStore
	ttl       time.Duration
	now       func() time.Time
}

// storeFor is where ceremonies of kind keep their state.
func (cs *ceremonies) storeFor(kind ceremonyKind) stateStore {
	if kind == kindPasskey && cs.anonymous != nil {
		return cs.anonymous
	}
	return cs.states
}

// sessionKey keys a ceremony of a signed-in browser: its kind and the hash of its session ID.
func sessionKey(kind ceremonyKind, sessionID string) string {
	sum := sha256.Sum256([]byte(sessionID))
	return "ui:" + string(kind) + ":session:" + hex.EncodeToString(sum[:])
}

// browserKey keys an anonymous ceremony: its kind and the hash of the ceremony cookie.
func browserKey(kind ceremonyKind, cookie string) string {
	sum := sha256.Sum256([]byte(cookie))
	return "ui:" + string(kind) + ":browser:" + hex.EncodeToString(sum[:])
}

// put keeps p under key, replacing any ceremony of the same key.
func (cs *ceremonies) put(ctx context.Context, key string, p pending) error {
	p.Expires = cs.now().Add(cs.ttl)
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encoding ceremony state: %w", err)
	}
	if err := cs.storeFor(p.Kind).PutState(ctx, key, b, cs.ttl); err != nil {
		return fmt.Errorf("keeping ceremony state: %w", err)
	}
	return nil
}

// take removes and returns the ceremony under key. A missing, used or expired
// one is webauthn's challenge_expired, one of another kind its challenge_mismatch.
func (cs *ceremonies) take(ctx context.Context, key string, kind ceremonyKind) (pending, error) {
	b, err := cs.storeFor(kind).TakeState(ctx, key)
	if errors.Is(err, session.ErrNotFound) {
		return pending{}, fmt.Errorf("no %s ceremony pending: %w", kind, webauthn.ErrChallengeExpired)
	}
	if err != nil {
		return pending{}, fmt.Errorf("taking ceremony state: %w", err)
	}
	var p pending
	if err := json.Unmarshal(b, &p); err != nil {
		return pending{}, fmt.Errorf("unreadable %s ceremony state: %w", kind, webauthn.ErrChallengeExpired)
	}
	if p.Kind != kind {
		return pending{}, fmt.Errorf("%s state used for %s: %w", p.Kind, kind, webauthn.ErrChallengeMismatch)
	}
	if !cs.now().Before(p.Expires) {
		return pending{}, fmt.Errorf("%s ceremony expired at %s: %w", kind, p.Expires.Format(time.RFC3339), webauthn.ErrChallengeExpired)
	}
	return p, nil
}

// putBrowser keeps p for the browser's ceremony cookie, setting a new cookie
// when the browser has none. One ceremony of each kind is pending per browser:
// a new one replaces the last.
func (cs *ceremonies) putBrowser(c echo.Context, domain session.Domain, p pending) error {
	value := browserCookie(c.Request())
	if value == "" {
		var err error
		if value, err = newCeremonyCookie(); err != nil {
			return err
		}
	}
	if err := cs.put(c.Request().Context(), browserKey(p.Kind, value), p); err != nil {
		return err
	}
	c.SetCookie(cs.cookie(domain, value, int(cs.ttl/time.Second)+1))
	return nil
}

// takeBrowser removes and returns the ceremony of the browser's cookie, and
// expires the cookie.
func (cs *ceremonies) takeBrowser(c echo.Context, domain session.Domain, kind ceremonyKind) (pending, error) {
	value := browserCookie(c.Request())
	if value == "" {
		return pending{}, fmt.Errorf("no ceremony cookie: %w", webauthn.ErrChallengeExpired)
	}
	c.SetCookie(cs.cookie(domain, "", -1))
	return cs.take(c.Request().Context(), browserKey(kind, value), kind)
}

// cookie is the ceremony cookie: host-only, for the API only, never sent cross-site.
func (cs *ceremonies) cookie(domain session.Domain, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     ceremonyCookie,
		Value:    value,
		Path:     "/api/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   domain.PortalURL != nil && domain.PortalURL.Scheme == "https",
		SameSite: http.SameSiteStrictMode,
	}
}

// browserCookie returns a well-formed ceremony cookie on r, or "".
func browserCookie(r *http.Request) string {
	for _, c := range r.CookiesNamed(ceremonyCookie) {
		if b, err := base64.RawURLEncoding.DecodeString(c.Value); err == nil && len(b) == ceremonyCookieBytes {
			return c.Value
		}
	}
	return ""
}

func newCeremonyCookie() (string, error) {
	b := make([]byte, ceremonyCookieBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making ceremony cookie: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// addCeremonies builds the WebAuthn, identity and enrollment parts of h.
func (h *Handler) addCeremonies(cfg Config, d dependencies, reg *regulator, rec *recorder, dev *devices, now func() time.Time) {
	logger := rec.logger
	cs := &ceremonies{states: d.sessions, anonymous: d.sessions.EphemeralStates(), ttl: d.rp.StateTTL(), now: now}
	acc := &accountSessions{
		sessions: d.sessions, users: d.users, rememberMe: cfg.RememberMe > 0,
		elevation: cfg.Identity.Elevation, devices: dev, now: now, logger: logger,
	}
	att := &attempts{regulator: reg, rec: rec, owners: d.records, logger: logger}
	h.passkey = &passkeyLogin{accounts: acc, rp: d.rp, ceremonies: cs, attempts: att, now: now}
	h.secondStep = &secondFactor{accounts: acc, rp: d.rp, ceremonies: cs, attempts: att, now: now}
	h.identity = &identity{
		accounts: acc, states: d.sessions, notifier: d.notifier, limiter: d.codeLimit(now),
		cfg: cfg.Identity, rpName: cfg.RPName, now: now, rec: rec, logger: logger,
	}
	h.credentials = &credentialsAPI{accounts: acc, rp: d.rp, ceremonies: cs, audit: d.records, logger: logger}
	h.stepUp = &stepUp{accounts: acc, rp: d.rp, ceremonies: cs}
	h.tokens = &tokensAPI{accounts: acc, store: d.records, audit: d.records, fresh: cfg.Identity.Elevation, now: now, logger: logger}
	h.enroll = &enrollment{
		accounts: acc, rp: d.rp, invites: d.records, ceremonies: cs, audit: d.records,
		uvTwoFactor: cfg.PasskeyUVTwoFactor, now: now, logger: logger,
	}
}
