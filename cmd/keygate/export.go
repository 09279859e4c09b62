package main

import (
	"bytes"
	"crypto/ecdh"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/keygate/keygate/store"
)

// A WebAuthn export in the common YAML form holds one list of credentials,
// each naming its user: webauthn_credentials in newer exports,
// webauthn_devices in older ones (a file may hold both). Binary values are
// standard base64, the AAGUID is a UUID string, times are RFC 3339. Credentials
// whose attestation type or format is fido-u2f and whose rpid is empty or a URL
// were registered through the FIDO U2F API: rpid is then their AppID, and their
// public key is a raw P-256 point.

// Export list names.
const (
	exportListNew = "webauthn_credentials"
	exportListOld = "webauthn_devices"
)

// attestationFormatU2F is the attestation format of FIDO U2F authenticators.
const attestationFormatU2F = "fido-u2f"

// maxCredentialIDLength is the longest credential ID WebAuthn allows.
const maxCredentialIDLength = 1023

// exportEntry is one credential of an export, as written.
type exportEntry struct {
	ID                int        `yaml:"id"` // a row number of the exporting system; ignored
	CreatedAt         time.Time  `yaml:"created_at"`
	LastUsedAt        *time.Time `yaml:"last_used_at"`
	RPID              string     `yaml:"rpid"`
	Username          string     `yaml:"username"`
	Description       string     `yaml:"description"`
	KID               string     `yaml:"kid"`
	AAGUID            *string    `yaml:"aaguid"`
	AttestationType   string     `yaml:"attestation_type"`
	AttestationFormat string     `yaml:"attestation_format"`
	Attachment        string     `yaml:"attachment"`
	Transports        []string   `yaml:"transports"`
	SignCount         uint32     `yaml:"sign_count"`
	CloneWarning      bool       `yaml:"clone_warning"`
	Legacy            bool       `yaml:"legacy"` // "may need to be registered again"; ignored
	Discoverable      bool       `yaml:"discoverable"`
	Present           bool       `yaml:"present"`
	Verified          bool       `yaml:"verified"`
	BackupEligible    bool       `yaml:"backup_eligible"`
	BackupState       bool       `yaml:"backup_state"`
	PublicKey         string     `yaml:"public_key"`
	Attestation       string     `yaml:"attestation"`
}

// exportKeys are the keys an entry may have; any other is an error.
var exportKeys = map[string]bool{
	"id": true, "created_at": true, "last_used_at": true, "rpid": true, "username": true,
	"description": true, "kid": true, "aaguid": true, "attestation_type": true,
	"attestation_format": true, "attachment": true, "transports": true, "sign_count": true,
	"clone_warning": true, "legacy": true, "discoverable": true, "present": true,
	"verified": true, "backup_eligible": true, "backup_state": true, "public_key": true,
	"attestation": true,
}

// attestationFormats are the attestation statement formats. Older exports
// wrote the format under attestation_type.
var attestationFormats = map[string]bool{
	"packed": true, "tpm": true, "android-key": true, "android-safetynet": true,
	attestationFormatU2F: true, "apple": true, "none": true, "compound": true,
}

// importItem is one credential of an export, checked and ready for the store.
type importItem struct {
	User       string           `json:"user"`
	Credential store.Credential `json:"credential"`
}

// importEntry is an importItem with what the summary says about it.
type importEntry struct {
	item importItem
	// note describes a legacy U2F key: its AppID and where that came from.
	note string
	// skip says why the credential is not imported; empty when it is.
	skip string
}

// importTarget is what checking an export needs to know of this Keygate.
type importTarget struct {
	// rpID is webauthn.rp_id: WebAuthn credentials registered for another
	// RP ID cannot sign in here and are skipped.
	rpID string
	// portalOrigin is the primary portal's origin, the AppID of U2F keys whose
	// export recorded none (the exporting system used its portal's origin).
	portalOrigin string
}

