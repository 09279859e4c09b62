package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/webauthn"
)

// passkeyVerifier runs passkey sign-ins: *webauthn.RP.
type passkeyVerifier interface {
	BeginPasskeyLogin(ctx context.Context, conditional bool) (webauthn.Options, []byte, error)
	FinishPasskeyLogin(ctx context.Context, rawState, credential []byte) (string, webauthn.Assertion, error)
	PasskeyLogin() bool
}

// passkeyLogin serves username-less sign-in with a discoverable credential.
// Its ceremony is bound to the browser by the ceremony cookie.
type passkeyLogin struct {
	accounts   *accountSessions
	rp         passkeyVerifier
	ceremonies *ceremonies
	attempts   *attempts
	now        func() time.Time
}

// passkeyOptionsRequest is the body of POST /api/login/passkey/options; it may be empty.
type passkeyOptionsRequest struct {
	Conditional bool `json:"conditional"`
}

// passkeyRequest is the body of POST /api/login/passkey.
type passkeyRequest struct {
	Credential json.RawMessage `json:"credential"`
	RememberMe bool            `json:"remember_me"`
	RD         string          `json:"rd"`
}

// passkeyAnswer is the answer to a passkey sign-in. Next is "password" when
// the user must still give their password for two_factor, else "".
type passkeyAnswer struct {
	Level    string `json:"level"`
	Redirect string `json:"redirect"`
	Next     string `json:"next"`
}

// nextPassword is passkeyAnswer.Next when a password completes two_factor.
const nextPassword = "password"

// options starts a passkey sign-in, for autofill when conditional.
func (p *passkeyLogin) options(c echo.Context) error {
	var req passkeyOptionsRequest
	if err := decodeJSON(c, &req, true); err != nil {
		return err
	}
	domain, err := requestDomain(p.accounts.sessions, c)
	if err != nil {
		return err
	}
	opts, state, err := p.rp.BeginPasskeyLogin(c.Request().Context(), req.Conditional)
	if err != nil {
		return err
	}
	if err := p.ceremonies.putBrowser(c, domain, pending{Kind: kindPasskey, State: state}); err != nil {
		return internalError(err)
	}
	return c.JSON(http.StatusOK, opts)
}

// finish verifies the passkey and signs its user in: a new session, or the
// browser's session of the same user with a passkey factor added.
func (p *passkeyLogin) finish(c echo.Context) error {
	cur, err := p.accounts.load(c)
	if err != nil {
		return err
	}
	st, takeErr := p.ceremonies.takeBrowser(c, cur.domain, kindPasskey)
	var req passkeyRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if len(req.Credential) == 0 {
		return invalidRequest("The request has no credential.", nil)
	}
	user, a, err := p.verify(c, st, takeErr, req.Credential)
	if err != nil {
		return err
	}
	f := session.Factor{Method: session.MethodPasskey, At: p.now(), CredentialID: a.CredentialID,
		UserVerified: a.UserVerified, Attachment: a.Attachment, MultiFactor: a.MultiFactor,
		DeviceBound: !a.BackupEligible, AAGUID: a.AAGUID}
	s, err := p.accounts.signIn(c, cur, user, f, req.RememberMe, false)
	if err != nil {
		return err
	}
	answer := passkeyAnswer{Level: s.Level().String(), Redirect: redirectFor(req.RD, cur.domain)}
	if s.Level() < session.LevelTwoFactor && user.HasPassword() {
		answer.Next = nextPassword
	}
	return c.JSON(http.StatusOK, answer)
}

// verify checks the assertion under regulation and returns its user, who must
// exist and be enabled. Every refusal counts as a failed sign-in.
func (p *passkeyLogin) verify(c echo.Context, st pending, takeErr error, credential []byte) (directory.User, webauthn.Assertion, error) {
	ip := c.RealIP()
	if p.attempts.banned(c, session.MethodPasskey, "") {
		return directory.User{}, webauthn.Assertion{}, errBanned("", ip)
	}
	if takeErr != nil {
		p.attempts.failed(c, session.MethodPasskey, "", credential, takeErr)
		return directory.User{}, webauthn.Assertion{}, takeErr
	}
	username, a, err := p.rp.FinishPasskeyLogin(c.Request().Context(), st.State, credential)
	if err != nil {
		p.attempts.failed(c, session.MethodPasskey, "", credential, err)
		return directory.User{}, webauthn.Assertion{}, err
	}
	user, ok := p.accounts.users.Lookup(username)
	if !ok || user.Disabled {
		err := fmt.Errorf("passkey of user %q, absent or disabled: %w", username, webauthn.ErrInvalidCredential)
		p.attempts.failed(c, session.MethodPasskey, username, credential, err)
		return directory.User{}, webauthn.Assertion{}, err
	}
	if p.attempts.banned(c, session.MethodPasskey, user.Username) {
		return directory.User{}, webauthn.Assertion{}, errBanned(user.Username, ip)
	}
	p.attempts.succeeded(c, session.MethodPasskey, user.Username, a.CredentialID)
	return user, a, nil
}
