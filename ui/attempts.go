package ui

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/store"
	"github.com/keygate/keygate/webauthn"
)

// auditLog appends to the audit trail: *store.Store.
type auditLog interface {
	AppendAudit(ctx context.Context, e store.Event) error
}

// handleOwners names the owner of a WebAuthn user handle: *store.Store.
type handleOwners interface {
	UserByHandle(ctx context.Context, handle []byte) (string, error)
}

// The audit trail's actions written by the portal.
const (
	actionCredentialAdded   = "credential_added"
	actionCredentialRenamed = "credential_renamed"
	actionCredentialDeleted = "credential_deleted"
	actionInviteRedeemed    = "invite_redeemed"
	actionSignInFailed      = "sign_in_failed"
	actionCloneWarning      = "clone_warning"
)

// attempts applies regulation and the audit trail to WebAuthn sign-ins. They
// share the password sign-in's regulator: failures of either kind count
// together, per user when the user is known and per address always.
type attempts struct {
	regulator *regulator
	rec       *recorder
	owners    handleOwners
	logger    *slog.Logger
}

// errBanned answers an attempt refused by regulation exactly like a credential
// that does not verify.
func errBanned(user, ip string) error {
	return fmt.Errorf("user %q or address %s banned by regulation: %w", user, ip, webauthn.ErrInvalidCredential)
}

// banned reports whether user (when not "") or the client's address is
// refused, and records a refusal.
func (a *attempts) banned(c echo.Context, method session.Method, user string) bool {
	ip := c.RealIP()
	refused := false
	if user == "" {
		refused = a.regulator.bannedAddress(ip)
	} else {
		refused = a.regulator.banned(user, ip)
	}
	if refused {
		a.rec.signIn(c, method, user, nil, resultBanned)
	}
	return refused
}

// failed records a refused sign-in with method. Only refusals (a
// *webauthn.Error) count: an internal failure is not the client's. A clone
// warning names its user from the credential even for a passkey, and goes to
// the audit trail, as does every refused second factor.
func (a *attempts) failed(c echo.Context, method session.Method, user string, credential []byte, err error) {
	var refusal *webauthn.Error
	if !errors.As(err, &refusal) {
		return
	}
	ctx, ip := c.Request().Context(), c.RealIP()
	id, handle := claimedIdentity(credential)
	clone := errors.Is(err, webauthn.ErrCloneWarning)
	if clone && user == "" && len(handle) > 0 {
		user, _ = a.owners.UserByHandle(ctx, handle) // "" when unknown: count the address only
	}
	var started bool
	if user == "" {
		started = a.regulator.failAddress(ip)
	} else {
		started = a.regulator.fail(user, ip)
	}
	a.logger.Warn("sign-in failed", "user", user, "ip", ip, "method", method, "code", refusal.Code,
		"ban_started", started, "err", err)
	result := resultFailure
	if clone {
		result = resultClone
	}
	a.rec.signIn(c, method, user, id, result)
	a.rec.banned(c, started, user)
}

// succeeded forgets the user's failures and records the sign-in with the
// credential that made it.
func (a *attempts) succeeded(c echo.Context, method session.Method, user string, credential []byte) {
	a.regulator.succeed(user)
	a.rec.signIn(c, method, user, credential, resultSuccess)
}

// appendAudit adds e to the audit trail. A failure is logged, not answered:
// the change it records has happened.
func appendAudit(ctx context.Context, log auditLog, logger *slog.Logger, e store.Event) {
	if err := log.AppendAudit(ctx, e); err != nil {
		logger.Error("writing audit event", "user", e.User, "action", e.Action, "err", err)
	}
}

// claimedIdentity returns the credential ID and user handle an assertion
// claims, unverified, for the audit trail and regulation only; nil for what
// does not decode.
func claimedIdentity(credential []byte) (id, handle []byte) {
	var claim struct {
		RawID    string `json:"rawId"`
		Response struct {
			UserHandle string `json:"userHandle"`
		} `json:"response"`
	}
	if json.Unmarshal(credential, &claim) != nil {
		return nil, nil
	}
	return decodeBase64URL(claim.RawID), decodeBase64URL(claim.Response.UserHandle)
}

// decodeBase64URL decodes base64url with or without padding; nil when it does not decode.
func decodeBase64URL(s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(b) == 0 {
		return nil
	}
	return b
}

// bannedAddress reports whether ip is currently refused.
func (r *regulator) bannedAddress(ip string) bool {
	if r.max <= 0 {
		return false
	}
	if r.shared != nil {
		return r.shared.banned(r.ipKey(ip))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.isBanned(r.ipKey(ip), r.now())
}

// failAddress records a failed sign-in of an unknown user from ip and reports
// whether it started a ban.
func (r *regulator) failAddress(ip string) bool {
	if r.max <= 0 {
		return false
	}
	if r.shared != nil {
		return r.shared.fail([]string{r.ipKey(ip)}, nil)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count(r.ipKey(ip), r.now())
}
