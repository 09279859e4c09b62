package webauthn

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/go-webauthn/webauthn/protocol"
	gowebauthn "github.com/go-webauthn/webauthn/webauthn"

	"github.com/keygate/keygate/store"
)

// Assertion is a verified sign-in with a credential.
type Assertion struct {
	// CredentialID is the credential used.
	CredentialID []byte
	// UserVerified is the authenticator's UV flag: it checked a PIN or biometrics.
	UserVerified bool
	// Attachment is the credential's attachment as registered ("platform",
	// "cross-platform" or "").
	Attachment string
	// BackupState is the BS flag: the credential is currently synced.
	BackupState bool
	// BackupEligible is the BE flag, equal to the one registered: the
	// credential may be synced. False means device-bound.
	BackupEligible bool
	// AAGUID is the authenticator model registered, as a lower-case UUID.
	AAGUID string
	// MultiFactor is set for a passkey sign-in with user verification when
	// passkey_uv_two_factor allows it to count as two factors on its own.
	MultiFactor bool
}

// BeginLogin starts a second-factor sign-in for user, who has given a
// password. allowCredentials lists all the user's credentials, with the appid
// extension when one is an imported U2F credential. ErrNoCredentials when the
// user has none.
func (r *RP) BeginLogin(ctx context.Context, user string) (Options, []byte, error) {
	u, stored, err := r.loadUser(ctx, user, "")
	if err != nil {
		return Options{}, nil, err
	}
	if len(stored) == 0 {
		return Options{}, nil, ErrNoCredentials.withf("user %q", user)
	}
	var opts []gowebauthn.LoginOption
	if appID := legacyAppID(stored); appID != "" {
		opts = append(opts, gowebauthn.WithAssertionExtensions(gowebauthn.WithExtensionAppID(appID)))
	}
	assertion, session, err := r.wa.BeginLogin(u, opts...)
	if err != nil {
		return Options{}, nil, fmt.Errorf("beginning sign-in: %w", err)
	}
	return r.begun(assertion.Response, "", r.newState(ceremonyLogin, user, session))
}

// FinishLogin verifies the browser's answer to the state BeginLogin returned
// for user, and records the use. See the package documentation for every check.
func (r *RP) FinishLogin(ctx context.Context, user string, rawState, credential []byte) (Assertion, error) {
	st, err := r.openState(ctx, rawState, ceremonyLogin, user)
	if err != nil {
		return Assertion{}, err
	}
	parsed, err := parseAssertion(st, credential)
	if err != nil {
		return Assertion{}, err
	}
	u, stored, err := r.loadUser(ctx, user, "")
	if err != nil {
		return Assertion{}, err
	}
	sc, ok := findCredential(stored, parsed.RawID)
	if !ok {
		return Assertion{}, ErrUnknownCredential.withf("credential is not one of %q's", user)
	}
	validate := func(u *libraryUser, s gowebauthn.SessionData) error {
		_, err := r.wa.ValidateLogin(u, s, parsed)
		return err
	}
	return r.verifyAssertion(ctx, user, u, sc, st, parsed, validate)
}

// BeginPasskeyLogin starts a username-less sign-in with a discoverable
// credential. With conditional set the options ask for mediation
// "conditional" (passkey autofill). ErrPasskeyLoginDisabled when
// webauthn.passkey_login is off.
func (r *RP) BeginPasskeyLogin(ctx context.Context, conditional bool) (Options, []byte, error) {
	if !r.PasskeyLogin() {
		return Options{}, nil, ErrPasskeyLoginDisabled
	}
	mediation := protocol.MediationDefault
	if conditional {
		mediation = protocol.MediationConditional
	}
	assertion, session, err := r.wa.BeginDiscoverableMediatedLogin(mediation)
	if err != nil {
		return Options{}, nil, fmt.Errorf("beginning passkey sign-in: %w", err)
	}
	return r.begun(assertion.Response, string(assertion.Mediation), r.newState(ceremonyPasskey, "", session))
}

// FinishPasskeyLogin verifies the answer to the state BeginPasskeyLogin
// returned and returns the user the credential's user handle names. The caller
// must still check that this user exists and is not disabled.
func (r *RP) FinishPasskeyLogin(ctx context.Context, rawState, credential []byte) (string, Assertion, error) {
	if !r.PasskeyLogin() {
		return "", Assertion{}, ErrPasskeyLoginDisabled
	}
	st, err := r.openState(ctx, rawState, ceremonyPasskey, "")
	if err != nil {
		return "", Assertion{}, err
	}
	parsed, err := parseAssertion(st, credential)
	if err != nil {
		return "", Assertion{}, err
	}
	user, err := r.userByHandle(ctx, parsed.Response.UserHandle)
	if err != nil {
		return "", Assertion{}, err
	}
	u, stored, err := r.loadUser(ctx, user, "")
	if err != nil {
		return "", Assertion{}, err
	}
	sc, ok := findCredential(stored, parsed.RawID)
	if !ok {
		return "", Assertion{}, ErrUnknownCredential.withf("credential is not one of %q's", user)
	}
	validate := func(u *libraryUser, s gowebauthn.SessionData) error {
		found := func(_, _ []byte) (gowebauthn.User, error) { return u, nil }
		_, _, err := r.wa.ValidatePasskeyLogin(found, s, parsed)
		return err
	}
	a, err := r.verifyAssertion(ctx, user, u, sc, st, parsed, validate)
	if err != nil {
		return "", Assertion{}, err
	}
	a.MultiFactor = a.UserVerified && enabled(r.cfg.PasskeyUVTwoFactor)
	return user, a, nil
}

