package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/notify"
	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/store"
	"github.com/keygate/keygate/webauthn"
)

// ErrMissingDependency is returned by New when a field of Deps is nil.
var ErrMissingDependency = errors.New("ui: missing dependency")

// Deps are the services the portal works with; cmd builds them.
type Deps struct {
	// Sessions issues, loads and destroys login sessions.
	Sessions *session.Manager
	// Users checks passwords against the users file.
	Users *directory.Directory
	// Notifier delivers the one-time codes of the identity check.
	Notifier notify.Notifier
	// RP runs the WebAuthn ceremonies and keeps the credentials.
	RP *webauthn.RP
	// Store keeps the invites and the audit trail.
	Store *store.Store
	// Metrics counts sign-ins, ceremonies, bans and codes; nil counts nothing.
	Metrics Metrics
}

// sessions is what the portal needs from *session.Manager.
type sessions interface {
	domains
	stateStore
	CookieValue(r *http.Request) string
	CookieValues(r *http.Request) []string
	Load(ctx context.Context, id, host string) (*session.Session, error)
	LoadRequest(ctx context.Context, r *http.Request, host string) (string, *session.Session, error)
	Issue(ctx context.Context, w http.ResponseWriter, oldID string, s *session.Session) error
	DestroyAll(ctx context.Context, w http.ResponseWriter, ids []string, domain string) error
	EphemeralStates() session.States
}

// domains resolves the cookie domain (and so the portal) serving a host.
type domains interface {
	DomainFor(host string) (session.Domain, bool)
}

// users is what the portal needs from *directory.Directory.
type users interface {
	Authenticate(ctx context.Context, username, password string) (directory.User, error)
	accounts
}

// accounts looks users up in the users file as it is now.
type accounts interface {
	Lookup(username string) (directory.User, bool)
}

// dependencies are the services the portal consumes, as the interfaces its
// parts take; New fills them from Deps.
type dependencies struct {
	sessions sessions
	users    users
	notifier notify.Notifier
	rp       relyingParty
	records  records
	// keys are the server's secret keys (the device cookie's); nil: known
	// devices are off.
	keys serverKeys
	// window and attempts, when not nil, are the counts that every replica
	// shares (Redis); nil: this process counts alone.
	window   session.Window
	attempts session.Attempts
	// probes are the stores GET /api/ready asks; none: always ready.
	probes  []probe
	metrics Metrics
}

var (
	_ sessions     = (*session.Manager)(nil)
	_ users        = (*directory.Directory)(nil)
	_ relyingParty = (*webauthn.RP)(nil)
	_ records      = (*store.Store)(nil)
	_ serverKeys   = (*store.Store)(nil)
)

// Handler serves the portal pages, their assets and the JSON API.
type Handler struct {
	pages       *pages
	headers     *pageHeaders
	status      *status
	readiness   *readiness
	login       *login
	signOut     *signOut
	guard       *guard
	passkey     *passkeyLogin
	secondStep  *secondFactor
	identity    *identity
	credentials *credentialsAPI
	enroll      *enrollment
	metrics     Metrics
	stepUp      *stepUp
	tokens      *tokensAPI
	drain       context.CancelFunc // see Drain
}

// Drain tells the portal that the daemon is shutting down: password checks
// still waiting for their turn or for a hashing slot are answered 503 at once
// (those hashing finish), so that a shutdown holds only work that will end
// soon. Call it when the shutdown begins; it is safe to call more than once.
func (h *Handler) Drain() { h.drain() }

// New validates cfg, applies defaults, parses the templates and returns the portal.
func New(cfg Config, deps Deps, logger *slog.Logger) (*Handler, error) {
	if deps.Sessions == nil {
		return nil, fmt.Errorf("%w: sessions", ErrMissingDependency)
	}
	if deps.Users == nil {
		return nil, fmt.Errorf("%w: users", ErrMissingDependency)
	}
	if deps.Notifier == nil {
		return nil, fmt.Errorf("%w: notifier", ErrMissingDependency)
	}
	if deps.RP == nil {
		return nil, fmt.Errorf("%w: relying party", ErrMissingDependency)
	}
	if deps.Store == nil {
		return nil, fmt.Errorf("%w: store", ErrMissingDependency)
	}
	d := dependencies{sessions: deps.Sessions, users: deps.Users, notifier: deps.Notifier, rp: deps.RP, records: deps.Store, keys: deps.Store,
		probes:  []probe{{"database", deps.Store}, {"sessions", deps.Sessions}},
		metrics: deps.Metrics}
	if w, ok := deps.Sessions.SharedWindow(); ok {
		d.window = w
	}
	if a, ok := deps.Sessions.SharedAttempts(); ok {
		d.attempts = a
	}
	return newHandler(cfg, d, logger, time.Now)
}

