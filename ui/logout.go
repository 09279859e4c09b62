package ui

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
)

// signOut serves POST /api/logout.
type signOut struct {
	sessions sessions
	logger   *slog.Logger
}

// logoutRequest is the body of POST /api/logout; the body may be empty.
type logoutRequest struct {
	RD string `json:"rd"`
}

// logoutAnswer is the answer to POST /api/logout.
type logoutAnswer struct {
	Redirect string `json:"redirect"`
}

// logout ends every session named by a session cookie of the request, not
// only the first: a cookie planted on a narrower path by a sibling host comes
// first, and ending it alone would leave the real session valid. IDs that
// name no session cost no write. The cookie is expired.
func (o *signOut) logout(c echo.Context) error {
	var req logoutRequest
	if err := decodeJSON(c, &req, true); err != nil {
		return err
	}
	domain, err := requestDomain(o.sessions, c)
	if err != nil {
		return err
	}
	r := c.Request()
	var live []string
	for _, id := range o.sessions.CookieValues(r) {
		s, err := o.sessions.Load(r.Context(), id, r.Host)
		if err != nil {
			return internalError(err)
		}
		if s != nil {
			live = append(live, id)
			o.logger.Info("signed out", "user", s.Username, "ip", c.RealIP(), "domain", domain.Name)
		}
	}
	if err := o.sessions.DestroyAll(r.Context(), c.Response(), live, domain.Name); err != nil {
		return internalError(err)
	}
	return c.JSON(http.StatusOK, logoutAnswer{Redirect: redirectFor(req.RD, domain)})
}

// autoSignOut reports whether GET /logout may sign out as soon as its page
// loads: only when the browser says the navigation came from the portal's own
// origin, from the same site (the apps under the cookie domain, which could
// overwrite the session cookie anyway), or from the user (address bar,
// bookmark). A cross-site navigation, or a browser that does not send
// Sec-Fetch-Site, gets a button that the user must press.
func autoSignOut(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "same-site", "none":
		return true
	}
	return false
}
