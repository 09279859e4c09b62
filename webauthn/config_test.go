package webauthn

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/keygate/keygate/store"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // one line per error
	}{
		{name: "zero", cfg: Config{}},
		{name: "complete", cfg: Config{
			RPID: "example.com", Origins: []string{"https://auth.example.com", "https://example.com:8443"},
			Timeout: time.Minute, Attestation: "direct", UserVerification: "required", Attachment: "platform",
			ResidentKey: "required", AAGUIDs: AAGUIDConfig{Permit: []string{"ee882879-721c-4913-9775-3dfcce97072a"}},
		}},
		{name: "enums", cfg: Config{Attestation: "full", UserVerification: "always", ResidentKey: "yes", Attachment: "usb"}, want: []string{
			`webauthn.attestation: "full" is not one of "none", "indirect", "direct", "enterprise"`,
			`webauthn.user_verification: "always" is not one of "preferred", "required", "discouraged"`,
			`webauthn.resident_key: "yes" is not one of "preferred", "required", "discouraged"`,
			`webauthn.attachment: "usb" is not one of "", "platform", "cross-platform"`,
		}},
		{name: "timeout", cfg: Config{Timeout: -time.Second}, want: []string{
			`webauthn.timeout: -1s is not between 0 (default 1m0s) and 1h`,
		}},
		{name: "aaguids", cfg: Config{AAGUIDs: AAGUIDConfig{Permit: []string{"nope"}, Deny: []string{"ee882879-721c-4913-9775-3dfcce97072a"}}}, want: []string{
			`webauthn.aaguids: permit and deny are both set; use at most one of them`,
			`webauthn.aaguids.permit[0]: "nope" is not a UUID (like 00000000-0000-0000-0000-000000000000)`,
		}},
		{name: "rp id", cfg: Config{RPID: "https://Example.com"}, want: []string{
			`webauthn.rp_id: "https://Example.com" must be lower case`,
		}},
		{name: "rp id address", cfg: Config{RPID: "10.0.0.1"}, want: []string{
			`webauthn.rp_id: "10.0.0.1" is an IP address; WebAuthn needs a domain name`,
		}},
		{name: "rp id not covering origin", cfg: Config{RPID: "example.com", Origins: []string{"https://auth.example.org", "https://example.com/path"}}, want: []string{
			`webauthn.rp_id: "example.com" does not cover the portal origin "https://auth.example.org"; use that host or a parent domain of it`,
			`webauthn.origins[1]: "https://example.com/path" is not an origin: it has a path, query, fragment or user info`,
		}},
		{name: "suffix is not a parent domain", cfg: Config{RPID: "example.com", Origins: []string{"https://badexample.com"}}, want: []string{
			`webauthn.rp_id: "example.com" does not cover the portal origin "https://badexample.com"; use that host or a parent domain of it`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			if err := tc.cfg.Validate(); err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewRequiresRPIDAndOrigins(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var creds *store.Store // never used: New fails first
	for _, cfg := range []Config{
		{Origins: []string{testOrigin}},
		{RPID: testRPID},
		{RPID: testRPID, Origins: []string{testOrigin}, Attestation: "bogus"},
		{RPID: testRPID, Origins: []string{testOrigin}, Metadata: MetadataConfig{File: "/nonexistent/blob.jwt"}},
	} {
		if _, err := New(cfg, creds, logger); err == nil {
			t.Errorf("New(%+v): got nil error", cfg)
		}
	}
}

func TestDefaults(t *testing.T) {
	e := newEnv(t, nil)
	got := e.rp.cfg
	if got.RPName != "Keygate" || got.Timeout != 60*time.Second || got.Attestation != "none" ||
		got.UserVerification != "preferred" || got.ResidentKey != "preferred" || !e.rp.PasskeyLogin() {
		t.Errorf("defaults: got %+v", got)
	}
	if e.rp.StateTTL() <= got.Timeout {
		t.Errorf("StateTTL %s is not longer than the timeout %s", e.rp.StateTTL(), got.Timeout)
	}
}
