package webauthn

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
	gowebauthn "github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/keygate/keygate/store"
)

// Options is what a Begin returns for the browser. It marshals to the API's
// answer: {"publicKey": ..., "mediation": ...}, where publicKey is the W3C JSON
// form (PublicKeyCredentialCreationOptionsJSON or RequestOptionsJSON) and
// mediation is "conditional" for passkey autofill, else absent.
type Options struct {
	PublicKey json.RawMessage `json:"publicKey"`
	Mediation string          `json:"mediation,omitempty"`
}

// BeginRegistration starts adding a credential for user. description, when not
// empty, is checked now (ErrInvalidDescription, ErrDescriptionTaken) and used
// by FinishRegistration unless that is given another. The options exclude the
// user's credentials and ask for credProps; attachment, resident key, user
// verification, attestation and timeout come from the config. The caller keeps
// the returned state server-side, bound to the user's session, for StateTTL.
func (r *RP) BeginRegistration(ctx context.Context, user User, description string) (Options, []byte, error) {
	u, stored, err := r.loadUser(ctx, user.Name, user.DisplayName)
	if err != nil {
		return Options{}, nil, err
	}
	if description, err = checkDescription(stored, description); err != nil {
		return Options{}, nil, err
	}
	opts := []gowebauthn.RegistrationOption{
		gowebauthn.WithExclusions(descriptors(u.creds)),
		gowebauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirement(r.cfg.ResidentKey)),
		gowebauthn.WithExtensions(gowebauthn.WithExtensionCredProps()),
	}
	if appID := legacyAppID(stored); appID != "" {
		opts = append(opts, gowebauthn.WithExtensions(gowebauthn.WithExtensionAppIDExclude(appID)))
	}
	creation, session, err := r.wa.BeginRegistration(u, opts...)
	if err != nil {
		return Options{}, nil, fmt.Errorf("beginning registration: %w", err)
	}
	st := r.newState(ceremonyRegistration, user.Name, session)
	st.Description = description
	return r.begun(creation.Response, "", st)
}

// FinishRegistration verifies the browser's answer (PublicKeyCredential.toJSON())
// to the state BeginRegistration returned for user, applies the registration
// policy (user verification, AAGUID permit/deny, backup eligibility, metadata
// status) and stores the credential in one write. description, when not empty,
// replaces the one given to BeginRegistration; when both are empty a name is
// made up ("Security key", "Passkey 2"...).
func (r *RP) FinishRegistration(ctx context.Context, user string, rawState, credential []byte, description string) (Summary, error) {
	return r.finishRegistration(ctx, user, rawState, credential, description, func(c store.Credential) error {
		return r.creds.AddCredential(ctx, user, c)
	})
}

// FinishFirstRegistration is FinishRegistration for a user who may only add a
// first credential: the store checks that the user has none in the write that
// adds it. When the user has one, the error wraps store.ErrHasCredential and
// nothing is stored.
func (r *RP) FinishFirstRegistration(ctx context.Context, user string, rawState, credential []byte, description string) (Summary, error) {
	return r.finishRegistration(ctx, user, rawState, credential, description, func(c store.Credential) error {
		return r.creds.AddFirstCredential(ctx, user, c)
	})
}

// FinishEnrollment is FinishRegistration for an invite: the credential is
// stored and the invite of token used up in one write, so that the invite is
// used exactly when a credential is registered with it. An unknown, expired,
// used or other user's invite gives an error that wraps store.ErrNoInvite, and
// nothing is stored.
func (r *RP) FinishEnrollment(ctx context.Context, user string, rawState, credential []byte, description, token string) (Summary, error) {
	return r.finishRegistration(ctx, user, rawState, credential, description, func(c store.Credential) error {
		return r.creds.EnrollCredential(ctx, user, c, token)
	})
}

// finishRegistration verifies the answer, applies the policy and hands the
// new credential to save.
func (r *RP) finishRegistration(ctx context.Context, user string, rawState, credential []byte, description string,
	save func(store.Credential) error,
) (Summary, error) {
	st, err := r.openState(ctx, rawState, ceremonyRegistration, user)
	if err != nil {
		return Summary{}, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credential)
	if err != nil {
		return Summary{}, ErrMalformedCredential.with(libraryCause(err))
	}
	if err := checkChallenge(st, parsed.Response.CollectedClientData.Challenge); err != nil {
		return Summary{}, err
	}
	u, stored, err := r.loadUser(ctx, user, "")
	if err != nil {
		return Summary{}, err
	}
	if _, ok := findCredential(stored, parsed.RawID); ok {
		return Summary{}, ErrCredentialExcluded.withf("credential already registered for %q", user)
	}
	if description == "" {
		description = st.Description
	}
	if description, err = checkDescription(stored, description); err != nil {
		return Summary{}, err
	}
	session := relaxUV(st.Session)
	lc, err := r.wa.CreateCredential(u, session, parsed)
	if err != nil {
		return Summary{}, verifyError(err, http.StatusUnprocessableEntity)
	}
	if err := r.checkRegistration(st, lc); err != nil {
		return Summary{}, err
	}
	c := r.newCredential(st, parsed, lc, stored, description)
	if err := save(c); err != nil {
		return Summary{}, storeError(err)
	}
	r.log.InfoContext(ctx, "credential registered", "user", user, "aaguid", aaguidString(c.AAGUID), "discoverable", c.Discoverable)
	return r.summary(c), nil
}

