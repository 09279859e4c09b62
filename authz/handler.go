package authz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/policy"
	"github.com/keygate/keygate/session"
)

// sessions finds the login session a request carries and the cookie domain of a
// host. *session.Manager satisfies it; authz only reads through it. LoadRequest
// returns a session the caller owns and may change; of several session cookies
// it honours none when two name live sessions.
type sessions interface {
	LoadRequest(ctx context.Context, r *http.Request, host string) (string, *session.Session, error)
	DomainFor(host string) (session.Domain, bool)
}

// decider applies the access rules and names the rule that decided.
// *policy.Engine satisfies it.
type decider interface {
	Evaluate(s policy.Subject, r policy.Request) policy.Verdict
}

// Users is the users file as it stands now. When given to New, every answer uses
// the user's current groups, email and name, and a user who was removed or
// disabled since signing in is treated as anonymous at once.
type Users interface {
	// Identity returns the user's current identity, or false when the user no
	// longer exists or is disabled.
	Identity(username string) (Identity, bool)
}

// Identity is a user's current identity in the users file.
type Identity struct {
	DisplayName string
	Email       string
	Groups      []string
}

var (
	_ sessions = (*session.Manager)(nil)
	_ decider  = (*policy.Engine)(nil)
)

// errNilDependency is returned by New when a dependency is missing.
var errNilDependency = errors.New("authz: nil session manager or policy engine")

// Handler answers the proxies' questions on /api/authz/forward-auth and
// /api/authz/auth-request. It is safe for concurrent use.
type Handler struct {
	trusted  []netip.Prefix
	sessions sessions
	policy   decider
	users    Users // nil: trust the identity recorded at sign-in
	logger   *slog.Logger
	now      func() time.Time
	headers  fixedHeaders
	metrics  Metrics // nil: nothing is counted
	amr      *amrTable

	tokens     TokenStore // nil: tokens are never read
	tokenLimit *limiter
	tokenAudit TokenAuditor // nil: refusals are logged only
}

// New returns a Handler that trusts the peers in cfg.TrustedProxies, finds
// sessions through sessions, checks each session's user against users (nil:
// the identity recorded at sign-in is used as it is) and decides with engine. A
// nil logger discards.
func New(cfg Config, sessions *session.Manager, engine *policy.Engine, users Users, logger *slog.Logger) (*Handler, error) {
	if sessions == nil || engine == nil {
		return nil, errNilDependency
	}
	h, err := newHandler(cfg, sessions, engine, logger)
	if err != nil {
		return nil, err
	}
	h.users = users
	return h, nil
}

// newHandler is New over the interfaces, for tests with fakes.
func newHandler(cfg Config, s sessions, d decider, logger *slog.Logger) (*Handler, error) {
	trusted, err := cfg.Prefixes()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "authz")
	for _, p := range trusted {
		if p.Bits() == 0 {
			logger.Warn("server.trusted_proxies trusts every address: any peer that reaches Keygate can ask about any request", "prefix", p.String())
		}
	}
	return &Handler{
		trusted:  trusted,
		sessions: s,
		policy:   d,
		logger:   logger,
		now:      time.Now,
		headers:  newFixedHeaders(),
		amr:      newAMRTable(),
	}, nil
}

// Register adds the two endpoints to e for every method: a proxy may ask with any.
// The client IP that network rules see comes from X-Forwarded-For as the trusted
// proxies sent it (see clientIP), not from e's IPExtractor.
func (h *Handler) Register(e *echo.Echo) {
	e.Any(ForwardAuthPath, h.forwardAuth)
	e.Any(AuthRequestPath, h.authRequest)
}

// endpoint tells the two proxy dialects apart.
type endpoint uint8

const (
	forwardAuth endpoint = iota // X-Forwarded-*; redirects browsers itself
	authRequest                 // X-Original-URL; always 401, the proxy redirects
)

// Paths of the two endpoints.
const (
	ForwardAuthPath = "/api/authz/forward-auth"
	AuthRequestPath = "/api/authz/auth-request"
)

// forwardAuth serves /api/authz/forward-auth. Every answer is written by check, so
// it never returns an error for the router to render.
func (h *Handler) forwardAuth(c echo.Context) error {
	h.check(c.Response(), c.Request(), forwardAuth)
	return nil
}

