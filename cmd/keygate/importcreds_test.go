package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/keygate/keygate/config"
	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/store"
	"github.com/keygate/keygate/webauthn"
)

const exportFixture = "testdata/webauthn-export.yml"

// attestationFixture is the attestation record of bob's phone in the fixture.
const attestationFixture = "eyJjbGllbnREYXRhSlNPTiI6ICJleUowZVhCbElqb2lkMlZpWVhWMGFHNHVZM0psWVhSbElpd2lZMmhoYkd4bGJtZGxJam9pUVVGQlFTSXNJbTl5YVdkcGJpSTZJbWgwZEhCek9pOHZZWFYwYUM1bGVHRnRjR3hsTG1OdmJTSjkiLCAiY2xpZW50RGF0YUhhc2giOiAiIiwgImF1dGhlbnRpY2F0b3JEYXRhIjogIiIsICJwdWJsaWNLZXlBbGdvcml0aG0iOiAtNywgIm9iamVjdCI6ICJvMk5tYlhSa2JtOXVaUT09In0="

// importEnv is a configuration for portal https://auth.example.com (RP ID
// example.com), a users file with alice, bob and dave (not carol), and a store
// holding bob's YubiKey, whose ID the fixture repeats.
type importEnv struct {
	cfgPath string
	cfg     *config.Config
}

// seededYubiKey is bob's credential registered before the import.
var seededYubiKey = store.Credential{
	ID:          b64(`4FkjdrUXfZTYe4Mf3BgPCrF9OTMd91S/8pTjNWQZxY4TdEbMF5L2vNc8R52wnysPVCgxPmMWpGmqI4QWgqht7g==`),
	Description: "YubiKey", PublicKey: []byte("registered here"), UserPresent: true,
	CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
}

func newImportEnv(t *testing.T) importEnv {
	t.Helper()
	dir := t.TempDir()
	users := filepath.Join(dir, "users.yml")
	writeFile(t, users, "users:\n  alice: {display_name: Alice}\n  bob: {display_name: Bob}\n  dave: {display_name: Dave}\n")
	cfgPath := filepath.Join(dir, "keygate.yml")
	writeFile(t, cfgPath, fmt.Sprintf(`storage: {path: %q}
users: {file: %q}
session: {domain: example.com, portal_url: "https://auth.example.com"}
notifier: {file: %q}
access_control: {default_policy: one_factor}
`, filepath.Join(dir, "data", "keygate.db"), users, filepath.Join(dir, "notes.log")))
	cfg, err := loadConfig(cfgPath, io.Discard)
	if err != nil {
		t.Fatalf("loading the test config: %v", err)
	}
	env := importEnv{cfgPath: cfgPath, cfg: cfg}
	st, closeStore := env.openStore(t)
	defer closeStore()
	if err := st.AddCredential(context.Background(), "bob", seededYubiKey); err != nil {
		t.Fatal(err)
	}
	return env
}

func (e importEnv) openStore(t *testing.T) (*store.Store, func()) {
	t.Helper()
	st, err := store.Open(context.Background(), e.cfg.Storage, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return st, func() { st.Close() }
}

// contents is every credential of every user the fixture names.
func contents(t *testing.T, st *store.Store) map[string][]store.Credential {
	t.Helper()
	out := map[string][]store.Credential{}
	for _, user := range []string{"alice", "bob", "carol", "dave"} {
		creds, err := st.Credentials(context.Background(), user)
		if err != nil {
			t.Fatal(err)
		}
		if len(creds) > 0 {
			out[user] = creds
		}
	}
	return out
}

func (e importEnv) importFile(file string) (string, error) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"import-credentials", file, "--config", e.cfgPath}, nil, &stdout, &stderr)
	return stdout.String(), err
}

