package ui

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/store"
	"github.com/keygate/keygate/webauthn"
)

// invites reads enrollment invites: *store.Store. They are used up by the
// registration that stores the credential (enrollRegistrar.FinishEnrollment).
type invites interface {
	PeekInvite(ctx context.Context, token string) (string, error)
}

// enrollRegistrar registers a credential with an invite: *webauthn.RP.
type enrollRegistrar interface {
	BeginRegistration(ctx context.Context, user webauthn.User, description string) (webauthn.Options, []byte, error)
	FinishEnrollment(ctx context.Context, user string, rawState, credential []byte, description, token string) (webauthn.Summary, error)
}

// maxTokenLen bounds invite tokens in requests (they are 43 characters).
const maxTokenLen = 256

var errInvalidInvite = &Error{Status: http.StatusNotFound, Code: codeInvalidInvite,
	Message: "This enrollment link is invalid, expired or already used. Ask an administrator for a new one."}

// enrollment serves invites: a user registers a passkey with a one-time token
// instead of a password or a mailbox, and is signed in. The ceremony is bound
// to the browser by the ceremony cookie and to the token.
type enrollment struct {
	accounts    *accountSessions
	rp          enrollRegistrar
	invites     invites
	ceremonies  *ceremonies
	audit       auditLog
	uvTwoFactor bool // webauthn.passkey_uv_two_factor
	now         func() time.Time
	logger      *slog.Logger
}

// enrollOptionsRequest is the body of POST /api/enroll/options.
type enrollOptionsRequest struct {
	Token       string `json:"token"`
	Description string `json:"description"`
}

// enrollRequest is the body of POST /api/enroll.
type enrollRequest struct {
	Token       string          `json:"token"`
	Credential  json.RawMessage `json:"credential"`
	Description string          `json:"description"`
}

// options starts registering a credential for the invite's user. The invite
// stays valid until finish.
func (e *enrollment) options(c echo.Context) error {
	var req enrollOptionsRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if req.Token == "" || len(req.Token) > maxTokenLen {
		return invalidRequest("The request has no valid invite token.", nil)
	}
	domain, err := requestDomain(e.accounts.sessions, c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	username, err := e.invites.PeekInvite(ctx, req.Token)
	user, err := e.invited(username, err)
	if err != nil {
		return err
	}
	opts, state, err := e.rp.BeginRegistration(ctx, webauthn.User{Name: user.Username, DisplayName: user.DisplayName}, req.Description)
	if err != nil {
		return err
	}
	p := pending{Kind: kindEnroll, User: user.Username, State: state, TokenHash: tokenHash(req.Token)}
	if err := e.ceremonies.putBrowser(c, domain, p); err != nil {
		return internalError(err)
	}
	return c.JSON(http.StatusOK, optionsAnswer{PublicKey: opts.PublicKey})
}

// finish registers the credential, which uses the invite up in the same
// write, and signs the user in, elevated so that they may add another at once.
// A refused registration leaves the invite as it was.
func (e *enrollment) finish(c echo.Context) error {
	cur, err := e.accounts.load(c)
	if err != nil {
		return err
	}
	st, takeErr := e.ceremonies.takeBrowser(c, cur.domain, kindEnroll)
	var req enrollRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if req.Token == "" || len(req.Token) > maxTokenLen || len(req.Credential) == 0 {
		return invalidRequest("The request needs an invite token and a credential.", nil)
	}
	if takeErr != nil {
		return takeErr
	}
	user, err := e.invitedFor(st, req.Token)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	sum, err := e.rp.FinishEnrollment(ctx, user.Username, st.State, req.Credential, req.Description, req.Token)
	if errors.Is(err, store.ErrNoInvite) {
		return &Error{Status: errInvalidInvite.Status, Code: errInvalidInvite.Code, Message: errInvalidInvite.Message, Err: err}
	}
	if err != nil {
		return err
	}
	e.record(c, user.Username, actionInviteRedeemed, "")
	e.record(c, user.Username, actionCredentialAdded, sum.ID)
	e.logger.Info("invite redeemed", "user", user.Username, "ip", c.RealIP())
	s, err := e.accounts.signIn(c, cur, user, e.factor(sum), false, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, loginAnswer{Level: s.Level().String(), Redirect: cur.domain.DefaultRedirectURL.String()})
}

// invitedFor checks that token is the one the ceremony began with and that the
// ceremony's user is still in the users file and enabled. Whether the invite is
// still unused is checked where it is used up, in FinishEnrollment's write.
func (e *enrollment) invitedFor(st pending, token string) (directory.User, error) {
	if subtle.ConstantTimeCompare(tokenHash(token), st.TokenHash) != 1 {
		return directory.User{}, fmt.Errorf("enrollment begun with another token: %w", webauthn.ErrChallengeMismatch)
	}
	return e.invited(st.User, nil)
}

// invited turns the result of reading an invite into its user, who must be in
// the users file and enabled.
func (e *enrollment) invited(username string, err error) (directory.User, error) {
	if errors.Is(err, store.ErrNotFound) {
		return directory.User{}, errInvalidInvite
	}
	if err != nil {
		return directory.User{}, internalError(fmt.Errorf("reading invite: %w", err))
	}
	user, ok := e.accounts.users.Lookup(username)
	if !ok || user.Disabled {
		return directory.User{}, &Error{Status: errInvalidInvite.Status, Code: errInvalidInvite.Code,
			Message: errInvalidInvite.Message, Err: fmt.Errorf("invite for %q, absent or disabled", username)}
	}
	return user, nil
}

// factor is the session factor a registration gives: a passkey when the
// credential is discoverable, worth two factors when the user was verified and
// passkey_uv_two_factor allows it.
func (e *enrollment) factor(sum webauthn.Summary) session.Factor {
	method := session.MethodWebAuthn
	if sum.Discoverable {
		method = session.MethodPasskey
	}
	return session.Factor{Method: method, At: e.now(), CredentialID: decodeBase64URL(sum.ID),
		UserVerified: sum.UserVerified, Attachment: sum.Attachment, MultiFactor: sum.UserVerified && e.uvTwoFactor,
		DeviceBound: !sum.BackupEligible, AAGUID: sum.AAGUID}
}

// record adds an event of the enrollment to the audit trail.
func (e *enrollment) record(c echo.Context, user, action, id string) {
	appendAudit(c.Request().Context(), e.audit, e.logger, auditEvent(c, user, action, decodeBase64URL(id)))
}

func tokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
