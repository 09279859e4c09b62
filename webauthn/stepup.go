package webauthn

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/go-webauthn/webauthn/protocol"
	gowebauthn "github.com/go-webauthn/webauthn/webauthn"

	"github.com/keygate/keygate/store"
)

// ErrNoQualifyingCredential means the user has credentials, but none of the
// kind a rule requires: the step-up cannot succeed until they add one.
var ErrNoQualifyingCredential = newError(http.StatusConflict, "no_qualifying_credential",
	"None of your security keys or passkeys is of the kind this page requires.")

// StepUp is what the credential of a step-up must be; the zero value asks
// nothing more than a sign-in with any of the user's credentials.
type StepUp struct {
	// UserVerification requires the UV flag: the options ask for it and
	// FinishLogin refuses an assertion without it.
	UserVerification bool
	// DeviceBound offers only credentials registered without backup eligibility.
	DeviceBound bool
	// Attachment, when not "", offers only credentials registered with it.
	Attachment string
	// AAGUIDs, when not empty, offer only credentials of those models
	// (lower-case UUIDs).
	AAGUIDs []string
}

// qualifies reports whether a stored credential meets need.
func (need StepUp) qualifies(c store.Credential) bool {
	switch {
	case c.CloneWarning:
		return false
	case need.DeviceBound && c.BackupEligible:
		return false
	case need.Attachment != "" && c.Attachment != need.Attachment:
		return false
	case len(need.AAGUIDs) > 0 && !slices.Contains(need.AAGUIDs, aaguidString(c.AAGUID)):
		return false
	}
	return true
}

// Qualifying returns the summaries of user's credentials that meet need.
func (r *RP) Qualifying(ctx context.Context, user string, need StepUp) ([]Summary, error) {
	stored, err := r.creds.Credentials(ctx, user)
	if err != nil {
		return nil, err
	}
	var out []Summary
	for _, c := range stored {
		if need.qualifies(c) {
			out = append(out, r.summary(c))
		}
	}
	return out, nil
}

// BeginStepUp starts a sign-in for user, who is signed in already, with only
// the credentials that meet need in allowCredentials, user verification
// required when need asks for it, and the security-key hint when need asks for
// a cross-platform authenticator. FinishLogin completes it and refuses any
// other credential. ErrNoCredentials when the user has none at all,
// ErrNoQualifyingCredential when none meets need.
func (r *RP) BeginStepUp(ctx context.Context, user string, need StepUp) (Options, []byte, error) {
	u, stored, err := r.loadUser(ctx, user, "")
	if err != nil {
		return Options{}, nil, err
	}
	if len(stored) == 0 {
		return Options{}, nil, ErrNoCredentials.withf("user %q", user)
	}
	u.creds = u.creds[:0]
	for _, c := range stored {
		if need.qualifies(c) {
			u.creds = append(u.creds, libraryCredential(c))
		}
	}
	if len(u.creds) == 0 {
		return Options{}, nil, ErrNoQualifyingCredential.withf("user %q, %d credentials", user, len(stored))
	}
	assertion, session, err := r.wa.BeginLogin(u, stepUpOptions(need, stored)...)
	if err != nil {
		return Options{}, nil, fmt.Errorf("beginning step-up: %w", err)
	}
	return r.begun(assertion.Response, "", r.newState(ceremonyLogin, user, session))
}

// stepUpOptions are the library options of a step-up for need.
func stepUpOptions(need StepUp, stored []store.Credential) []gowebauthn.LoginOption {
	var opts []gowebauthn.LoginOption
	if appID := legacyAppID(stored); appID != "" {
		opts = append(opts, gowebauthn.WithAssertionExtensions(gowebauthn.WithExtensionAppID(appID)))
	}
	if need.UserVerification {
		opts = append(opts, gowebauthn.WithUserVerification(protocol.VerificationRequired))
	}
	if need.Attachment == "cross-platform" {
		opts = append(opts, func(o *protocol.PublicKeyCredentialRequestOptions) error {
			o.Hints = []protocol.PublicKeyCredentialHints{protocol.PublicKeyCredentialHintSecurityKey}
			return nil
		})
	} else if need.Attachment == "platform" {
		opts = append(opts, func(o *protocol.PublicKeyCredentialRequestOptions) error {
			o.Hints = []protocol.PublicKeyCredentialHints{protocol.PublicKeyCredentialHintClientDevice}
			return nil
		})
	}
	return opts
}
