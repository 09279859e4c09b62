package ui

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/store"
	"github.com/keygate/keygate/webauthn"
)

// registrar registers credentials: *webauthn.RP.
type registrar interface {
	BeginRegistration(ctx context.Context, user webauthn.User, description string) (webauthn.Options, []byte, error)
	FinishRegistration(ctx context.Context, user string, rawState, credential []byte, description string) (webauthn.Summary, error)
	FinishFirstRegistration(ctx context.Context, user string, rawState, credential []byte, description string) (webauthn.Summary, error)
}

// credentialEditor lists, renames and deletes a user's credentials: *webauthn.RP.
type credentialEditor interface {
	Credentials(ctx context.Context, user string) ([]webauthn.Summary, error)
	RenameCredential(ctx context.Context, user, id, description string) (webauthn.Summary, error)
	DeleteCredential(ctx context.Context, user, id string) error
}

// credentialsAPI lets signed-in users manage their own credentials. Adding
// and deleting need an elevated session and, once the account has a
// credential, a proof of possession of one; the registration ceremony is
// bound to the session that began it.
type credentialsAPI struct {
	accounts *accountSessions
	rp       interface {
		registrar
		credentialEditor
	}
	ceremonies *ceremonies
	audit      auditLog
	logger     *slog.Logger
}

// registerOptionsRequest is the body of POST /api/webauthn/credentials/options.
type registerOptionsRequest struct {
	Description string `json:"description"`
}

// registerRequest is the body of POST /api/webauthn/credentials.
type registerRequest struct {
	Credential  json.RawMessage `json:"credential"`
	Description string          `json:"description"`
}

// renameRequest is the body of PATCH /api/webauthn/credentials/{id}.
type renameRequest struct {
	Description *string `json:"description"`
}

// options starts registering a credential for the signed-in user. Once the
// account has a credential, the session must hold a proof of possession (see
// proves) besides its elevation; the proof is checked first, so that nobody is
// asked for a code that could not help.
func (a *credentialsAPI) options(c echo.Context) error {
	var req registerOptionsRequest
	if err := decodeJSON(c, &req, true); err != nil {
		return err
	}
	cur, err := a.accounts.signedIn(c)
	if err != nil {
		return err
	}
	user, err := a.accounts.user(cur)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := a.mayAdd(ctx, cur); err != nil {
		return err
	}
	if err := a.accounts.checkElevated(cur); err != nil {
		return err
	}
	opts, state, err := a.rp.BeginRegistration(ctx, webauthn.User{Name: user.Username, DisplayName: user.DisplayName}, req.Description)
	if err != nil {
		return err
	}
	p := pending{Kind: kindRegister, User: user.Username, State: state}
	if err := a.ceremonies.put(ctx, sessionKey(kindRegister, cur.id), p); err != nil {
		return internalError(err)
	}
	return c.JSON(http.StatusOK, optionsAnswer{PublicKey: opts.PublicKey})
}

