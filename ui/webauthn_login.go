package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/webauthn"
)

// verifier runs second-factor sign-ins: *webauthn.RP.
type verifier interface {
	BeginLogin(ctx context.Context, user string) (webauthn.Options, []byte, error)
	FinishLogin(ctx context.Context, user string, rawState, credential []byte) (webauthn.Assertion, error)
}

// secondFactor serves the security-key step after a password: it adds a
// WebAuthn factor to the browser's session of the same user. Its ceremony is
// bound to that session.
type secondFactor struct {
	accounts   *accountSessions
	rp         verifier
	ceremonies *ceremonies
	attempts   *attempts
	now        func() time.Time
}

// webauthnRequest is the body of POST /api/login/webauthn.
type webauthnRequest struct {
	Credential json.RawMessage `json:"credential"`
	RD         string          `json:"rd"`
}

// optionsAnswer is the answer of the options routes that have no mediation.
type optionsAnswer struct {
	PublicKey json.RawMessage `json:"publicKey"`
}

// options starts a second-factor sign-in with the signed-in user's credentials.
func (f *secondFactor) options(c echo.Context) error {
	if err := decodeJSON(c, &struct{}{}, true); err != nil {
		return err
	}
	cur, err := f.accounts.signedIn(c)
	if err != nil {
		return err
	}
	if _, err := f.accounts.user(cur); err != nil {
		return err
	}
	ctx := c.Request().Context()
	opts, state, err := f.rp.BeginLogin(ctx, cur.sess.Username)
	if err != nil {
		return err
	}
	p := pending{Kind: kindLogin, User: cur.sess.Username, State: state}
	if err := f.ceremonies.put(ctx, sessionKey(kindLogin, cur.id), p); err != nil {
		return internalError(err)
	}
	return c.JSON(http.StatusOK, optionsAnswer{PublicKey: opts.PublicKey})
}

// finish verifies the security key under regulation, adds the factor and
// issues the session under a new ID.
func (f *secondFactor) finish(c echo.Context) error {
	cur, err := f.accounts.signedIn(c)
	if err != nil {
		return err
	}
	st, takeErr := f.ceremonies.take(c.Request().Context(), sessionKey(kindLogin, cur.id), kindLogin)
	var req webauthnRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if len(req.Credential) == 0 {
		return invalidRequest("The request has no credential.", nil)
	}
	// A user disabled or removed since the password step goes no further: the
	// key is not even checked, so its use is not recorded.
	user, err := f.accounts.user(cur)
	if err != nil {
		return err
	}
	a, err := f.verify(c, cur, st, takeErr, req.Credential)
	if err != nil {
		return err
	}
	factor := session.Factor{Method: session.MethodWebAuthn, At: f.now(), CredentialID: a.CredentialID,
		UserVerified: a.UserVerified, Attachment: a.Attachment, DeviceBound: !a.BackupEligible, AAGUID: a.AAGUID}
	s, err := f.accounts.signIn(c, cur, user, factor, false, false)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, loginAnswer{Level: s.Level().String(), Redirect: redirectFor(req.RD, cur.domain)})
}

// verify checks the assertion for the session's user under regulation.
func (f *secondFactor) verify(c echo.Context, cur current, st pending, takeErr error, credential []byte) (webauthn.Assertion, error) {
	user, ip := cur.sess.Username, c.RealIP()
	if f.attempts.banned(c, session.MethodWebAuthn, user) {
		return webauthn.Assertion{}, errBanned(user, ip)
	}
	if takeErr != nil {
		f.attempts.failed(c, session.MethodWebAuthn, user, credential, takeErr)
		return webauthn.Assertion{}, takeErr
	}
	a, err := f.rp.FinishLogin(c.Request().Context(), user, st.State, credential)
	if err != nil {
		f.attempts.failed(c, session.MethodWebAuthn, user, credential, err)
		return webauthn.Assertion{}, err
	}
	f.attempts.succeeded(c, session.MethodWebAuthn, user, a.CredentialID)
	return a, nil
}
