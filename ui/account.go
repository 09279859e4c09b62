package ui

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/session"
)

var (
	errUnauthenticated = &Error{Status: http.StatusUnauthorized, Code: codeUnauthenticated,
		Message: "Please sign in first."}
	errElevationRequired = &Error{Status: http.StatusForbidden, Code: codeElevationRequired,
		Message: "Confirm it is you with a one-time code before changing your security keys and passkeys."}
	errTwoFactorRequired = &Error{Status: http.StatusForbidden, Code: codeTwoFactorRequired,
		Message: "Sign in with one of your security keys or passkeys before adding another."}
	errKeyRequiredToRemove = &Error{Status: http.StatusForbidden, Code: codeTwoFactorRequired,
		Message: "Sign in again with one of your security keys or passkeys before removing one."}
)

// accountSessions loads the browser's session for the WebAuthn API and issues
// the sessions its ceremonies change, always under a new ID.
type accountSessions struct {
	sessions   sessions
	users      accounts
	rememberMe bool          // remember-me allowed by config
	elevation  time.Duration // how long an identity check allows credential changes
	devices    *devices      // sets the known-device cookie of each sign-in
	now        func() time.Time
	logger     *slog.Logger
}

// current is the browser's session as one request found it.
type current struct {
	domain session.Domain
	id     string           // the cookie's session ID; "" when none loaded
	sess   *session.Session // nil when not signed in
}

// load finds the request's cookie domain and the browser's session, if any.
func (a *accountSessions) load(c echo.Context) (current, error) {
	domain, err := requestDomain(a.sessions, c)
	if err != nil {
		return current{}, err
	}
	r := c.Request()
	id, s, err := a.sessions.LoadRequest(r.Context(), r, r.Host)
	if err != nil {
		return current{}, internalError(err)
	}
	if s == nil || s.Level() == session.LevelNone {
		return current{domain: domain}, nil
	}
	return current{domain: domain, id: id, sess: s}, nil
}

// signedIn is load for routes that need one_factor: 401 unauthenticated without it.
func (a *accountSessions) signedIn(c echo.Context) (current, error) {
	cur, err := a.load(c)
	if err != nil {
		return current{}, err
	}
	if cur.sess == nil {
		return current{}, errUnauthenticated
	}
	return cur, nil
}

// elevated is signedIn for routes that change credentials: 403
// elevation_required unless an identity check is still fresh.
func (a *accountSessions) elevated(c echo.Context) (current, error) {
	cur, err := a.signedIn(c)
	if err != nil {
		return current{}, err
	}
	if err := a.checkElevated(cur); err != nil {
		return current{}, err
	}
	return cur, nil
}

// checkElevated is 403 elevation_required unless cur's identity check is still fresh.
func (a *accountSessions) checkElevated(cur current) error {
	if !cur.sess.Elevated(a.now()) {
		return errElevationRequired
	}
	return nil
}

// user returns the session's user as the users file has it now; a user removed
// or disabled since signing in is signed in no more.
func (a *accountSessions) user(cur current) (directory.User, error) {
	u, ok := a.users.Lookup(cur.sess.Username)
	if !ok || u.Disabled {
		return directory.User{}, errUnauthenticated
	}
	return u, nil
}

// signIn adds factor f for user to the browser's session when it is the same
// user's, or starts a new session (replacing another user's), and issues it.
// elevate also allows credential changes for the configured time.
func (a *accountSessions) signIn(c echo.Context, cur current, user directory.User, f session.Factor, rememberMe, elevate bool) (*session.Session, error) {
	s := cur.sess
	if s == nil || s.Username != user.Username || s.Domain != cur.domain.Name {
		s = &session.Session{Username: user.Username, Domain: cur.domain.Name}
	}
	s.DisplayName, s.Email, s.Groups = user.DisplayName, user.Email, user.Groups
	s.RememberMe = s.RememberMe || (rememberMe && a.rememberMe)
	s.Factors = withFactor(s.Factors, f)
	if elevate {
		s.ElevatedUntil = a.now().Add(a.elevation)
	}
	if err := a.issue(c, cur, s); err != nil {
		return nil, err
	}
	a.devices.remember(c.Response(), c.Request(), cur.domain, user.Username)
	a.logger.Info("signed in", "user", s.Username, "ip", c.RealIP(), "method", f.Method,
		"level", s.Level().String(), "domain", s.Domain)
	return s, nil
}

// issue stores s under a new ID and deletes the browser's old session.
func (a *accountSessions) issue(c echo.Context, cur current, s *session.Session) error {
	s.SetClient(c.RealIP(), c.Request().UserAgent())
	if err := a.sessions.Issue(c.Request().Context(), c.Response(), cur.oldID(), s); err != nil {
		return internalError(err)
	}
	return nil
}

// oldID is the session ID to delete when issuing a new one: the cookie's,
// when it named a session.
func (cur current) oldID() string {
	if cur.sess == nil {
		return ""
	}
	return cur.id
}
