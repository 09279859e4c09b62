package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Credential is one WebAuthn credential of one user, whole: what the credential
// summary shows and what verifying its assertions needs.
type Credential struct {
	// ID is the credential ID chosen by the authenticator.
	ID []byte `json:"id"`
	// Description is the user's name for it: 1-64 characters, unique per user.
	Description string `json:"description"`
	// AAGUID is the authenticator model (16 bytes; all zero when not disclosed).
	AAGUID []byte `json:"aaguid,omitempty"`
	// Attachment is "platform", "cross-platform" or "" when unknown.
	Attachment string `json:"attachment,omitempty"`
	// Transports are the hints the browser reported ("usb", "nfc", "internal"...).
	Transports []string `json:"transports,omitempty"`
	// Discoverable reports a resident key (a passkey that can name its user).
	Discoverable bool `json:"discoverable"`
	// UserPresent is the UP flag at registration.
	UserPresent bool `json:"user_present"`
	// UserVerified is the UV flag at registration.
	UserVerified bool `json:"user_verified"`
	// BackupEligible is the BE flag at registration; it never changes.
	BackupEligible bool `json:"backup_eligible"`
	// BackupState is the BS flag at the last use.
	BackupState bool `json:"backup_state"`
	// SignCount is the highest signature counter seen.
	SignCount uint32 `json:"sign_count"`
	// CloneWarning is set when a counter went backwards; the credential is
	// refused until an administrator clears it.
	CloneWarning bool `json:"clone_warning"`
	// CreatedAt is when it was registered.
	CreatedAt time.Time `json:"created_at"`
	// LastUsedAt is the last successful sign-in; zero when never used.
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	// PublicKey is the COSE public key (for a legacy U2F credential, the raw
	// uncompressed P-256 point).
	PublicKey []byte `json:"public_key"`
	// AttestationType is the attestation trust type ("none", "self", "basic"...).
	AttestationType string `json:"attestation_type,omitempty"`
	// AttestationFormat is the attestation statement format ("none", "packed"...).
	AttestationFormat string `json:"attestation_format,omitempty"`
	// AttestationObject is the raw attestation object from registration.
	AttestationObject []byte `json:"attestation_object,omitempty"`
	// ClientDataJSON is the raw client data from registration, kept so the
	// attestation can be verified again later.
	ClientDataJSON []byte `json:"client_data_json,omitempty"`
	// AppID is the FIDO U2F AppID of a credential imported from a U2F
	// registration; empty for WebAuthn credentials.
	AppID string `json:"appid,omitempty"`
}

// Credentials returns the user's credentials ordered by creation time (then
// ID); none is not an error.
func (s *Store) Credentials(ctx context.Context, user string) ([]Credential, error) {
	creds, err := s.b.credentials(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("loading credentials: %w", err)
	}
	return creds, nil
}

// Credential returns one credential of the user, or ErrNotFound.
func (s *Store) Credential(ctx context.Context, user string, id []byte) (Credential, error) {
	if len(id) == 0 {
		return Credential{}, fmt.Errorf("loading credential: %w", ErrNotFound)
	}
	c, err := s.b.credential(ctx, user, id)
	if err != nil {
		return Credential{}, fmt.Errorf("loading credential: %w", err)
	}
	return c, nil
}

// AddCredential stores c for user in one transaction. The description is
// normalized (see NormalizeDescription). It fails with ErrDuplicateID when the
// ID is registered for anyone, ErrDuplicateDescription when the user has the
// description already, and ErrInvalid for an empty ID, key or user; a failed
// add leaves the store unchanged. CreatedAt is set when zero.
func (s *Store) AddCredential(ctx context.Context, user string, c Credential) error {
	c, err := s.newCredential(user, c)
	if err != nil {
		return fmt.Errorf("adding credential: %w", err)
	}
	if err := s.b.addCredential(ctx, user, c); err != nil {
		return fmt.Errorf("adding credential: %w", err)
	}
	return nil
}

// ErrHasCredential is returned by AddFirstCredential when the user has a
// credential already.
var ErrHasCredential = errors.New("store: user has a credential")

// AddFirstCredential adds c as AddCredential does, but only when the user has
// no credential: the check and the add are one transaction, so of a first
// credential and another added at once, one fails with ErrHasCredential. It is
// how an identity check without a credential (a password and a mailbox)
// registers the first key of an account and never a further one.
func (s *Store) AddFirstCredential(ctx context.Context, user string, c Credential) error {
	c, err := s.newCredential(user, c)
	if err != nil {
		return fmt.Errorf("adding first credential: %w", err)
	}
	if err := s.b.addFirstCredential(ctx, user, c); err != nil {
		return fmt.Errorf("adding first credential: %w", err)
	}
	return nil
}

