package ui

import (
	"log/slog"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/store"
)

// More actions of the audit trail written by the portal.
const (
	actionSignIn         = "sign_in"
	actionCodeSent       = "code_sent"
	actionCodeVerified   = "code_verified"
	actionSessionRevoked = "session_revoked"
	actionBanned         = "banned"
)

// recorder writes what the portal does to the audit trail and the metrics:
// one place that knows what each sign-in, ban and change leaves behind.
type recorder struct {
	audit   auditLog
	metrics Metrics
	logger  *slog.Logger
}

// newRecorder returns a recorder; metrics nil counts nothing.
func newRecorder(audit auditLog, metrics Metrics, logger *slog.Logger) *recorder {
	if metrics == nil {
		metrics = noMetrics{}
	}
	return &recorder{audit: audit, metrics: metrics, logger: logger}
}

// signIn counts a sign-in attempt and, when its user is known, writes it to
// the audit trail: sign_in for a success, sign_in_failed or clone_warning else.
func (r *recorder) signIn(c echo.Context, method session.Method, user string, credential []byte, result string) {
	r.metrics.SignIn(string(method), result)
	if user == "" {
		return
	}
	action := actionSignInFailed
	switch result {
	case resultSuccess:
		action = actionSignIn
	case resultClone:
		action = actionCloneWarning
	}
	e := auditEvent(c, user, action, credential)
	e.Method, e.Result = string(method), result
	appendAudit(c.Request().Context(), r.audit, r.logger, e)
}

// banned records a ban regulation started, of user and the client's address
// or (user "") of the address alone: a metric and an audit event.
func (r *recorder) banned(c echo.Context, started bool, user string) {
	if !started {
		return
	}
	scope := "user"
	if user == "" {
		scope = "address"
	}
	r.metrics.Banned(scope)
	e := auditEvent(c, user, actionBanned, nil)
	e.Result = scope
	appendAudit(c.Request().Context(), r.audit, r.logger, e)
}

// event writes a change of user's account to the audit trail.
func (r *recorder) event(c echo.Context, user, action string, credential []byte) {
	appendAudit(c.Request().Context(), r.audit, r.logger, auditEvent(c, user, action, credential))
}

// auditEvent is an event of user from the request of c: its address and browser.
func auditEvent(c echo.Context, user, action string, credential []byte) store.Event {
	return store.Event{User: user, Action: action, CredentialID: credential, IP: c.RealIP(),
		UserAgent: c.Request().UserAgent()}
}

// countAnswers is route middleware that counts each answer of a ceremony route
// with metrics: success, failure (the client's: a 4xx) or error.
func countAnswers(count func(result string)) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			count(outcome(err))
			return err
		}
	}
}

// outcome names how a handler's answer ended: the status the client sees decides.
func outcome(err error) string {
	switch {
	case err == nil:
		return resultSuccess
	case publicError(err).Status < 500:
		return resultFailure
	default:
		return resultError
	}
}

// known returns username when the users file has it, else "": failed
// sign-ins of names nobody has are counted but not written to the audit trail,
// which a guesser could otherwise fill.
func (l *login) known(username string) string {
	if _, ok := l.users.Lookup(username); ok {
		return username
	}
	return ""
}
