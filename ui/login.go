package ui

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/session"
)

// login serves password sign-in and sign-out.
type login struct {
	sessions  sessions
	users     users
	regulator *regulator
	rec       *recorder
	hashes    *hashPool
	devices   *devices // the known-device cookie: priority for hashing
	// draining ends when the daemon begins to shut down (Handler.Drain).
	draining   context.Context
	rememberMe bool // remember-me allowed by config
	now        func() time.Time
	logger     *slog.Logger
}

// maxUsernameLen bounds usernames in sign-in requests, and so the regulator's memory.
const maxUsernameLen = 256

// passwordRequest is the body of POST /api/login/password.
type passwordRequest struct {
	Username   string `json:"username"`
	Password   string `json:"password"`
	RememberMe bool   `json:"remember_me"`
	RD         string `json:"rd"`
}

// loginAnswer is the answer to a successful sign-in.
type loginAnswer struct {
	Level    string `json:"level"`
	Redirect string `json:"redirect"`
}

// password checks a username and password and signs the browser in: it adds a
// password factor to the browser's session of the same user, or starts a new
// session otherwise, and always issues a fresh session ID.
func (l *login) password(c echo.Context) error {
	var req passwordRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if req.Username == "" || req.Password == "" {
		return invalidRequest("Enter a username and a password.", nil)
	}
	if len(req.Username) > maxUsernameLen {
		return invalidRequest("The username is too long.", nil)
	}
	domain, err := requestDomain(l.sessions, c)
	if err != nil {
		return err
	}
	device := l.devices.known(c.Request(), req.Username)
	user, err := l.authenticate(c, req.Username, req.Password, device)
	if err != nil {
		return err
	}
	s, err := l.signIn(c, domain, user, req.RememberMe)
	if err != nil {
		return err
	}
	l.devices.remember(c.Response(), c.Request(), domain, user.Username)
	return c.JSON(http.StatusOK, loginAnswer{Level: s.Level().String(), Redirect: redirectFor(req.RD, domain)})
}

// authenticate checks the password under a regulation reservation, with a
// hashing slot of the client's share: the known device's when device is not
// "", else the address's. A banned user or address gets the wrong-password
// answer at once, without a hash, whatever the password, device or not.
func (l *login) authenticate(c echo.Context, username, password, device string) (directory.User, error) {
	ip := c.RealIP()
	wait, cancel := checkContext(c.Request().Context(), l.draining)
	defer cancel()
	guess, err := l.regulator.reserve(wait, username, ip)
	if errors.Is(err, errRegulated) {
		l.logger.Warn("sign-in refused: banned by regulation", "user", username, "ip", ip)
		l.rec.signIn(c, session.MethodPassword, l.known(username), nil, resultBanned)
		return directory.User{}, errInvalidCredentials
	}
	if err != nil {
		return directory.User{}, busyOrInternal(err)
	}
	user, err := l.check(wait, c, username, password, device)
	switch {
	case errors.Is(err, directory.ErrInvalidCredentials):
		started := guess.fail()
		l.logger.Warn("sign-in failed", "user", username, "ip", ip, "method", session.MethodPassword, "ban_started", started)
		l.rec.signIn(c, session.MethodPassword, l.known(username), nil, resultFailure)
		l.rec.banned(c, started, l.known(username))
		return directory.User{}, errInvalidCredentials
	case err != nil:
		guess.cancel()
		l.rec.signIn(c, session.MethodPassword, "", nil, resultError)
		return directory.User{}, busyOrInternal(err)
	}
	guess.succeed()
	l.rec.signIn(c, session.MethodPassword, user.Username, nil, resultSuccess)
	return user, nil
}

// check verifies the password in a hashing slot of the client's share (the
// known device's when device is not ""), waiting for the slot until wait ends.
func (l *login) check(wait context.Context, c echo.Context, username, password, device string) (directory.User, error) {
	key := anonymousKey(clientKey(c.RealIP(), l.regulator.v6bits))
	if device != "" {
		key = deviceKey(device)
	}
	release, err := l.hashes.acquire(wait, key)
	if err != nil {
		return directory.User{}, err
	}
	defer release()
	return l.users.Authenticate(c.Request().Context(), username, password)
}

// busyOrInternal answers a sign-in that was not checked: errBusy when the
// capacity stayed taken, an internal error otherwise.
func busyOrInternal(err error) error {
	for _, refusal := range []*Error{errShuttingDown, errBusy} {
		if errors.Is(err, refusal) {
			return &Error{Status: refusal.Status, Code: refusal.Code, Message: refusal.Message, Err: err}
		}
	}
	return internalError(err)
}

// signIn records a password factor for user and issues the session.
func (l *login) signIn(c echo.Context, domain session.Domain, user directory.User, rememberMe bool) (*session.Session, error) {
	ctx := c.Request().Context()
	host := c.Request().Host
	oldID := l.sessions.CookieValue(c.Request())
	cur, err := l.sessions.Load(ctx, oldID, host)
	if err != nil {
		return nil, internalError(err)
	}
	s := cur
	if cur == nil || cur.Username != user.Username || cur.Domain != domain.Name {
		s = &session.Session{Username: user.Username, Domain: domain.Name}
	}
	s.DisplayName, s.Email, s.Groups = user.DisplayName, user.Email, user.Groups
	s.RememberMe = s.RememberMe || (rememberMe && l.rememberMe)
	s.Factors = withFactor(s.Factors, session.Factor{Method: session.MethodPassword, At: l.now()})
	if cur == nil {
		oldID = ""
	}
	s.SetClient(c.RealIP(), c.Request().UserAgent())
	if err := l.sessions.Issue(ctx, c.Response(), oldID, s); err != nil {
		return nil, internalError(err)
	}
	l.logger.Info("signed in", "user", s.Username, "ip", c.RealIP(), "method", session.MethodPassword,
		"level", s.Level().String(), "domain", s.Domain)
	return s, nil
}

// withFactor returns factors with f added, replacing an older factor of the same method.
func withFactor(factors []session.Factor, f session.Factor) []session.Factor {
	out := make([]session.Factor, 0, len(factors)+1)
	for _, old := range factors {
		if old.Method != f.Method {
			out = append(out, old)
		}
	}
	return append(out, f)
}

// errUnknownHost answers a request for a host no cookie domain covers.
var errUnknownHost = &Error{Status: http.StatusBadRequest, Code: codeUnknownHost,
	Message: "This address is not served by the sign-in portal."}

// requestDomain is the cookie domain serving the request's host.
func requestDomain(d domains, c echo.Context) (session.Domain, error) {
	domain, ok := d.DomainFor(c.Request().Host)
	if !ok {
		return session.Domain{}, errUnknownHost
	}
	return domain, nil
}

// redirectFor is where to send the browser after signing in or out: rd when
// redirectTarget allows it for domain, else the domain's default.
func redirectFor(rd string, domain session.Domain) string {
	if target, ok := redirectTarget(rd, domain.Name); ok {
		return target
	}
	return domain.DefaultRedirectURL.String()
}