// EnrollCredential adds a credential as AddCredential does and uses up the
// invite of token, in one transaction: the invite is used exactly when the
// credential is stored. It returns ErrNoInvite, and changes nothing, unless
// the token names an unexpired, unused invite for user; of concurrent calls
// with one token at most one succeeds.
func (s *Store) EnrollCredential(ctx context.Context, user string, c Credential, token string) error {
	c, err := s.newCredential(user, c)
	if err != nil {
		return fmt.Errorf("enrolling credential: %w", err)
	}
	if token == "" {
		return fmt.Errorf("enrolling credential: %w", ErrNoInvite)
	}
	if err := s.b.enrollCredential(ctx, user, c, tokenKey(token), s.now()); err != nil {
		return fmt.Errorf("enrolling credential: %w", err)
	}
	return nil
}

// newCredential checks a credential about to be added and fills in its
// normalised description and, when unset, its creation time.
func (s *Store) newCredential(user string, c Credential) (Credential, error) {
	if err := checkUser(user); err != nil {
		return Credential{}, err
	}
	if len(c.ID) == 0 || len(c.PublicKey) == 0 {
		return Credential{}, fmt.Errorf("empty id or public key: %w", ErrInvalid)
	}
	d, err := NormalizeDescription(c.Description)
	if err != nil {
		return Credential{}, err
	}
	c.Description = d
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	return c, nil
}

// RenameCredential sets a new description, with the rules of AddCredential,
// and returns the updated credential.
func (s *Store) RenameCredential(ctx context.Context, user string, id []byte, description string) (Credential, error) {
	d, err := NormalizeDescription(description)
	if err != nil {
		return Credential{}, fmt.Errorf("renaming credential: %w", err)
	}
	if len(id) == 0 {
		return Credential{}, fmt.Errorf("renaming credential: %w", ErrNotFound)
	}
	c, err := s.b.renameCredential(ctx, user, id, d)
	if err != nil {
		return Credential{}, fmt.Errorf("renaming credential: %w", err)
	}
	return c, nil
}

// DeleteCredential removes one credential of the user, or fails with ErrNotFound.
func (s *Store) DeleteCredential(ctx context.Context, user string, id []byte) error {
	if len(id) == 0 {
		return fmt.Errorf("deleting credential: %w", ErrNotFound)
	}
	if err := s.b.deleteCredential(ctx, user, id); err != nil {
		return fmt.Errorf("deleting credential: %w", err)
	}
	return nil
}

// DeleteUserCredentials removes every credential of the user (a reset) and
// returns how many there were. The user handle is kept.
func (s *Store) DeleteUserCredentials(ctx context.Context, user string) (int, error) {
	n, err := s.b.deleteUserCredentials(ctx, user)
	if err != nil {
		return 0, fmt.Errorf("deleting credentials: %w", err)
	}
	return n, nil
}

// UpdateAfterLogin records a successful sign-in: the counter, the backup state
// and the time of use. The counter check is repeated inside the write
// transaction, so of two sign-ins racing with the same counter only one passes:
// unless both are zero, a counter that does not rise above the stored one flags
// the credential (clone_warning) and fails with ErrSignCount, recording nothing else.
func (s *Store) UpdateAfterLogin(ctx context.Context, user string, id []byte, signCount uint32, backupState bool, usedAt time.Time) error {
	if len(id) == 0 {
		return fmt.Errorf("recording sign-in: %w", ErrNotFound)
	}
	err := s.b.recordSignIn(ctx, user, id, signIn{count: signCount, backupState: backupState, usedAt: usedAt})
	if err != nil {
		return fmt.Errorf("recording sign-in: %w", err)
	}
	return nil
}

// MarkCloneWarning flags the credential as possibly cloned.
func (s *Store) MarkCloneWarning(ctx context.Context, user string, id []byte) error {
	return s.setCloneWarning(ctx, user, id, true)
}

// ClearCloneWarning removes the flag (an administrator's decision).
func (s *Store) ClearCloneWarning(ctx context.Context, user string, id []byte) error {
	return s.setCloneWarning(ctx, user, id, false)
}

func (s *Store) setCloneWarning(ctx context.Context, user string, id []byte, on bool) error {
	if len(id) == 0 {
		return fmt.Errorf("setting clone warning: %w", ErrNotFound)
	}
	if err := s.b.setCloneWarning(ctx, user, id, on); err != nil {
		return fmt.Errorf("setting clone warning: %w", err)
	}
	return nil
}
