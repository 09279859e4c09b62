package webauthn

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	gowebauthn "github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/keygate/keygate/store"
)

// Summary is a credential as the API shows it to its owner.
type Summary struct {
	// ID is the credential ID, base64url without padding (the {id} of the API routes).
	ID          string `json:"id"`
	Description string `json:"description"`
	// AAGUID is the authenticator model as a UUID string.
	AAGUID string `json:"aaguid"`
	// Authenticator is the model's name when known, else "".
	Authenticator  string     `json:"authenticator"`
	Attachment     string     `json:"attachment"`
	Transports     []string   `json:"transports"`
	Discoverable   bool       `json:"discoverable"`
	BackupEligible bool       `json:"backup_eligible"`
	BackupState    bool       `json:"backup_state"`
	UserVerified   bool       `json:"user_verified"`
	SignCount      uint32     `json:"sign_count"`
	CloneWarning   bool       `json:"clone_warning"`
	CreatedAt      time.Time  `json:"created_at"`
	LastUsedAt     *time.Time `json:"last_used_at"` // null when never used
}

// Credentials returns summaries of the user's credentials, oldest first.
func (r *RP) Credentials(ctx context.Context, user string) ([]Summary, error) {
	creds, err := r.creds.Credentials(ctx, user)
	if err != nil {
		return nil, err
	}
	out := make([]Summary, 0, len(creds))
	for _, c := range creds {
		out = append(out, r.summary(c))
	}
	return out, nil
}

// RenameCredential gives the user's credential id (base64url, as in Summary.ID)
// a new description.
func (r *RP) RenameCredential(ctx context.Context, user, id, description string) (Summary, error) {
	raw, err := decodeID(id)
	if err != nil {
		return Summary{}, err
	}
	c, err := r.creds.RenameCredential(ctx, user, raw, description)
	if err != nil {
		return Summary{}, storeError(err)
	}
	return r.summary(c), nil
}

// DeleteCredential removes the user's credential id (base64url, as in Summary.ID).
func (r *RP) DeleteCredential(ctx context.Context, user, id string) error {
	raw, err := decodeID(id)
	if err != nil {
		return err
	}
	return storeError(r.creds.DeleteCredential(ctx, user, raw))
}

func decodeID(id string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(raw) == 0 {
		return nil, ErrCredentialNotFound.withf("credential id %q is not base64url", id)
	}
	return raw, nil
}

// storeError turns the store's refusals into the package's errors; other
// errors (the store failing) pass through.
func storeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNoInvite), errors.Is(err, store.ErrHasCredential):
		return err // the caller's to answer: who may add a credential is not this package's
	case errors.Is(err, store.ErrNotFound):
		return ErrCredentialNotFound.with(err)
	case errors.Is(err, store.ErrDuplicateID):
		return ErrCredentialExcluded.with(err)
	case errors.Is(err, store.ErrDuplicateDescription):
		return ErrDescriptionTaken.with(err)
	case errors.Is(err, store.ErrInvalid):
		return ErrInvalidDescription.with(err)
	}
	return err
}

func (r *RP) summary(c store.Credential) Summary {
	s := Summary{
		ID:             base64.RawURLEncoding.EncodeToString(c.ID),
		Description:    c.Description,
		AAGUID:         aaguidString(c.AAGUID),
		Authenticator:  r.authenticatorName(c.AAGUID),
		Attachment:     c.Attachment,
		Transports:     append([]string{}, c.Transports...),
		Discoverable:   c.Discoverable,
		BackupEligible: c.BackupEligible,
		BackupState:    c.BackupState,
		UserVerified:   c.UserVerified,
		SignCount:      c.SignCount,
		CloneWarning:   c.CloneWarning,
		CreatedAt:      c.CreatedAt,
	}
	if !c.LastUsedAt.IsZero() {
		t := c.LastUsedAt
		s.LastUsedAt = &t
	}
	return s
}

func aaguidString(b []byte) string {
	id, err := uuid.FromBytes(b)
	if err != nil {
		return uuid.Nil.String()
	}
	return id.String()
}

// libraryUser adapts a user and their stored credentials to the library.
type libraryUser struct {
	handle []byte
	name   string
	label  string
	creds  []gowebauthn.Credential
}

func (u *libraryUser) WebAuthnID() []byte                           { return u.handle }
func (u *libraryUser) WebAuthnName() string                         { return u.name }
func (u *libraryUser) WebAuthnDisplayName() string                  { return u.label }
func (u *libraryUser) WebAuthnCredentials() []gowebauthn.Credential { return u.creds }

// loadUser reads the user's handle and credentials.
func (r *RP) loadUser(ctx context.Context, name, displayName string) (*libraryUser, []store.Credential, error) {
	handle, err := r.creds.UserHandle(ctx, name)
	if err != nil {
		return nil, nil, fmt.Errorf("loading user handle: %w", err)
	}
	stored, err := r.creds.Credentials(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if displayName == "" {
		displayName = name
	}
	u := &libraryUser{handle: handle, name: name, label: displayName}
	for _, c := range stored {
		u.creds = append(u.creds, libraryCredential(c))
	}
	return u, stored, nil
}

// libraryCredential converts a stored credential for the library.
func libraryCredential(c store.Credential) gowebauthn.Credential {
	lc := gowebauthn.Credential{
		ID:                c.ID,
		PublicKey:         c.PublicKey,
		AttestationType:   c.AttestationType,
		AttestationFormat: c.AttestationFormat,
		Flags: gowebauthn.CredentialFlags{
			UserPresent:    c.UserPresent,
			UserVerified:   c.UserVerified,
			BackupEligible: c.BackupEligible,
			BackupState:    c.BackupState,
		},
		Authenticator: gowebauthn.Authenticator{
			AAGUID:     c.AAGUID,
			SignCount:  c.SignCount,
			Attachment: protocol.AuthenticatorAttachment(c.Attachment),
		},
	}
	for _, t := range c.Transports {
		lc.Transport = append(lc.Transport, protocol.AuthenticatorTransport(t))
	}
	if c.AppID != "" {
		// The library recognises legacy U2F credentials by this format.
		lc.AttestationFormat = string(protocol.AttestationFormatFIDOUniversalSecondFactor)
	}
	return lc
}

// descriptors lists credentials for allowCredentials or excludeCredentials.
func descriptors(creds []gowebauthn.Credential) []protocol.CredentialDescriptor {
	out := make([]protocol.CredentialDescriptor, 0, len(creds))
	for _, c := range creds {
		out = append(out, c.Descriptor())
	}
	return out
}

// findCredential returns the stored credential with id, if the user has it.
func findCredential(creds []store.Credential, id []byte) (store.Credential, bool) {
	for _, c := range creds {
		if string(c.ID) == string(id) {
			return c, true
		}
	}
	return store.Credential{}, false
}
