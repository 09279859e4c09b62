package ui

import (
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/session"
)

// maxBodyBytes bounds the body of an API request.
const maxBodyBytes = 64 << 10

// contentSecurityPolicy allows only the portal's own files: no inline script or
// style, no framing, no plugins, forms posting only to the portal.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// The security headers' values, allocated once and shared by every response;
// never modified.
var (
	hdrCSP            = []string{contentSecurityPolicy}
	hdrNoSniff        = []string{"nosniff"}
	hdrDenyFrames     = []string{"DENY"}
	hdrNoReferrer     = []string{"no-referrer"}
	hdrSameOriginOnly = []string{"same-origin"}
	hdrNoStore        = []string{"no-store"}
)

// hdrHSTS is the Strict-Transport-Security of an https portal: a year,
// for the portal's host only (the apps under the cookie domain are the
// operator's to decide).
var hdrHSTS = []string{"max-age=31536000"}

// pageHeaders sets the security headers of the portal's routes.
type pageHeaders struct {
	domains domains
}

// set is the middleware that sets the security headers on every answer of a
// portal route, and Strict-Transport-Security when the request host's portal
// is https; an error answer keeps them, as the error handler adds to the
// headers set here. Routes of other packages (the proxies' forward-auth
// checks) do not get them: those answers never render.
func (p *pageHeaders) set(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		setSecurityHeaders(c)
		if d, ok := p.domains.DomainFor(c.Request().Host); ok && d.PortalURL != nil && d.PortalURL.Scheme == "https" {
			c.Response().Header()["Strict-Transport-Security"] = hdrHSTS
		}
		return next(c)
	}
}

// setSecurityHeaders sets the page headers on c's answer; API answers are
// never stored by caches.
func setSecurityHeaders(c echo.Context) {
	h := c.Response().Header()
	h["Content-Security-Policy"] = hdrCSP
	h["X-Content-Type-Options"] = hdrNoSniff
	h["X-Frame-Options"] = hdrDenyFrames
	h["Referrer-Policy"] = hdrNoReferrer
	h["Cross-Origin-Opener-Policy"] = hdrSameOriginOnly
	if isAPI(c.Request().URL.Path) {
		h["Cache-Control"] = hdrNoStore
	}
}

// guard checks mutating API requests before their handler runs: the Origin must
// be the portal of the request host's cookie domain, a body must be JSON and at
// most maxBody bytes.
type guard struct {
	domains domains
	maxBody int64
}

var (
	errOriginMismatch = &Error{Status: http.StatusForbidden, Code: codeOriginMismatch,
		Message: "This request must come from the sign-in portal."}
	errNotJSON = &Error{Status: http.StatusUnsupportedMediaType, Code: codeUnsupportedMedia,
		Message: "The request body must be JSON (Content-Type: application/json)."}
	errTooLarge = &Error{Status: http.StatusRequestEntityTooLarge, Code: codeTooLarge,
		Message: "The request body is too large."}
)

// check is the middleware for POST, PATCH and DELETE routes of the API.
func (g *guard) check(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		domain, ok := g.domains.DomainFor(r.Host)
		if !ok || r.Header.Get("Origin") != portalOrigin(domain) {
			return errOriginMismatch
		}
		if hasBody(r) {
			if !isJSON(r.Header.Get("Content-Type")) {
				return errNotJSON
			}
			if r.ContentLength > g.maxBody {
				return errTooLarge
			}
			r.Body = http.MaxBytesReader(c.Response(), r.Body, g.maxBody)
		}
		return next(c)
	}
}

// portalOrigin is the origin a browser sends from the portal of d: scheme and
// host in lower case, without the scheme's default port.
func portalOrigin(d session.Domain) string {
	if d.PortalURL == nil {
		return ""
	}
	u := d.PortalURL
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" && !(scheme == "https" && port == "443") && !(scheme == "http" && port == "80") {
		host += ":" + port
	}
	return (&url.URL{Scheme: scheme, Host: host}).String()
}

// hasBody reports whether r carries a body (or may: unknown length).
func hasBody(r *http.Request) bool {
	return r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody
}

// isJSON reports whether a Content-Type header names application/json.
func isJSON(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && mediaType == "application/json"
}

// Recover turns a panic in any handler (a portal page, the API or a proxy's
// forward-auth check) into a 500 rendered by the error handler, and logs it with
// its stack: the client gets an answer, never a dropped connection, and a
// forward-auth check fails closed. It goes first, on every route of the router.
func Recover(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				if p == http.ErrAbortHandler { //nolint:errorlint // the sentinel is panicked as is
					panic(p)
				}
				logger.Error("handler panicked", "method", c.Request().Method,
					"path", c.Request().URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				err = internalError(fmt.Errorf("handler panicked: %v", p))
			}()
			return next(c)
		}
	}
}