const wantSummary = `imported alice "Laptop" (security key)
imported alice "Old key" (legacy U2F key; AppID https://auth.example.com, the primary portal's origin, as the export recorded none)
imported dave "Travel key" (legacy U2F key; AppID https://login.example.com, recorded in the export)
imported bob "Phone" (passkey)
skipped  bob "YubiKey": already registered for bob
skipped  carol "Key": carol is not in the users file
skipped  alice "Work key": registered for RP ID "other.example.org", and this portal's is "example.com" (webauthn.rp_id)
imported 4, skipped 3
note: the 1 imported passkey(s) keep the user handle of the system that registered them,
which an export does not carry: sign-in without a username cannot find their user.
`

// wantImported is the store after importing the fixture.
func wantImported() map[string][]store.Credential {
	zero := make([]byte, 16)
	return map[string][]store.Credential{
		"alice": {{
			ID:          b64(`vM4mxUCrS3avdvQPPl5HGu817P0W0wPpYD+VL3rEI+gbmlkOj7XjTWNXtcyO76qkBmmQkP8zPqsHjlfMvOfObQ==`),
			Description: "Old key", AAGUID: zero, UserPresent: true, SignCount: 412,
			CreatedAt:         time.Date(2020, 11, 20, 8, 15, 0, 0, time.UTC),
			PublicKey:         b64(`BGLhhbrTUzHymVfZBOr7OVmq51LEtJ6LEmSpTnt4pGBm2Z9NBiuN8k1lrPxqnNey2EOM0u1SVwxztmN01yMjNnc=`),
			AttestationFormat: "fido-u2f", AppID: "https://auth.example.com",
		}, {
			ID:          b64(`4HvaesJkph2M17rCjzt9KJUSVIYfC0/orr5MrTKSRQoL1gTRhF/Apo3IX/YLnt91eXtefiruChNM8jP5LwgKaw==`),
			Description: "Laptop", AAGUID: unhex("08987058cadc4b81b6e130de50dcbe96"), Attachment: "platform",
			Transports: []string{"internal"}, UserPresent: true, UserVerified: true, SignCount: 17,
			CreatedAt:  time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC),
			LastUsedAt: time.Date(2025, 1, 15, 8, 30, 0, 5e8, time.UTC),
			PublicKey:  []byte("cose-es256-laptop"), AttestationFormat: "packed",
		}},
		"bob": {{
			ID:          b64(`do80+lO3JYNyj1DViQ5tqEbpJtM2PFsESGExJKODPG/wC89rNjeqM2ClWmjfgwLV9TIZiasgOsZsF3LaDDGYTg==`),
			Description: "Phone", AAGUID: unhex("ea9b8d664d011d213ce4b6b48cb575d4"), Attachment: "cross-platform",
			Transports: []string{"hybrid", "internal"}, Discoverable: true, UserPresent: true, UserVerified: true,
			BackupEligible: true, BackupState: true, CreatedAt: time.Date(2025, 5, 5, 12, 0, 0, 0, time.UTC),
			PublicKey: []byte("cose-es256-phone"), AttestationType: "none", AttestationFormat: "none",
			AttestationObject: []byte("\xa3cfmtdnone"),
			ClientDataJSON:    []byte(`{"type":"webauthn.create","challenge":"AAAA","origin":"https://auth.example.com"}`),
		}, seededYubiKey},
		"dave": {{
			ID:          b64(`xlylSNFc1FFayFXPHs7TiycKBURucu5R9p5PhfTVbCrEteR//LVTC3nAqn5M9M7igvKI8u6m1QYGmpWBLKFo7Q==`),
			Description: "Travel key", AAGUID: zero, Attachment: "cross-platform", Transports: []string{"usb"},
			UserPresent: true, SignCount: 99, CloneWarning: true,
			CreatedAt:         time.Date(2021, 2, 2, 2, 2, 2, 0, time.UTC),
			LastUsedAt:        time.Date(2023, 7, 7, 7, 7, 7, 0, time.UTC),
			PublicKey:         b64(`BCspE1TNxnY1OICVKJw0pVmSzEAxBIDdDAyx3WjJyJFMs6qoHyW25h7X+3E8Ak0ncQ7O36OGuuyIR5xelrUZpPI=`),
			AttestationFormat: "fido-u2f", AppID: "https://login.example.com",
		}},
	}
}