// parseAssertion reads the browser's JSON and checks its challenge.
func parseAssertion(st state, credential []byte) (*protocol.ParsedCredentialAssertionData, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(credential)
	if err != nil {
		return nil, ErrMalformedCredential.with(libraryCause(err))
	}
	if err := checkChallenge(st, parsed.Response.CollectedClientData.Challenge); err != nil {
		return nil, err
	}
	return parsed, nil
}

// userByHandle finds the owner of a discoverable credential.
func (r *RP) userByHandle(ctx context.Context, handle []byte) (string, error) {
	if len(handle) == 0 {
		return "", ErrUnknownCredential.withf("assertion without a user handle")
	}
	user, err := r.creds.UserByHandle(ctx, handle)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrUnknownCredential.with(err)
	}
	return user, err
}

// verifyAssertion runs the library's verification (origin, RP ID hash,
// challenge, user presence, signature, allowed credentials, user handle) and
// then Keygate's own checks: clone flag, user verification, backup
// eligibility, sign counter. Only then is the use recorded. A flagged
// credential is refused only once its signature verified, so that no unsigned
// request learns which credentials are flagged or fills the audit trail.
func (r *RP) verifyAssertion(ctx context.Context, user string, u *libraryUser, sc store.Credential, st state,
	parsed *protocol.ParsedCredentialAssertionData, validate func(*libraryUser, gowebauthn.SessionData) error,
) (Assertion, error) {
	flags := parsed.Response.AuthenticatorData.Flags
	// The library compares the BE flag too, but with a generic error; make its
	// copy agree and compare below, after the signature is verified.
	for i := range u.creds {
		if string(u.creds[i].ID) == string(sc.ID) {
			u.creds[i].Flags.BackupEligible = flags.HasBackupEligible()
		}
	}
	if err := validate(u, relaxUV(st.Session)); err != nil {
		return Assertion{}, verifyError(err, http.StatusUnauthorized)
	}
	if sc.CloneWarning {
		return Assertion{}, ErrCloneWarning.withf("credential of %q is flagged", user)
	}
	if st.UserVerification == string(protocol.VerificationRequired) && !flags.HasUserVerified() {
		return Assertion{}, ErrUserVerificationRequired.withf("UV flag not set")
	}
	if flags.HasBackupEligible() != sc.BackupEligible {
		return Assertion{}, ErrBackupEligibleChanged.withf("BE flag %v, registered %v", flags.HasBackupEligible(), sc.BackupEligible)
	}
	count := parsed.Response.AuthenticatorData.Counter
	if (count != 0 || sc.SignCount != 0) && count <= sc.SignCount {
		return Assertion{}, r.cloneDetected(ctx, user, sc, count)
	}
	// The store checks the counter again in its write transaction: of two
	// sign-ins racing with the same counter, the second is refused here.
	err := r.creds.UpdateAfterLogin(ctx, user, sc.ID, count, flags.HasBackupState(), r.now())
	if errors.Is(err, store.ErrSignCount) {
		r.log.WarnContext(ctx, "sign counter did not rise at write time; credential flagged as possibly cloned",
			"user", user, "received_count", count)
		return Assertion{}, ErrCloneWarning.withf("counter %d not above the stored one at write time", count)
	}
	if err != nil {
		return Assertion{}, err
	}
	return Assertion{
		CredentialID: sc.ID,
		UserVerified: flags.HasUserVerified(),
		Attachment:   sc.Attachment,
		BackupState:  flags.HasBackupState(),
		// Equal to the flag just asserted: a change was refused above.
		BackupEligible: sc.BackupEligible,
		AAGUID:         aaguidString(sc.AAGUID),
	}, nil
}

// cloneDetected flags a credential whose counter did not rise and returns the refusal.
func (r *RP) cloneDetected(ctx context.Context, user string, sc store.Credential, count uint32) error {
	r.log.WarnContext(ctx, "sign counter went backwards; credential flagged as possibly cloned",
		"user", user, "stored_count", sc.SignCount, "received_count", count)
	if err := r.creds.MarkCloneWarning(ctx, user, sc.ID); err != nil {
		return fmt.Errorf("flagging cloned credential: %w", err)
	}
	return ErrCloneWarning.withf("counter %d after %d", count, sc.SignCount)
}
