package ui

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/store"
	"github.com/keygate/keygate/token"
)

// tokenStore keeps API tokens: *store.Store.
type tokenStore interface {
	AddToken(ctx context.Context, t token.Token) error
	Tokens(ctx context.Context, user string) ([]token.Token, error)
	DeleteToken(ctx context.Context, user, id string) (token.Token, error)
}

// maxTokenDays bounds a token's lifetime.
const maxTokenDays = 365

// The audit actions of tokens.
const (
	actionTokenCreated = "token_created"
	actionTokenRevoked = "token_revoked"
)

// tokensAPI lets signed-in users mint, list and revoke their API tokens.
// Minting needs a fresh security key or passkey: a WebAuthn factor given
// within identity.elevation.
type tokensAPI struct {
	accounts *accountSessions
	store    tokenStore
	audit    auditLog
	fresh    time.Duration
	now      func() time.Time
	logger   *slog.Logger
}

var (
	errStepUpRequired = &Error{Status: http.StatusForbidden, Code: "step_up_required",
		Message: "Use your security key or passkey again before creating a token."}
	errTokenNotFound = &Error{Status: http.StatusNotFound, Code: "token_not_found", Message: "No such token."}
)

// createTokenRequest is the body of POST /api/tokens.
type createTokenRequest struct {
	Name          string   `json:"name"`
	Hosts         []string `json:"hosts"`
	Paths         []string `json:"paths"`
	Methods       []string `json:"methods"`
	ExpiresInDays int      `json:"expires_in_days"`
}

// tokenSummary is a token as the API shows it: never its hash.
type tokenSummary struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Hosts      []string  `json:"hosts"`
	Paths      []string  `json:"paths"`
	Methods    []string  `json:"methods"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	LastUsedIP string    `json:"last_used_ip,omitempty"`
	Expired    bool      `json:"expired"`
}

// createdToken is the answer of POST /api/tokens: the text, shown this once.
type createdToken struct {
	tokenSummary
	Token string `json:"token"`
}

// summarize drops the hash and says whether the token has expired at now.
func summarize(t token.Token, now time.Time) tokenSummary {
	return tokenSummary{ID: t.ID, Name: t.Name, Hosts: nonNil(t.Scope.Hosts), Paths: nonNil(t.Scope.Paths),
		Methods: nonNil(t.Scope.Methods), CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt,
		LastUsedAt: t.LastUsedAt, LastUsedIP: t.LastUsedIP, Expired: t.Expired(now)}
}

// nonNil makes an empty list encode as [], not null.
func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// list answers the signed-in user's tokens.
func (a *tokensAPI) list(c echo.Context) error {
	cur, err := a.accounts.signedIn(c)
	if err != nil {
		return err
	}
	list, err := a.store.Tokens(c.Request().Context(), cur.sess.Username)
	if err != nil {
		return internalError(err)
	}
	out := make([]tokenSummary, len(list))
	for i, t := range list {
		out[i] = summarize(t, a.now())
	}
	return c.JSON(http.StatusOK, out)
}

// create mints a token after a fresh step-up and answers its text once.
func (a *tokensAPI) create(c echo.Context) error {
	var req createTokenRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	cur, err := a.accounts.signedIn(c)
	if err != nil {
		return err
	}
	if !a.freshKey(cur.sess) {
		return errStepUpRequired
	}
	if req.ExpiresInDays < 1 || req.ExpiresInDays > maxTokenDays {
		return &Error{Status: http.StatusUnprocessableEntity, Code: codeInvalidRequest,
			Message: "The lifetime must be 1 to 365 days."}
	}
	scope := token.Scope{Hosts: req.Hosts, Paths: req.Paths, Methods: req.Methods}
	ttl := time.Duration(req.ExpiresInDays) * 24 * time.Hour
	text, t, err := token.Mint(cur.sess.Username, req.Name, scope, a.now(), ttl)
	if errors.Is(err, token.ErrInvalid) {
		return &Error{Status: http.StatusUnprocessableEntity, Code: codeInvalidRequest, Message: tokenProblem(err), Err: err}
	}
	if err != nil {
		return internalError(err)
	}
	if err := a.store.AddToken(c.Request().Context(), t); err != nil {
		return internalError(err)
	}
	a.record(c, cur.sess.Username, actionTokenCreated, t.ID)
	a.logger.Info("token created", "user", cur.sess.Username, "token", t.ID, "hosts", t.Scope.Hosts, "ip", c.RealIP())
	return c.JSON(http.StatusCreated, createdToken{tokenSummary: summarize(t, a.now()), Token: text})
}

// tokenProblem is the public sentence of a refused mint: the package's reason
// without its prefix.
func tokenProblem(err error) string {
	msg := err.Error()
	const prefix = "token: invalid: "
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		msg = msg[len(prefix):]
	}
	return "The token cannot be created: " + msg + "."
}

// freshKey reports whether the session used a security key or passkey within
// the freshness window.
func (a *tokensAPI) freshKey(s *session.Session) bool {
	for _, f := range s.Factors {
		if (f.Method == session.MethodWebAuthn || f.Method == session.MethodPasskey) && a.now().Sub(f.At) <= a.fresh {
			return true
		}
	}
	return false
}

// revoke deletes one of the signed-in user's tokens.
func (a *tokensAPI) revoke(c echo.Context) error {
	cur, err := a.accounts.signedIn(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	_, err = a.store.DeleteToken(c.Request().Context(), cur.sess.Username, id)
	if errors.Is(err, store.ErrNotFound) {
		return errTokenNotFound
	}
	if err != nil {
		return internalError(err)
	}
	a.record(c, cur.sess.Username, actionTokenRevoked, id)
	a.logger.Info("token revoked", "user", cur.sess.Username, "token", id, "ip", c.RealIP())
	return c.NoContent(http.StatusNoContent)
}

// record adds a change of token id to the audit trail.
func (a *tokensAPI) record(c echo.Context, user, action, id string) {
	e := store.Event{User: user, Action: action, CredentialID: []byte(id), IP: c.RealIP()}
	appendAudit(c.Request().Context(), a.audit, a.logger, e)
}