// newHandler builds the portal on the interfaces it consumes; tests call it with their clock.
func newHandler(cfg Config, d dependencies, logger *slog.Logger, now func() time.Time) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ui config: %w", err)
	}
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "ui")
	p, err := newPages(cfg, d.sessions)
	if err != nil {
		return nil, err
	}
	reg := newRegulator(cfg.Regulation, now)
	if d.attempts != nil {
		reg.share(d.attempts, logger)
	}
	rec := newRecorder(d.records, d.metrics, logger)
	dev := newDevices(cfg.Regulation.DeviceLifetime, d.keys, now, logger)
	draining, drain := context.WithCancel(context.Background())
	h := &Handler{
		drain:     drain,
		metrics:   rec.metrics,
		pages:     p,
		status:    &status{sessions: d.sessions, creds: d.rp},
		readiness: &readiness{probes: d.probes, logger: logger},
		login: &login{
			sessions:   d.sessions,
			users:      d.users,
			regulator:  reg,
			rec:        rec,
			hashes:     newHashPool(directory.HashSlots(), now),
			devices:    dev,
			draining:   draining,
			rememberMe: cfg.RememberMe > 0,
			now:        now,
			logger:     logger,
		},
		signOut: &signOut{sessions: d.sessions, logger: logger, rec: rec},
		headers: &pageHeaders{domains: d.sessions},
		guard:   &guard{domains: d.sessions, maxBody: maxBodyBytes},
	}
	h.addCeremonies(cfg, d, reg, rec, dev, now)
	return h, nil
}

// Register adds the portal's routes to e. Every one of them sets the security
// headers (errors get them from ErrorHandler); every POST, PATCH and DELETE
// route of the API also takes h.guard.check: Origin, content type and body size.
func (h *Handler) Register(e *echo.Echo) {
	read := h.headers.set
	write := []echo.MiddlewareFunc{h.headers.set, h.guard.check}

	e.GET("/", h.pages.signIn, read)
	e.GET("/2fa", h.pages.twoFactor, read)
	e.GET("/step-up", h.pages.stepUp, read)
	e.GET("/settings", h.pages.settings, read)
	e.GET("/enroll", h.pages.enroll, read)
	e.GET("/logout", h.pages.logout, read)
	e.GET("/static/logo", h.pages.logoFile, read)
	e.GET("/static/*", h.pages.static, read)

	e.GET("/api/health", h.status.health, read)
	e.GET("/api/ready", h.readiness.ready, read)
	e.GET("/api/session", h.status.session, read)
	e.POST("/api/login/password", h.login.password, write...)
	e.POST("/api/logout", h.signOut.logout, write...)

	e.POST("/api/login/passkey/options", h.passkey.options, write...)
	e.POST("/api/login/passkey", h.passkey.finish, write...)
	e.POST("/api/login/webauthn/options", h.secondStep.options, write...)
	e.POST("/api/login/webauthn", h.secondStep.finish, write...)
	e.POST("/api/identity/code", h.identity.code, h.counted(write, h.metrics.CodeSent)...)
	e.POST("/api/identity/verify", h.identity.verify, h.counted(write, h.ceremony(ceremonyIdentity))...)
	e.POST("/api/webauthn/credentials/options", h.credentials.options, write...)
	e.POST("/api/webauthn/credentials", h.credentials.add, h.counted(write, h.ceremony(ceremonyRegistration))...)
	e.GET("/api/webauthn/credentials", h.credentials.list, read)
	e.PATCH("/api/webauthn/credentials/:id", h.credentials.rename, write...)
	e.DELETE("/api/webauthn/credentials/:id", h.credentials.remove, write...)
	e.POST("/api/enroll/options", h.enroll.options, write...)
	e.POST("/api/enroll", h.enroll.finish, h.counted(write, h.ceremony(ceremonyEnrollment))...)
	e.POST("/api/login/step-up/options", h.stepUp.options, write...)
	e.GET("/api/tokens", h.tokens.list, read)
	e.POST("/api/tokens", h.tokens.create, write...)
	e.DELETE("/api/tokens/:id", h.tokens.revoke, write...)
}

// counted is mw followed by middleware that counts each answer with count.
func (h *Handler) counted(mw []echo.MiddlewareFunc, count func(result string)) []echo.MiddlewareFunc {
	return append(slices.Clip(mw), countAnswers(count))
}

// ceremony counts a ceremony of kind by its result.
func (h *Handler) ceremony(kind string) func(result string) {
	return func(result string) { h.metrics.Ceremony(kind, result) }
}