// parseExport reads a whole export and checks every entry. Any error refuses
// the file: it returns every problem found, each naming its line.
func parseExport(data []byte, t importTarget) ([]importEntry, error) {
	root, err := exportRoot(data)
	if err != nil {
		return nil, err
	}
	var entries []importEntry
	var errs []error
	found := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], resolveAlias(root.Content[i+1])
		if k.Value != exportListNew && k.Value != exportListOld {
			errs = append(errs, fmt.Errorf("line %d: unknown key %q (want %s or %s)", k.Line, k.Value, exportListNew, exportListOld))
			continue
		}
		found = true
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue
		}
		if v.Kind != yaml.SequenceNode {
			errs = append(errs, fmt.Errorf("line %d: %s is not a list", v.Line, k.Value))
			continue
		}
		for j, n := range v.Content {
			e, problems := parseEntry(resolveAlias(n), fmt.Sprintf("%s[%d]", k.Value, j), t)
			entries = append(entries, e)
			errs = append(errs, problems...)
		}
	}
	if !found && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("no %s or %s list: not a WebAuthn export", exportListNew, exportListOld))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return entries, nil
}

// exportRoot parses data as one YAML document whose root is a mapping.
func exportRoot(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil || len(doc.Content) == 0 {
		if err == nil || errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty: not a WebAuthn export")
		}
		return nil, err
	}
	if err := dec.Decode(new(yaml.Node)); !errors.Is(err, io.EOF) {
		return nil, errors.New("the file holds more than one YAML document")
	}
	root := resolveAlias(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the file is not a mapping: not a WebAuthn export", root.Line)
	}
	return root, nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// parseEntry decodes and checks one entry; at names it in messages.
func parseEntry(n *yaml.Node, at string, t importTarget) (importEntry, []error) {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("line %d: %s: %s", n.Line, at, fmt.Sprintf(format, args...)))
	}
	if n.Kind != yaml.MappingNode {
		fail("not a mapping")
		return importEntry{}, errs
	}
	var unknown []error
	for i := 0; i < len(n.Content); i += 2 {
		if k := n.Content[i]; !exportKeys[k.Value] {
			unknown = append(unknown, fmt.Errorf("line %d: %s: unknown key %q", k.Line, at, k.Value))
		}
	}
	var e exportEntry
	if err := n.Decode(&e); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			fail("%v", err)
			return importEntry{}, append(errs, unknown...)
		}
		for _, msg := range te.Errors {
			line, rest, _ := strings.Cut(msg, ": ")
			errs = append(errs, fmt.Errorf("%s: %s: %s", line, at, rest))
		}
		return importEntry{}, append(errs, unknown...)
	}
	if e.Username != "" {
		at += fmt.Sprintf(" (user %q)", e.Username)
	}
	entry, problems := e.check(t)
	for _, p := range problems {
		fail("%s", p)
	}
	return entry, append(errs, unknown...)
}

// check turns a decoded entry into the credential to store, or says what is
// wrong with it.
func (e exportEntry) check(t importTarget) (importEntry, []string) {
	c, problems := e.credential()
	appID, note, err := u2fAppID(c.AttestationFormat, e.RPID, c.PublicKey, t.portalOrigin)
	if err != nil {
		problems = append(problems, err.Error())
	}
	c.AppID = appID
	var skip string
	if appID == "" && e.RPID != "" && !strings.EqualFold(e.RPID, t.rpID) {
		skip = fmt.Sprintf("registered for RP ID %q, and this portal's is %q (webauthn.rp_id)", e.RPID, t.rpID)
	}
	return importEntry{item: importItem{User: e.Username, Credential: c}, note: note, skip: skip}, problems
}