// authRequest serves /api/authz/auth-request, like forwardAuth.
func (h *Handler) authRequest(c echo.Context) error {
	h.check(c.Response(), c.Request(), authRequest)
	return nil
}

// Route returns a handler that answers the two check paths itself, without a
// router, and sends every other request to next (the portal's router): every
// proxied request waits for a check, so the check pays for nothing else. A
// path is matched as it was sent, as the router matches it, so that a path
// spelled with escapes (which a proxy blocking /api/authz/ by its raw path
// may let through from a browser) is not answered as a check here when the
// router would not have answered it either. A panic in a check is answered
// 500 (fail closed) and logged.
func (h *Handler) Route(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ep, ok := endpointOf(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		defer h.recoverPanic(w, r)
		h.check(w, r, ep)
	})
}

// endpointOf names the endpoint r's path, as sent, asks.
func endpointOf(r *http.Request) (endpoint, bool) {
	p := r.URL.RawPath
	if p == "" {
		p = r.URL.Path
	}
	switch p {
	case ForwardAuthPath:
		return forwardAuth, true
	case AuthRequestPath:
		return authRequest, true
	}
	return 0, false
}

// recoverPanic answers 500 for a check that panicked, and logs it; the
// server's own abort signal is passed on.
func (h *Handler) recoverPanic(w http.ResponseWriter, r *http.Request) {
	p := recover()
	if p == nil {
		return
	}
	if p == http.ErrAbortHandler { //nolint:errorlint // the sentinel is panicked as is
		panic(p)
	}
	h.logger.Error("authz check panicked; answering 500", "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	h.plain(w, http.StatusInternalServerError, bodyInternal)
}

// check answers one question and, with metrics on, counts the answer.
func (h *Handler) check(w http.ResponseWriter, r *http.Request, ep endpoint) {
	if h.metrics == nil {
		h.answer(w, r, ep)
		return
	}
	start := time.Now()
	result, rule := h.answer(w, r, ep)
	h.metrics.Answered(ep.String(), result, rule, time.Since(start))
}

// answer answers one question: trusted peer, original request, session,
// decision. It returns the result as Metrics names it and the deciding rule.
func (h *Handler) answer(w http.ResponseWriter, r *http.Request, ep endpoint) (string, int) {
	if !h.trustedPeer(r.RemoteAddr) {
		h.logger.Warn("refused an authz request from an untrusted peer", "peer", r.RemoteAddr)
		h.plain(w, http.StatusForbidden, bodyForbidden)
		return ResultUntrusted, NoRule
	}
	o, err := ep.read(r.Header)
	if err != nil {
		h.logger.Debug("refused an authz request with a malformed original request", "err", err)
		h.plain(w, http.StatusBadRequest, "400 Bad Request: "+err.Error()+"\n")
		return ResultBadRequest, NoRule
	}
	s, level, err := h.session(r, o.name)
	if err != nil {
		h.logger.Error("answering 500: session lookup failed", "host", o.name, "err", err)
		h.plain(w, http.StatusInternalServerError, bodyInternal)
		return ResultError, NoRule
	}
	ip := h.clientIP(r)
	q := h.request(&o, ip)
	v := h.decide(s, level, q)
	amr := amrBits(s, level)
	if v.Tokens && v.Decision != policy.Allow && v.Decision != policy.Deny && h.tokens != nil {
		t, ok, err := h.withToken(r, &o, q, ip)
		if err != nil {
			h.logger.Error("answering 500: token lookup failed", "host", o.name, "err", err)
			h.plain(w, http.StatusInternalServerError, bodyInternal)
			return ResultError, NoRule
		}
		if ok {
			v, s, amr = t.verdict, t.identity, 0 // a token proves no method now
		}
	}
	h.logDecision(r.Context(), &o, s, v.Decision)
	switch v.Decision {
	case policy.Allow:
		h.allow(w, s, amr)
	case policy.Authenticate:
		h.authenticate(w, r, &o, ep, v.Tokens && h.tokens != nil)
	case policy.StepUp:
		h.stepUp(w, r, &o, ep, v.Require)
	default:
		h.plain(w, http.StatusForbidden, bodyForbidden)
	}
	return decisionName(v.Decision), v.Rule
}

// decide asks policy about q made by s. The session's WebAuthn factors matter
// only to a rule's require, and without them a require is never met: so policy
// first decides without them, and only a StepUp is decided again with them.
// The common path builds no list of factors.
func (h *Handler) decide(s *session.Session, level session.Level, q policy.Request) policy.Verdict {
	sub := subject(s, level)
	v := h.policy.Evaluate(sub, q)
	if v.Decision == policy.StepUp {
		sub.Keys = keys(s)
		v = h.policy.Evaluate(sub, q)
	}
	return v
}

// read parses the original request in the endpoint's dialect.
func (ep endpoint) read(hdr http.Header) (original, error) {
	if ep == forwardAuth {
		return fromForwarded(hdr)
	}
	return fromOriginalURL(hdr)
}

// trustedPeer reports whether the direct peer is one of the trusted proxies.
func (h *Handler) trustedPeer(remoteAddr string) bool {
	a, ok := peerAddr(remoteAddr)
	return ok && h.trustedAddr(a)
}

// trustedAddr reports whether a (unmapped, without zone) is a trusted proxy.
func (h *Handler) trustedAddr(a netip.Addr) bool {
	for _, p := range h.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// session returns the signed-in session r carries for host, or nil for an
// anonymous request (no cookie, unknown, expired, other domain, or no factor).
// It only reads: nothing is created or written for an anonymous request. With
// Users set, the identity comes from the users file as it is now.
func (h *Handler) session(r *http.Request, host string) (*session.Session, session.Level, error) {
	_, s, err := h.sessions.LoadRequest(r.Context(), r, host)
	if err != nil {
		return nil, session.LevelNone, fmt.Errorf("loading session: %w", err)
	}
	level := s.Level() // nil-safe
	if level == session.LevelNone {
		return nil, session.LevelNone, nil
	}
	if h.users == nil {
		return s, level, nil
	}
	now, ok := h.users.Identity(s.Username)
	if !ok {
		h.logger.DebugContext(r.Context(), "treating a session as anonymous: its user was removed or disabled", "user", s.Username)
		return nil, session.LevelNone, nil
	}
	s.DisplayName, s.Email, s.Groups = now.DisplayName, now.Email, now.Groups // s is our copy
	return s, level, nil
}

// subject is who policy sees: the zero Subject (anonymous) when s is nil.
func subject(s *session.Session, level session.Level) policy.Subject {
	if s == nil {
		return policy.Subject{}
	}
	return policy.Subject{
		Username: s.Username,
		Groups:   s.Groups,
		Level:    policyLevel(level),
		AuthTime: s.AuthTime(),
	}
}

// policyLevel maps a session level to the policy level of the same meaning.
func policyLevel(l session.Level) policy.Level {
	switch l {
	case session.LevelOneFactor:
		return policy.LevelOneFactor
	case session.LevelTwoFactor:
		return policy.LevelTwoFactor
	default:
		return policy.LevelNone
	}
}

// request is what policy sees of the original request from the client at ip.
func (h *Handler) request(o *original, ip netip.Addr) policy.Request {
	return policy.Request{
		Host:   o.name,
		Path:   judgedURI(o.uri),
		Method: o.method,
		IP:     ip,
		Time:   h.now(),
	}
}

// logDecision records the decision at debug level, at no cost when that is off.
func (h *Handler) logDecision(ctx context.Context, o *original, s *session.Session, d policy.Decision) {
	if !h.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	user := ""
	if s != nil {
		user = s.Username
	}
	h.logger.DebugContext(ctx, "authz decision", "decision", decisionName(d),
		"method", o.method, "host", o.name, "uri", o.uri, "user", user)
}

// decisionName names d as check acts on it: anything unknown is a deny.
func decisionName(d policy.Decision) string {
	switch d {
	case policy.Allow:
		return ResultAllow
	case policy.Authenticate:
		return ResultAuthenticate
	case policy.StepUp:
		return ResultStepUp
	default:
		return ResultDeny
	}
}