// add finishes the registration and answers 201 with the new credential. The
// rule of options is checked again: a session without a proof of possession
// adds a credential only as the account's first, checked in the store's write
// that adds it, so a key registered meanwhile by anyone makes it fail.
func (a *credentialsAPI) add(c echo.Context) error {
	cur, err := a.accounts.elevated(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	st, takeErr := a.ceremonies.take(ctx, sessionKey(kindRegister, cur.id), kindRegister)
	var req registerRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if len(req.Credential) == 0 {
		return invalidRequest("The request has no credential.", nil)
	}
	if takeErr != nil {
		return takeErr
	}
	// The user may have been disabled or removed since the options were given.
	if _, err := a.accounts.user(cur); err != nil {
		return err
	}
	proven, err := a.mayAdd(ctx, cur)
	if err != nil {
		return err
	}
	finish := a.rp.FinishFirstRegistration
	if proven {
		finish = a.rp.FinishRegistration
	}
	sum, err := finish(ctx, cur.sess.Username, st.State, req.Credential, req.Description)
	if errors.Is(err, store.ErrHasCredential) {
		return errTwoFactorRequired
	}
	if err != nil {
		return err
	}
	a.record(c, cur.sess.Username, actionCredentialAdded, sum.ID)
	return c.JSON(http.StatusCreated, sum)
}

// mayAdd refuses a new credential to a user who has one already unless the
// session proves possession of one of them: otherwise a password and a mailbox
// would be enough to add a key and so reach two_factor. It reports whether the
// session holds that proof; without it, only a first credential may be added. A
// user without credentials enrolls the first with a password and the one-time
// code; one who lost every key gets an invite or a reset from an administrator.
func (a *credentialsAPI) mayAdd(ctx context.Context, cur current) (bool, error) {
	existing, err := a.rp.Credentials(ctx, cur.sess.Username)
	if err != nil {
		return false, err
	}
	if proves(cur.sess, existing, false) {
		return true, nil
	}
	if len(existing) > 0 {
		return false, errTwoFactorRequired
	}
	return false, nil
}

// proves reports whether s is two_factor and one of its WebAuthn factors is a
// credential the account has now (creds). With beforeSession, that credential
// must also have been registered before s began: a key added during the
// session (by an identity check alone, when it was the account's first) is no
// proof for removing the account's keys.
func proves(s *session.Session, creds []webauthn.Summary, beforeSession bool) bool {
	if s.Level() < session.LevelTwoFactor {
		return false
	}
	for _, f := range s.Factors {
		if f.Method != session.MethodWebAuthn && f.Method != session.MethodPasskey {
			continue
		}
		id := base64.RawURLEncoding.EncodeToString(f.CredentialID)
		for _, c := range creds {
			if c.ID == id && (!beforeSession || c.CreatedAt.Before(s.CreatedAt)) {
				return true
			}
		}
	}
	return false
}

// list answers the signed-in user's credentials, oldest first.
func (a *credentialsAPI) list(c echo.Context) error {
	cur, err := a.accounts.signedIn(c)
	if err != nil {
		return err
	}
	sums, err := a.rp.Credentials(c.Request().Context(), cur.sess.Username)
	if err != nil {
		return err
	}
	if sums == nil {
		sums = []webauthn.Summary{}
	}
	return c.JSON(http.StatusOK, sums)
}

// rename gives one of the signed-in user's credentials a new description.
func (a *credentialsAPI) rename(c echo.Context) error {
	var req renameRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if req.Description == nil {
		return invalidRequest("The request has no description.", nil)
	}
	cur, err := a.accounts.signedIn(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	sum, err := a.rp.RenameCredential(c.Request().Context(), cur.sess.Username, id, *req.Description)
	if err != nil {
		return err
	}
	a.record(c, cur.sess.Username, actionCredentialRenamed, sum.ID)
	return c.JSON(http.StatusOK, sum)
}

// remove deletes one of the signed-in user's credentials. It needs a session
// that proves possession of one of the account's credentials registered
// before the session began, checked first, and is elevated: a password and a
// mailbox never remove a key.
func (a *credentialsAPI) remove(c echo.Context) error {
	cur, err := a.accounts.signedIn(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	existing, err := a.rp.Credentials(ctx, cur.sess.Username)
	if err != nil {
		return err
	}
	if !proves(cur.sess, existing, true) {
		return errKeyRequiredToRemove
	}
	if err := a.accounts.checkElevated(cur); err != nil {
		return err
	}
	id := c.Param("id")
	if err := a.rp.DeleteCredential(ctx, cur.sess.Username, id); err != nil {
		return err
	}
	a.record(c, cur.sess.Username, actionCredentialDeleted, id)
	a.logger.Info("credential deleted", "user", cur.sess.Username, "ip", c.RealIP())
	return c.NoContent(http.StatusNoContent)
}

// record adds a change of credential id (base64url) to the audit trail.
func (a *credentialsAPI) record(c echo.Context, user, action, id string) {
	e := store.Event{User: user, Action: action, CredentialID: decodeBase64URL(id), IP: c.RealIP()}
	appendAudit(c.Request().Context(), a.audit, a.logger, e)
}
