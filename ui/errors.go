package ui

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/webauthn"
)

// Error is an error the portal shows to the client: a status, a stable code and a
// public message. Err is the cause; it is logged and never shown.
type Error struct {
	// Status is the HTTP status of the answer.
	Status int
	// Code is the stable, machine-readable error code, e.g. "invalid_credentials".
	Code string
	// Message is the human text shown to the user.
	Message string
	// Err is the cause, for the log only. It may be nil.
	Err error
}

// Error returns the code, the message and the cause, for logs.
func (e *Error) Error() string {
	if e.Err == nil {
		return e.Code + ": " + e.Message
	}
	return e.Code + ": " + e.Message + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// The stable error codes of the JSON API.
const (
	codeInvalidRequest     = "invalid_request"
	codeInvalidCredentials = "invalid_credentials"
	codeOriginMismatch     = "origin_mismatch"
	codeUnsupportedMedia   = "unsupported_media_type"
	codeTooLarge           = "request_too_large"
	codeUnknownHost        = "unknown_host"
	codeInternal           = "internal_error"
	codeUnauthenticated    = "unauthenticated"
	codeElevationRequired  = "elevation_required"
	codeTwoFactorRequired  = "two_factor_required"
	codeNoEmail            = "no_email"
	codeTooManyCodes       = "too_many_codes"
	codeCodeExpired        = "code_expired"
	codeInvalidCode        = "invalid_code"
	codeTooManyTries       = "too_many_tries"
	codeInvalidInvite      = "invalid_invite"
	codeTooManyRequests    = "too_many_requests"
	codeShuttingDown       = "shutting_down"
)

// errInvalidCredentials is the one answer to every failed password sign-in.
var errInvalidCredentials = &Error{
	Status:  http.StatusUnauthorized,
	Code:    codeInvalidCredentials,
	Message: "Wrong username or password.",
}

// msgInternal is the public text of every server-side failure.
const msgInternal = "Something went wrong. Please try again."

// internalError wraps a cause the client must not see.
func internalError(err error) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: codeInternal, Message: msgInternal, Err: err}
}

// errorBody is the JSON shape of every API error.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// ErrorHandler renders every error as {"error": code, "message": text} with its
// status on /api/ paths and as a plain HTML page elsewhere. Errors that are not
// *Error (echo's 404, 405 and bind errors included) get a code derived from their
// status; causes are logged, never shown.
func ErrorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	page := template.Must(parsePage("error"))
	cat, err := loadCatalog(assets)
	if err != nil {
		panic(err) // the embedded catalog is checked by the tests
	}
	return func(err error, c echo.Context) {
		e := publicError(err)
		logError(logger, c, e)
		if c.Response().Committed {
			return
		}
		setSecurityHeaders(c)
		if rerr := renderError(c, page, cat, e); rerr != nil {
			logger.Error("writing error response", "path", c.Request().URL.Path, "err", rerr)
		}
	}
}

// publicError turns any error into the *Error to show. A refusal of the
// relying party (*webauthn.Error) keeps its own code, message and status; any
// other error of it is an internal failure.
func publicError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var we *webauthn.Error
	if errors.As(err, &we) {
		return &Error{Status: we.Status, Code: we.Code, Message: we.Message, Err: err}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return &Error{Status: he.Code, Code: codeFor(he.Code), Message: messageFor(he.Code), Err: err}
	}
	return internalError(err)
}

// codeFor is the stable code for a status that no handler named.
func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return codeInvalidRequest
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return codeTooLarge
	case http.StatusUnsupportedMediaType:
		return codeUnsupportedMedia
	case http.StatusTooManyRequests:
		return "too_many_requests"
	}
	if status >= 500 {
		return codeInternal
	}
	return strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
}

// messageFor is the public text for a status that no handler described.
func messageFor(status int) string {
	if status >= 500 {
		return msgInternal
	}
	if text := http.StatusText(status); text != "" {
		return text + "."
	}
	return "The request failed."
}

func logError(logger *slog.Logger, c echo.Context, e *Error) {
	attrs := []any{"method", c.Request().Method, "path", c.Request().URL.Path, "status", e.Status, "code", e.Code}
	if e.Err != nil {
		attrs = append(attrs, "err", e.Err)
	}
	if e.Status >= 500 {
		logger.Error("request failed", attrs...)
		return
	}
	logger.Debug("request refused", attrs...)
}

func renderError(c echo.Context, page *template.Template, cat *catalog, e *Error) error {
	if c.Request().Method == http.MethodHead {
		return c.NoContent(e.Status)
	}
	if isAPI(c.Request().URL.Path) {
		return c.JSON(e.Status, errorBody{Error: e.Code, Message: e.Message})
	}
	lang := cat.pick(c.Request().Header.Get("Accept-Language"))
	data := pageData{Title: http.StatusText(e.Status), Lang: lang, Page: "error", T: cat.langs[lang],
		TextsJSON: cat.json[lang], Status: e.Status, StatusText: http.StatusText(e.Status), Message: e.Message}
	var b strings.Builder
	if err := page.ExecuteTemplate(&b, "layout", data); err != nil {
		return err
	}
	return c.HTML(e.Status, b.String())
}

// isAPI reports whether path belongs to the JSON API.
func isAPI(path string) bool {
	return path == "/api" || strings.HasPrefix(path, "/api/")
}
