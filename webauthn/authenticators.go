package webauthn

import "github.com/google/uuid"

// knownAuthenticators names a few common authenticator models by AAGUID, for
// the credential list when no metadata blob is configured. Synced passkey
// providers publish their AAGUIDs; hardware keys' come from their makers.
var knownAuthenticators = map[uuid.UUID]string{
	uuid.MustParse("ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"): "Google Password Manager",
	uuid.MustParse("adce0002-35bc-c60a-648b-0b25f1f05503"): "Chrome on Mac",
	uuid.MustParse("fbfc3007-154e-4ecc-8c0b-6e020557d7bd"): "iCloud Keychain",
	uuid.MustParse("08987058-cadc-4b81-b6e1-30de50dcbe96"): "Windows Hello",
	uuid.MustParse("9ddd1817-af5a-4672-a2b9-3e3dd95000a9"): "Windows Hello",
	uuid.MustParse("6028b017-b1d4-4c02-b4b3-afcdafc96bb2"): "Windows Hello",
	uuid.MustParse("bada5566-a7aa-401f-bd96-45619a55120d"): "1Password",
	uuid.MustParse("d548826e-79b4-db40-a3d8-11116f7e8349"): "Bitwarden",
	uuid.MustParse("ee882879-721c-4913-9775-3dfcce97072a"): "YubiKey 5 Series",
	uuid.MustParse("2fc0579f-8113-47ea-b116-bb5a8db9202a"): "YubiKey 5 Series with NFC",
}

// authenticatorName returns the model's name: from the metadata blob when one
// is configured and lists it, else from the built-in table, else "".
func (r *RP) authenticatorName(aaguid []byte) string {
	id, err := uuid.FromBytes(aaguid)
	if err != nil || id == uuid.Nil {
		return ""
	}
	if r.mds != nil {
		if name := r.mds.name(id); name != "" {
			return name
		}
	}
	return knownAuthenticators[id]
}