// TestImportCredentialsThroughDaemon imports while the store is held open, as
// by a running daemon: the command goes through the admin socket.
func TestImportCredentialsThroughDaemon(t *testing.T) {
	env := newImportEnv(t)
	st, closeStore := env.openStore(t)
	defer closeStore()
	users, err := directory.New(env.cfg.Users, nil)
	if err != nil {
		t.Fatal(err)
	}
	portal, _ := url.Parse("https://auth.example.com")
	stop, err := serveAdmin(context.Background(), adminSocketPath(env.cfg), &localAdmin{store: st, users: users, portal: portal},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	got, err := env.importFile(exportFixture)
	if err != nil {
		t.Fatalf("import-credentials: %v", err)
	}
	if diff := cmp.Diff(wantSummary, got); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantImported(), contents(t, st)); diff != "" {
		t.Errorf("store after import (-want +got):\n%s", diff)
	}
	events, err := st.AuditEvents(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 4 || events[0].Action != "credential_imported" {
		t.Errorf("audit trail: got %+v, want 4 credential_imported events", events)
	}

	t.Run("2FA options carry the AppID", func(t *testing.T) {
		rp, err := webauthn.New(env.cfg.WebAuthn, st, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		for user, want := range map[string]any{"alice": "https://auth.example.com", "dave": "https://login.example.com", "bob": nil} {
			opts, _, err := rp.BeginLogin(context.Background(), user)
			if err != nil {
				t.Fatalf("BeginLogin(%s): %v", user, err)
			}
			var o struct{ Extensions map[string]any }
			if err := json.Unmarshal(opts.PublicKey, &o); err != nil {
				t.Fatal(err)
			}
			if got := o.Extensions["appid"]; got != want {
				t.Errorf("BeginLogin(%s): got appid extension %v, want %v", user, got, want)
			}
		}
	})
}

// TestImportCredentialsWithoutDaemon imports into the bbolt file directly, and
// again: the second run finds every credential there and changes nothing.
func TestImportCredentialsWithoutDaemon(t *testing.T) {
	env := newImportEnv(t)
	got, err := env.importFile(exportFixture)
	if err != nil {
		t.Fatalf("import-credentials: %v", err)
	}
	if diff := cmp.Diff(wantSummary, got); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	got, err = env.importFile(exportFixture)
	if err != nil {
		t.Fatalf("import-credentials again: %v", err)
	}
	for _, want := range []string{
		`skipped  alice "Laptop": already registered for alice`,
		`skipped  dave "Travel key": already registered for dave`,
		"imported 0, skipped 7\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("second import lacks %q; got:\n%s", want, got)
		}
	}
	st, closeStore := env.openStore(t)
	defer closeStore()
	if diff := cmp.Diff(wantImported(), contents(t, st)); diff != "" {
		t.Errorf("store after two imports (-want +got):\n%s", diff)
	}
}

// TestImportRefusesMalformedFile checks that one bad entry refuses the whole
// file and leaves the store as it was.
func TestImportRefusesMalformedFile(t *testing.T) {
	fixture, err := os.ReadFile(exportFixture)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, old, new, want string
	}{
		{"kid without padding", "kid: d29yay1rZXktaWQ=", "kid: d29yay1rZXktaWQ",
			`webauthn_credentials[6] (user "alice"): kid: not standard base64`},
		{"base64url public key", "public_key: Y29zZS1lczI1Ni1waG9uZQ==", "public_key: Y29zZS1lczI1Ni1waG9uZQ-_",
			`webauthn_credentials[3] (user "bob"): public_key: not standard base64`},
		{"unknown key", "    description: Work key\n", "    description: Work key\n    colour: blue\n",
			`webauthn_credentials[6]: unknown key "colour"`},
		{"aaguid without dashes", "aaguid: cb69481e-8ff7-4039-93ec-0a2729a154a8", "aaguid: cb69481e8ff7403993ec0a2729a154a8",
			`aaguid: "cb69481e8ff7403993ec0a2729a154a8" is not a UUID`},
		{"U2F key not a point", "BCspE1TNxnY1OICVKJw0pVmSzEAxBIDdDAyx3WjJyJFMs6qoHyW25h7X+3E8Ak0ncQ7O36OGuuyIR5xelrUZpPI=", "Y29zZS1lczI1Ni13b3Jr",
			`(user "dave"): public_key of a U2F key is not an uncompressed P-256 point`},
		{"counter not a number", "sign_count: 412", "sign_count: many",
			"webauthn_credentials[1]: cannot unmarshal !!str `many` into uint32"},
		{"description too long", "description: Key\n", "description: " + strings.Repeat("K", 65) + "\n",
			`(user "carol"): description`},
		{"empty username", "username: carol", `username: ""`, "webauthn_credentials[5]: username is empty"},
		{"attestation not JSON", "attestation: " + attestationFixture, "attestation: bm90IGpzb24=",
			`(user "bob"): attestation: not a JSON attestation record`},
		{"unknown list", "webauthn_credentials:", "webauthn_keys:", `unknown key "webauthn_keys"`},
		{"not YAML", "webauthn_credentials:\n", "webauthn_credentials: [\n", "yaml:"},
	}
	env := newImportEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Contains(fixture, []byte(tt.old)) {
				t.Fatalf("fixture lacks %q", tt.old)
			}
			file := filepath.Join(t.TempDir(), "export.yml")
			writeFile(t, file, strings.Replace(string(fixture), tt.old, tt.new, 1))
			out, err := env.importFile(file)
			if err == nil {
				t.Fatalf("import of a malformed file succeeded:\n%s", out)
			}
			if msg := err.Error(); !strings.Contains(msg, "refused, nothing imported") || !strings.Contains(msg, tt.want) {
				t.Errorf("got error %q, want it to refuse the file and say %q", msg, tt.want)
			}
			st, closeStore := env.openStore(t)
			defer closeStore()
			want := map[string][]store.Credential{"bob": {seededYubiKey}}
			if diff := cmp.Diff(want, contents(t, st)); diff != "" {
				t.Errorf("store changed by a refused file (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseExportOlderLayout(t *testing.T) {
	data, err := os.ReadFile("testdata/webauthn-export-older.yml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseExport(data, importTarget{rpID: "example.com", portalOrigin: "https://auth.example.com"})
	if err != nil {
		t.Fatalf("parseExport: %v", err)
	}
	want := []importEntry{{
		item: importItem{User: "alice", Credential: store.Credential{
			ID: []byte("u2f-key-handle"), Description: "Primary", AAGUID: make([]byte, 16), UserPresent: true, SignCount: 88,
			CreatedAt:         time.Date(2021, 6, 1, 10, 0, 0, 0, time.UTC),
			LastUsedAt:        time.Date(2022, 2, 3, 3, 5, 6, 789e6, time.UTC),
			PublicKey:         b64(`BOyRCjlWr23Ch1jEtmCX0EAhsPV7gOwEkA+7GN/YPrDVFzHwH9wZZsa0ecCeStc2m+zGVv3zHpiilfrwgDGkLf0=`),
			AttestationFormat: "fido-u2f", AppID: "https://auth.example.com",
		}},
		note: "legacy U2F key; AppID https://auth.example.com, the primary portal's origin, as the export recorded none",
	}, {
		item: importItem{User: "bob", Credential: store.Credential{
			ID: []byte("yubikey-5-id"), Description: "YubiKey 5", AAGUID: unhex("cb69481e8ff7403993ec0a2729a154a8"),
			Transports: []string{"usb", "nfc"}, UserPresent: true, SignCount: 3, CloneWarning: true,
			CreatedAt: time.Date(2022, 5, 5, 5, 5, 5, 0, time.UTC), PublicKey: []byte("cose-es256-yubikey"),
			AttestationFormat: "packed",
		}},
	}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(importEntry{})); diff != "" {
		t.Errorf("parseExport (-want +got):\n%s", diff)
	}
}

func b64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
