package authz

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/keygate/keygate/policy"
	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/token"
)

// TokenStore is where API tokens are looked up: *store.Store satisfies it. An
// ID it does not hold gives an error wrapping token.ErrUnknown.
type TokenStore interface {
	Token(ctx context.Context, id string) (token.Token, error)
	TouchToken(ctx context.Context, id string, at time.Time, ip string) error
}

// TokenAuditor records in the audit trail a refused use of a token that
// exists (wrong secret, or Basic naming another user), which is an attempt on
// that user's credential. Unknown tokens name no user and are only logged.
type TokenAuditor interface {
	TokenRefused(ctx context.Context, user, id, ip string) error
}

// touchEvery is how often a token's last use is written: at most once a
// minute per token, so that a busy client does not write on every request.
const touchEvery = time.Minute

// EnableTokens lets rules with tokens: allow accept API tokens looked up in
// ts, with failed attempts limited per client address by reg and refusals of
// existing tokens recorded by audit (nil: logged only). Call it before
// serving; without it no Authorization header is ever read.
func (h *Handler) EnableTokens(ts TokenStore, reg Regulation, audit TokenAuditor) {
	h.tokens = ts
	h.tokenLimit = newLimiter(reg, h.now)
	h.tokenAudit = audit
}

// tokenAnswer is a token's outcome: the verdict with the token's subject and
// the session-shaped identity to answer with when it allows.
type tokenAnswer struct {
	verdict  policy.Verdict
	identity *session.Session
}

// withToken decides q again as the user of the token r carries, when it
// carries one that is valid, unexpired and inside its scope. ok is false when
// there is no such token: the caller answers as it would without one. An
// error means the store failed: fail closed.
func (h *Handler) withToken(r *http.Request, o *original, q policy.Request, ip netip.Addr) (tokenAnswer, bool, error) {
	values := r.Header["Authorization"]
	if len(values) != 1 {
		return tokenAnswer{}, false, nil
	}
	text, basicUser, ok := token.FromAuthorization(values[0])
	if !ok {
		return tokenAnswer{}, false, nil
	}
	ctx, addr := r.Context(), ip.String()
	if h.tokenLimit.banned(addr) {
		h.logger.WarnContext(ctx, "ignored a token from a banned address", "ip", addr, "host", o.name)
		return tokenAnswer{}, false, nil
	}
	t, err := h.verifyToken(ctx, text, basicUser, addr)
	if err != nil || t == nil {
		return tokenAnswer{}, false, err
	}
	return h.decideToken(ctx, t, o, q, addr)
}

// verifyToken finds the token text names and checks its secret, user and
// expiry. A nil token without error is a refusal, already counted and logged.
func (h *Handler) verifyToken(ctx context.Context, text, basicUser, addr string) (*token.Token, error) {
	id, secret, err := token.Parse(text)
	if err != nil {
		return nil, h.tokenFailed(ctx, addr, "", "malformed token")
	}
	t, err := h.tokens.Token(ctx, id)
	if errors.Is(err, token.ErrUnknown) {
		return nil, h.tokenFailed(ctx, addr, id, "unknown or revoked token")
	}
	if err != nil {
		return nil, fmt.Errorf("loading token: %w", err)
	}
	switch {
	case !t.Verify(secret):
		return nil, h.tokenRefused(ctx, addr, &t, "wrong secret")
	case basicUser != "" && basicUser != t.User:
		return nil, h.tokenRefused(ctx, addr, &t, "basic user is not the token's")
	case t.Expired(h.now()):
		h.logger.InfoContext(ctx, "refused an expired token", "token", id, "user", t.User, "ip", addr)
		return nil, nil
	}
	return &t, nil
}

// tokenFailed counts and logs a failed token attempt from addr.
func (h *Handler) tokenFailed(ctx context.Context, addr, id, why string) error {
	banned := h.tokenLimit.fail(addr)
	h.logger.WarnContext(ctx, "refused a token", "reason", why, "token", id, "ip", addr, "banned", banned)
	return nil
}

// tokenRefused is tokenFailed for an existing token, also written to the
// audit trail under its user. A failed write is logged: the refusal stands.
func (h *Handler) tokenRefused(ctx context.Context, addr string, t *token.Token, why string) error {
	_ = h.tokenFailed(ctx, addr, t.ID, why)
	if h.tokenAudit == nil {
		return nil
	}
	if err := h.tokenAudit.TokenRefused(ctx, t.User, t.ID, addr); err != nil {
		h.logger.ErrorContext(ctx, "writing audit event", "user", t.User, "action", "token_refused", "err", err)
	}
	return nil
}

// decideToken checks the scope and the user and asks policy about q made by
// the token's user.
func (h *Handler) decideToken(ctx context.Context, t *token.Token, o *original, q policy.Request, addr string) (tokenAnswer, bool, error) {
	path, _, _ := strings.Cut(q.Path, "?")
	if !t.Scope.Permits(o.name, path, o.method) {
		h.logger.InfoContext(ctx, "refused a token outside its scope", "token", t.ID, "user", t.User, "host", o.name, "method", o.method)
		return tokenAnswer{}, false, nil
	}
	ident := &session.Session{Username: t.User}
	if h.users != nil {
		now, ok := h.users.Identity(t.User)
		if !ok {
			h.logger.InfoContext(ctx, "refused a token of a removed or disabled user", "token", t.ID, "user", t.User)
			return tokenAnswer{}, false, nil
		}
		ident.DisplayName, ident.Email, ident.Groups = now.DisplayName, now.Email, now.Groups
	}
	sub := policy.Subject{Username: t.User, Groups: ident.Groups, Level: policy.LevelTwoFactor, Token: true}
	v := h.policy.Evaluate(sub, q)
	if v.Decision != policy.Allow {
		return tokenAnswer{}, false, nil
	}
	h.touch(ctx, t, addr)
	return tokenAnswer{verdict: v, identity: ident}, true, nil
}

// touch records the token's use when the last record is older than touchEvery.
// A failed write is logged, not fatal: the use was already allowed.
func (h *Handler) touch(ctx context.Context, t *token.Token, addr string) {
	now := h.now()
	if now.Sub(t.LastUsedAt) < touchEvery {
		return
	}
	if err := h.tokens.TouchToken(ctx, t.ID, now, addr); err != nil {
		h.logger.WarnContext(ctx, "could not record a token's use", "token", t.ID, "err", err)
	}
}
