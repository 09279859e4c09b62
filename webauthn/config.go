package webauthn

import "time"

// Config is the webauthn section of the config file.
type Config struct {
	// RPName is shown by authenticators. Empty means "Keygate".
	RPName string `koanf:"rp_name"`
	// RPID is the relying party ID. Empty means the primary cookie domain.
	RPID string `koanf:"rp_id"`
	// Timeout is how long a ceremony may take. Zero means 60s.
	Timeout time.Duration `koanf:"timeout"`
	// Attestation is none, indirect, direct or enterprise. Empty means none.
	Attestation string `koanf:"attestation"`
	// UserVerification is discouraged, preferred or required. Empty means preferred.
	UserVerification string `koanf:"user_verification"`
	// Attachment is "", platform or cross-platform. Empty means either.
	Attachment string `koanf:"attachment"`
	// ResidentKey is discouraged, preferred or required. Empty means preferred.
	ResidentKey string `koanf:"resident_key"`
	// PasskeyLogin enables passwordless sign-in with discoverable credentials. Nil means true.
	PasskeyLogin *bool `koanf:"passkey_login"`
	// PasskeyUVTwoFactor lets a passkey sign-in with user verification satisfy two_factor. Nil means true.
	PasskeyUVTwoFactor *bool `koanf:"passkey_uv_two_factor"`
	// AllowBackupEligible false refuses synced (backup-eligible) credentials at registration. Nil means true.
	AllowBackupEligible *bool `koanf:"allow_backup_eligible"`
	// AAGUIDs limits which authenticator models may register; at most one list is set.
	AAGUIDs AAGUIDConfig `koanf:"aaguids"`
	// Metadata points at an offline FIDO MDS3 blob. Empty means attestation is not checked against it.
	Metadata MetadataConfig `koanf:"metadata"`
	// Origins are the allowed origins (the portal URLs). Filled in by config from the session
	// cookies; not read from the file.
	Origins []string `koanf:"-"`
}

// AAGUIDConfig permits or denies authenticator models by AAGUID.
type AAGUIDConfig struct {
	// Permit lists the only models that may register. Empty means any model.
	Permit []string `koanf:"permit"`
	// Deny lists models that may not register. Empty means none is denied.
	Deny []string `koanf:"deny"`
}

// MetadataConfig locates the FIDO metadata blob.
type MetadataConfig struct {
	// File is the path of the MDS3 blob (a signed JWT). Empty means no metadata.
	File string `koanf:"file"`
}
