package ui

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/webauthn"
)

// registrar registers credentials: *webauthn.RP.
type registrar interface {
	BeginRegistration(ctx context.Context, user webauthn.User, description string) (webauthn.Options, []byte, error)
	FinishRegistration(ctx context.Context, user string, rawState, credential []byte, description string) (webauthn.Summary, error)
}

// credentialEditor lists, renames and deletes a user's credentials: *webauthn.RP.
type credentialEditor interface {
	Credentials(ctx context.Context, user string) ([]webauthn.Summary, error)
	RenameCredential(ctx context.Context, user, id, description string) (webauthn.Summary, error)
	DeleteCredential(ctx context.Context, user, id string) error
}

// credentialsAPI lets signed-in users manage their own credentials. Adding
// and deleting need an elevated session; the registration ceremony is bound
// to the session that began it.
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

// options starts registering a credential for the signed-in user.
func (a *credentialsAPI) options(c echo.Context) error {
	var req registerOptionsRequest
	if err := decodeJSON(c, &req, true); err != nil {
		return err
	}
	cur, err := a.accounts.elevated(c)
	if err != nil {
		return err
	}
	user, err := a.accounts.user(cur)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := a.mayAdd(ctx, cur); err != nil {
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

// add finishes the registration and answers 201 with the new credential.
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
	sum, err := a.rp.FinishRegistration(ctx, cur.sess.Username, st.State, req.Credential, req.Description)
	if err != nil {
		return err
	}
	a.record(c, cur.sess.Username, actionCredentialAdded, sum.ID)
	return c.JSON(http.StatusCreated, sum)
}

// mayAdd refuses a new credential to a user who has one already but did not sign
// in with two factors: otherwise a password and a mailbox would be enough to add
// a key and so reach two_factor. A user without credentials enrolls the first
// with the password and the one-time code; one who lost every key gets an invite.
func (a *credentialsAPI) mayAdd(ctx context.Context, cur current) error {
	if cur.sess.Level() >= session.LevelTwoFactor {
		return nil
	}
	existing, err := a.rp.Credentials(ctx, cur.sess.Username)
	if err != nil {
		return err
	}
	if len(existing) > 0 {
		return errTwoFactorRequired
	}
	return nil
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

// remove deletes one of the signed-in user's credentials.
func (a *credentialsAPI) remove(c echo.Context) error {
	cur, err := a.accounts.elevated(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	if err := a.rp.DeleteCredential(c.Request().Context(), cur.sess.Username, id); err != nil {
		return err
	}
	a.record(c, cur.sess.Username, actionCredentialDeleted, id)
	a.logger.Info("credential deleted", "user", cur.sess.Username, "ip", c.RealIP())
	return c.NoContent(http.StatusNoContent)
}

// record adds a change of credential id (base64url) to the audit trail.
func (a *credentialsAPI) record(c echo.Context, user, action, id string) {
	appendAudit(c.Request().Context(), a.audit, a.logger, auditEvent(c, user, action, decodeBase64URL(id)))
}