// credential decodes the entry's values, all but the AppID.
func (e exportEntry) credential() (store.Credential, []string) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if e.Username == "" {
		bad("username is empty")
	}
	c := store.Credential{
		Attachment: e.Attachment, Transports: nonEmpty(e.Transports), Discoverable: e.Discoverable,
		// Every registration had user presence; records migrated from U2F leave
		// the flag unset.
		UserPresent: true, UserVerified: e.Verified,
		BackupEligible: e.BackupEligible, BackupState: e.BackupState,
		SignCount: e.SignCount, CloneWarning: e.CloneWarning, CreatedAt: e.CreatedAt,
		AttestationType: e.AttestationType, AttestationFormat: e.AttestationFormat,
	}
	if e.LastUsedAt != nil {
		c.LastUsedAt = *e.LastUsedAt
	}
	if c.AttestationFormat == "" && attestationFormats[c.AttestationType] {
		c.AttestationType, c.AttestationFormat = "", c.AttestationType
	}
	var err error
	if c.ID, err = decodeBase64(e.KID); err != nil {
		bad("kid: %v", err)
	} else if len(c.ID) > maxCredentialIDLength {
		bad("kid: %d bytes, more than the %d a credential ID may have", len(c.ID), maxCredentialIDLength)
	}
	if c.PublicKey, err = decodeBase64(e.PublicKey); err != nil {
		bad("public_key: %v", err)
	}
	if c.Description, err = store.NormalizeDescription(e.Description); err != nil {
		bad("description %q: %v", e.Description, err)
	}
	if c.AAGUID, err = parseAAGUID(e.AAGUID); err != nil {
		bad("aaguid: %v", err)
	}
	if c.AttestationObject, c.ClientDataJSON, err = decodeAttestation(e.Attestation); err != nil {
		bad("attestation: %v", err)
	}
	if e.Attachment != "" && e.Attachment != "platform" && e.Attachment != "cross-platform" {
		bad("attachment %q is not platform or cross-platform", e.Attachment)
	}
	return c, problems
}

// u2fAppID returns the AppID of a key registered through the FIDO U2F API,
// with a note saying where it came from, or "" for a WebAuthn credential
// (including one with U2F attestation, whose rpid is a plain RP ID).
func u2fAppID(format, rpid string, key []byte, portalOrigin string) (string, string, error) {
	if format != attestationFormatU2F {
		return "", "", nil
	}
	var appID, note string
	switch {
	case strings.Contains(rpid, "://"):
		u, err := url.Parse(rpid)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return "", "", fmt.Errorf("rpid %q of a U2F key is not an http(s) AppID URL", rpid)
		}
		appID, note = rpid, "recorded in the export"
	case rpid == "" && isRawP256(key):
		appID, note = portalOrigin, "the primary portal's origin, as the export recorded none"
	default:
		return "", "", nil
	}
	if !isRawP256(key) {
		return "", "", errors.New("public_key of a U2F key is not an uncompressed P-256 point")
	}
	return appID, fmt.Sprintf("legacy U2F key; AppID %s, %s", appID, note), nil
}

func isRawP256(key []byte) bool {
	_, err := ecdh.P256().NewPublicKey(key)
	return err == nil
}

// decodeBase64 decodes standard base64 with padding, refusing anything else,
// and refuses an empty value.
func decodeBase64(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty")
	}
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("not standard base64: holds a line break")
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not standard base64: %w", err)
	}
	return b, nil
}

// parseAAGUID parses the 8-4-4-4-12 UUID form; absent or empty means all zero.
func parseAAGUID(s *string) ([]byte, error) {
	if s == nil || *s == "" {
		return make([]byte, 16), nil
	}
	v := *s
	if len(v) != 36 || v[8] != '-' || v[13] != '-' || v[18] != '-' || v[23] != '-' {
		return nil, fmt.Errorf("%q is not a UUID", v)
	}
	b, err := hex.DecodeString(strings.ReplaceAll(v, "-", ""))
	if err != nil || len(b) != 16 {
		return nil, fmt.Errorf("%q is not a UUID", v)
	}
	return b, nil
}

// decodeAttestation returns the raw attestation object and client data from
// the attestation field: base64 of a JSON record of the registration.
func decodeAttestation(s string) (object, clientData []byte, err error) {
	if s == "" {
		return nil, nil, nil
	}
	raw, err := decodeBase64(s)
	if err != nil {
		return nil, nil, err
	}
	var rec struct {
		ClientDataJSON []byte `json:"clientDataJSON"`
		Object         []byte `json:"object"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, nil, fmt.Errorf("not a JSON attestation record: %w", err)
	}
	return rec.Object, rec.ClientDataJSON, nil
}

func nonEmpty(values []string) []string {
	var out []string
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
