package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/session"
)

// ErrMissingDependency is returned by New when a field of Deps is nil.
var ErrMissingDependency = errors.New("ui: missing dependency")

// Deps are the services the portal works with; cmd builds them.
type Deps struct {
	// Sessions issues, loads and destroys login sessions.
	Sessions *session.Manager
	// Users checks passwords against the users file.
	Users *directory.Directory
}

// sessions is what the portal needs from *session.Manager.
type sessions interface {
	domains
	CookieValue(r *http.Request) string
	Load(ctx context.Context, id, host string) (*session.Session, error)
	Issue(ctx context.Context, w http.ResponseWriter, oldID string, s *session.Session) error
	Destroy(ctx context.Context, w http.ResponseWriter, id, domain string) error
}

// domains resolves the cookie domain (and so the portal) serving a host.
type domains interface {
	DomainFor(host string) (session.Domain, bool)
}

// users is what the portal needs from *directory.Directory.
type users interface {
	Authenticate(ctx context.Context, username, password string) (directory.User, error)
}

var (
	_ sessions = (*session.Manager)(nil)
	_ users    = (*directory.Directory)(nil)
)

// Handler serves the portal pages, their assets and the JSON API.
type Handler struct {
	pages  *pages
	status *status
	login  *login
	guard  *guard
}

// New validates cfg, applies defaults, parses the templates and returns the portal.
func New(cfg Config, deps Deps, logger *slog.Logger) (*Handler, error) {
	if deps.Sessions == nil {
		return nil, fmt.Errorf("%w: sessions", ErrMissingDependency)
	}
	if deps.Users == nil {
		return nil, fmt.Errorf("%w: users", ErrMissingDependency)
	}
	return newHandler(cfg, deps.Sessions, deps.Users, logger, time.Now)
}

// newHandler builds the portal on the interfaces it consumes; tests call it with fakes.
func newHandler(cfg Config, s sessions, u users, logger *slog.Logger, now func() time.Time) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ui config: %w", err)
	}
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "ui")
	p, err := newPages(cfg)
	if err != nil {
		return nil, err
	}
	return &Handler{
		pages:  p,
		status: &status{sessions: s, passkeyLogin: cfg.PasskeyLogin},
		login: &login{
			sessions:   s,
			users:      u,
			regulator:  newRegulator(cfg.Regulation, now),
			rememberMe: cfg.RememberMe > 0,
			now:        now,
			logger:     logger,
		},
		guard: &guard{domains: s, maxBody: maxBodyBytes},
	}, nil
}

// Register adds the portal's routes to e, and the security headers to every
// response e gives (those of other packages' routes and of errors included).
// Every POST, PATCH and DELETE route of the API takes h.guard.check: Origin,
// content type and body size.
func (h *Handler) Register(e *echo.Echo) {
	e.Use(securityHeaders)

	e.GET("/", h.pages.signIn)
	e.GET("/logout", h.pages.logout)
	e.GET("/static/*", h.pages.static)

	e.GET("/api/health", h.status.health)
	e.GET("/api/session", h.status.session)
	e.POST("/api/login/password", h.login.password, h.guard.check)
	e.POST("/api/logout", h.login.logout, h.guard.check)
}