// checkRegistration applies Keygate's policy to a verified new credential.
func (r *RP) checkRegistration(st state, lc *gowebauthn.Credential) error {
	if st.UserVerification == string(protocol.VerificationRequired) && !lc.Flags.UserVerified {
		return ErrUserVerificationRequired.withStatus(http.StatusUnprocessableEntity).withf("UV flag not set at registration")
	}
	aaguid, err := uuid.FromBytes(lc.Authenticator.AAGUID)
	if err != nil {
		return ErrInvalidCredential.withStatus(http.StatusUnprocessableEntity).withf("AAGUID: %v", err)
	}
	if err := r.checkAAGUID(aaguid); err != nil {
		return err
	}
	if lc.Flags.BackupEligible && !enabled(r.cfg.AllowBackupEligible) {
		return ErrBackupEligibleRefused.withf("BE flag set, aaguid %s", aaguid)
	}
	if r.mds != nil {
		if err := r.mds.checkStatus(aaguid, r.now()); err != nil {
			return ErrAuthenticatorRefused.withf("metadata status of %s: %v", aaguid, err)
		}
	}
	return nil
}

// checkAAGUID applies aaguids.permit or aaguids.deny. Under a permit list an
// undisclosed (all-zero) AAGUID is refused unless the list names it.
func (r *RP) checkAAGUID(aaguid uuid.UUID) error {
	if len(r.permit) > 0 && !r.permit[aaguid] {
		return ErrAAGUIDDenied.withf("aaguid %s not in webauthn.aaguids.permit", aaguid)
	}
	if r.deny[aaguid] {
		return ErrAAGUIDDenied.withf("aaguid %s in webauthn.aaguids.deny", aaguid)
	}
	return nil
}

// newCredential assembles what the store keeps.
func (r *RP) newCredential(st state, parsed *protocol.ParsedCredentialCreationData, lc *gowebauthn.Credential, stored []store.Credential, description string) store.Credential {
	rk := parsed.ClientExtensionResults.CredProps
	c := store.Credential{
		ID:                lc.ID,
		AAGUID:            lc.Authenticator.AAGUID,
		Attachment:        string(parsed.AuthenticatorAttachment),
		Discoverable:      (rk != nil && rk.RK != nil && *rk.RK) || r.cfg.ResidentKey == string(protocol.ResidentKeyRequirementRequired),
		UserPresent:       lc.Flags.UserPresent,
		UserVerified:      lc.Flags.UserVerified,
		BackupEligible:    lc.Flags.BackupEligible,
		BackupState:       lc.Flags.BackupState,
		SignCount:         lc.Authenticator.SignCount,
		CreatedAt:         r.now(),
		PublicKey:         lc.PublicKey,
		AttestationType:   lc.AttestationType,
		AttestationFormat: lc.AttestationFormat,
		AttestationObject: lc.Attestation.Object,
		ClientDataJSON:    lc.Attestation.ClientDataJSON,
	}
	for _, t := range lc.Transport {
		c.Transports = append(c.Transports, string(t))
	}
	c.Description = description
	if c.Description == "" {
		c.Description = defaultDescription(stored, c.Discoverable)
	}
	return c
}

// checkDescription normalizes a non-empty description and checks that the
// user has no credential of that name.
func checkDescription(stored []store.Credential, description string) (string, error) {
	if description == "" {
		return "", nil
	}
	d, err := store.NormalizeDescription(description)
	if err != nil {
		return "", ErrInvalidDescription.with(err)
	}
	if descriptionTaken(stored, d) {
		return "", ErrDescriptionTaken.withf("description %q", d)
	}
	return d, nil
}

func descriptionTaken(stored []store.Credential, d string) bool {
	return slices.ContainsFunc(stored, func(c store.Credential) bool { return strings.EqualFold(c.Description, d) })
}

// defaultDescription names a credential registered without a description:
// "Passkey" or "Security key", numbered when the user has one of that name.
func defaultDescription(stored []store.Credential, discoverable bool) string {
	base := "Security key"
	if discoverable {
		base = "Passkey"
	}
	d := base
	for n := 2; descriptionTaken(stored, d); n++ {
		d = fmt.Sprintf("%s %d", base, n)
	}
	return d
}

// legacyAppID is the AppID of the user's imported U2F credentials, if any.
// One request carries one AppID; Keygate's U2F credentials share the portal's.
func legacyAppID(stored []store.Credential) string {
	for _, c := range stored {
		if c.AppID != "" {
			return c.AppID
		}
	}
	return ""
}

// begun encodes the options and the state for the caller.
func (r *RP) begun(publicKey any, mediation string, st state) (Options, []byte, error) {
	pk, err := json.Marshal(publicKey)
	if err != nil {
		return Options{}, nil, fmt.Errorf("encoding options: %w", err)
	}
	raw, err := st.encode()
	if err != nil {
		return Options{}, nil, fmt.Errorf("encoding state: %w", err)
	}
	return Options{PublicKey: pk, Mediation: mediation}, raw, nil
}
