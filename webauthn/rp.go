package webauthn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-webauthn/webauthn/metadata"
	"github.com/go-webauthn/webauthn/protocol"
	gowebauthn "github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/keygate/keygate/store"
)

// credentialStore is where the relying party keeps credentials and user
// handles: *store.Store, on the bbolt file or on PostgreSQL shared by replicas.
type credentialStore interface {
	UserHandle(ctx context.Context, user string) ([]byte, error)
	UserByHandle(ctx context.Context, handle []byte) (string, error)
	Credentials(ctx context.Context, user string) ([]store.Credential, error)
	AddCredential(ctx context.Context, user string, c store.Credential) error
	AddFirstCredential(ctx context.Context, user string, c store.Credential) error
	EnrollCredential(ctx context.Context, user string, c store.Credential, token string) error
	RenameCredential(ctx context.Context, user string, id []byte, description string) (store.Credential, error)
	DeleteCredential(ctx context.Context, user string, id []byte) error
	UpdateAfterLogin(ctx context.Context, user string, id []byte, signCount uint32, backupState bool, usedAt time.Time) error
	MarkCloneWarning(ctx context.Context, user string, id []byte) error
}

var _ credentialStore = (*store.Store)(nil)

// User is the account a registration is for, as the users file describes it.
type User struct {
	// Name is the username; authenticators show it and it keys the store.
	Name string
	// DisplayName is shown by authenticators; empty means Name.
	DisplayName string
}

// RP is Keygate's WebAuthn relying party: it runs the ceremonies and checks
// every response. It is safe for concurrent use.
type RP struct {
	cfg      Config
	wa       *gowebauthn.WebAuthn
	creds    credentialStore
	log      *slog.Logger
	mds      *mdsIndex // nil without metadata.file
	permit   map[uuid.UUID]bool
	deny     map[uuid.UUID]bool
	spent    *spentSet
	guard    ReplayGuard // nil: spent, in memory
	now      func() time.Time
	stateTTL time.Duration
}

// New validates cfg, applies its defaults and returns the relying party.
// cfg.RPID and cfg.Origins must be set (config fills them from the session
// section). With cfg.Metadata.File set, the FIDO metadata blob is loaded and
// verified now; New fails when it cannot be.
func New(cfg Config, creds credentialStore, logger *slog.Logger) (*RP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.RPID == "" || len(cfg.Origins) == 0 {
		return nil, errors.New("webauthn: rp_id and origins must be set")
	}
	if creds == nil || logger == nil {
		return nil, errors.New("webauthn: nil credential store or logger")
	}
	cfg = cfg.withDefaults()
	r := &RP{
		cfg:    cfg,
		creds:  creds,
		log:    logger.With("component", "webauthn"),
		permit: uuidSet(cfg.AAGUIDs.Permit),
		deny:   uuidSet(cfg.AAGUIDs.Deny),
		spent:  newSpentSet(),
		now:    time.Now,
		// State outlives the ceremony's timeout a little, so that a late answer
		// is refused as expired by Finish rather than as missing by the caller.
		stateTTL: cfg.Timeout + time.Minute,
	}
	var provider metadata.Provider
	if cfg.Metadata.File != "" {
		idx, err := loadMetadata(cfg.Metadata.File, r.now())
		if err != nil {
			return nil, fmt.Errorf("webauthn.metadata.file: %w", err)
		}
		r.mds, provider = idx, idx.provider
		if idx.nextUpdate.Before(r.now()) {
			r.log.Warn("the metadata blob is past its nextUpdate date; download a fresh one",
				"file", cfg.Metadata.File, "next_update", idx.nextUpdate.Format(time.DateOnly))
		}
	}
	wa, err := newLibrary(cfg, provider)
	if err != nil {
		return nil, err
	}
	r.wa = wa
	return r, nil
}

// newLibrary maps Keygate's config onto the library's; provider may be nil.
func newLibrary(cfg Config, provider metadata.Provider) (*gowebauthn.WebAuthn, error) {
	timeout := gowebauthn.TimeoutConfig{Enforce: true, Timeout: cfg.Timeout, TimeoutUVD: cfg.Timeout}
	wa, err := gowebauthn.New(&gowebauthn.Config{
		RPID:                  cfg.RPID,
		RPDisplayName:         cfg.RPName,
		RPOrigins:             cfg.Origins,
		AttestationPreference: protocol.ConveyancePreference(cfg.Attestation),
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			AuthenticatorAttachment: protocol.AuthenticatorAttachment(cfg.Attachment),
			ResidentKey:             protocol.ResidentKeyRequirement(cfg.ResidentKey),
			RequireResidentKey:      requireResidentKey(cfg.ResidentKey),
			UserVerification:        protocol.UserVerificationRequirement(cfg.UserVerification),
		},
		Timeouts: gowebauthn.TimeoutsConfig{Login: timeout, Registration: timeout},
		MDS:      provider,
		// Clients and password managers add outputs nobody asked for; they
		// carry nothing Keygate relies on.
		ExtensionsUnsolicitedOutputPolicy: protocol.UnsolicitedOutputPolicyIgnore,
	})
	if err != nil {
		return nil, fmt.Errorf("webauthn: %w", err)
	}
	return wa, nil
}

// StateTTL is how long the caller should keep ceremony state (PutState).
func (r *RP) StateTTL() time.Duration { return r.stateTTL }

// PasskeyLogin reports whether passkey sign-in is enabled.
func (r *RP) PasskeyLogin() bool { return enabled(r.cfg.PasskeyLogin) }

// requireResidentKey is the legacy requireResidentKey member matching residentKey.
func requireResidentKey(rk string) *bool {
	if rk == string(protocol.ResidentKeyRequirementRequired) {
		return protocol.ResidentKeyRequired()
	}
	return protocol.ResidentKeyNotRequired()
}

func uuidSet(values []string) map[uuid.UUID]bool {
	set := make(map[uuid.UUID]bool, len(values))
	for _, v := range values {
		set[uuid.MustParse(v)] = true // Validate has parsed them
	}
	return set
}
