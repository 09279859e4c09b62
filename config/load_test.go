package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/keygate/keygate/authz"
	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/notify"
	"github.com/keygate/keygate/policy"
	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/store"
	"github.com/keygate/keygate/ui"
	"github.com/keygate/keygate/webauthn"
)

// baseYAML is a small production-like configuration that is valid.
const baseYAML = `
session:
  domain: example.com
  portal_url: https://auth.example.com
notifier:
  file: ./notifications.log
`

// inTempDir makes an empty temporary directory the working directory, writes
// the file keygate.yml there when text is not empty, and returns its name.
func inTempDir(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	if text == "" {
		return ""
	}
	if err := os.WriteFile("keygate.yml", []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return "keygate.yml"
}

func TestLoadDefault(t *testing.T) {
	inTempDir(t, "")
	got, err := Load("", nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	yes := true
	want := &Config{
		Server:  Server{Address: "127.0.0.1:9091", TrustedProxies: []string{"127.0.0.0/8", "::1/128"}},
		Log:     Log{Level: "info", Format: "text"},
		Storage: store.Config{Path: "./keygate-data/keygate.db"},
		Users:   directory.Config{File: "./keygate-data/users.yml"},
		Session: session.Config{
			Name: "keygate_session", Domain: "localhost", PortalURL: "http://localhost:9091",
			SameSite: "lax", Expiration: 12 * time.Hour, Inactivity: time.Hour, RememberMe: 720 * time.Hour,
		},
		WebAuthn: webauthn.Config{
			RPName: "Keygate", RPID: "localhost", Timeout: time.Minute, Attestation: "none",
			UserVerification: "preferred", ResidentKey: "preferred",
			PasskeyLogin: &yes, PasskeyUVTwoFactor: &yes, AllowBackupEligible: &yes,
			Origins: []string{"http://localhost:9091"},
		},
		Identity:      ui.IdentityConfig{CodeLength: 8, CodeLifetime: 10 * time.Minute, Elevation: 5 * time.Minute},
		Notifier:      notify.Config{File: "./keygate-data/notifications.log"},
		Regulation:    store.RegulationConfig{MaxFailures: 5, Window: 2 * time.Minute, Ban: 10 * time.Minute, IPv6Prefix: 64, DeviceLifetime: 8760 * time.Hour},
		AccessControl: policy.Config{DefaultPolicy: "one_factor", Rules: []policy.Rule{}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load(\"\") mismatch (-want +got):\n%s", diff)
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("Load created %d entries in the working directory, want none", len(entries))
	}
}

func TestLoadFile(t *testing.T) {
	path := inTempDir(t, baseYAML+`
webauthn:
  passkey_login: false
access_control:
  default_policy: deny
  rules:
    - domain: ["*.example.com"]
      networks: [10.0.0.0/8]
      policy: two_factor
      max_age: 15m
      require: {device_bound: true, attachment: cross-platform, aaguids: [cb69481e-8ff7-4039-93ec-0a2729a154a8], max_age: 5m}
      tokens: allow
`)
	got, err := Load(path, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	no := false
	want := &Config{
		Server:  Server{Address: "127.0.0.1:9091", TrustedProxies: []string{"127.0.0.0/8", "::1/128"}},
		Log:     Log{Level: "info", Format: "text"},
		Session: session.Config{Domain: "example.com", PortalURL: "https://auth.example.com"},
		WebAuthn: webauthn.Config{
			RPID: "example.com", PasskeyLogin: &no, Origins: []string{"https://auth.example.com"},
		},
		Notifier: notify.Config{File: "./notifications.log"},
		AccessControl: policy.Config{DefaultPolicy: "deny", Rules: []policy.Rule{{
			Domain: []string{"*.example.com"}, Networks: []string{"10.0.0.0/8"},
			Policy: "two_factor", MaxAge: 15 * time.Minute,
			Require: &policy.Require{DeviceBound: true, Attachment: "cross-platform",
				AAGUIDs: []string{"cb69481e-8ff7-4039-93ec-0a2729a154a8"}, MaxAge: 5 * time.Minute},
			Tokens: "allow",
		}}},
		File: path,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadEnv(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name string
		env  []string
		got  func(*Config) any
		want any
	}{
		{"nested string", []string{"KEYGATE_SESSION__REDIS__ADDRESS=redis:6379"},
			func(c *Config) any { return c.Session.Redis.Address }, "redis:6379"},
		{"overrides the file", []string{"KEYGATE_SESSION__DOMAIN=example.com", "KEYGATE_SESSION__PORTAL_URL=https://auth.example.com/"},
			func(c *Config) any { return []string{c.Session.PortalURL, c.WebAuthn.Origins[0]} },
			[]string{"https://auth.example.com/", "https://auth.example.com"}},
		{"duration", []string{"KEYGATE_SESSION__EXPIRATION=90m"},
			func(c *Config) any { return c.Session.Expiration }, 90 * time.Minute},
		{"zero duration", []string{"KEYGATE_SESSION__REMEMBER_ME=0s"},
			func(c *Config) any { return c.Session.RememberMe }, time.Duration(0)},
		{"comma-separated list", []string{"KEYGATE_SERVER__TRUSTED_PROXIES=10.0.0.0/8, ::1,"},
			func(c *Config) any { return c.Server.TrustedProxies }, []string{"10.0.0.0/8", "::1"}},
		{"empty list", []string{"KEYGATE_SERVER__TRUSTED_PROXIES="},
			func(c *Config) any { return c.Server.TrustedProxies }, []string{}},
		{"nested list", []string{"KEYGATE_SESSION__REDIS__CLUSTER__ADDRESSES=a:1,b:2"},
			func(c *Config) any { return c.Session.Redis.Cluster.Addresses }, []string{"a:1", "b:2"}},
		{"integer", []string{"KEYGATE_REGULATION__MAX_FAILURES=-1"},
			func(c *Config) any { return c.Regulation.MaxFailures }, -1},
		{"boolean pointer", []string{"KEYGATE_WEBAUTHN__PASSKEY_LOGIN=false"},
			func(c *Config) any { return c.WebAuthn.PasskeyLogin }, &no},
		{"boolean", []string{"KEYGATE_SESSION__REDIS__ADDRESS=redis:6379", "KEYGATE_SESSION__REDIS__TLS__ENABLED=true"},
			func(c *Config) any { return c.Session.Redis.TLS.Enabled }, true},
		{"untouched default", []string{"OTHER_VAR=1", "keygate_log__level=debug"},
			func(c *Config) any { return []any{c.Log.Level, c.WebAuthn.PasskeyLogin} }, []any{"info", &yes}},
		{"variables without a section are not configuration",
			[]string{"KEYGATE_PORT=tcp://10.0.0.1:9091", "KEYGATE_SERVICE_HOST=10.0.0.1", "KEYGATE_DOMAIN=example.com"},
			func(c *Config) any { return c.Session.Domain }, "localhost"},
		{"log", []string{"KEYGATE_LOG__LEVEL=debug", "KEYGATE_LOG__FORMAT=json"},
			func(c *Config) any { return c.Log }, Log{Level: "debug", Format: "json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load("", tt.env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(tt.want, tt.got(cfg)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadSecretFiles(t *testing.T) {
	path := inTempDir(t, baseYAML+`
  smtp:
    password_file: smtp.secret
`)
	for name, content := range map[string]string{"smtp.secret": "s3cret \n", "redis.secret": "r3dis\r\n"} {
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := Load(path, []string{
		"KEYGATE_SESSION__REDIS__ADDRESS=redis:6379",
		"KEYGATE_SESSION__REDIS__PASSWORD_FILE=" + filepath.Join(".", "redis.secret"),
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := []string{cfg.Notifier.SMTP.Password, cfg.Notifier.SMTP.PasswordFile, cfg.Session.Redis.Password, cfg.Session.Redis.PasswordFile}
	want := []string{"s3cret ", "", "r3dis", ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("passwords, password files mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadBaseIsValid(t *testing.T) {
	if _, err := Load(inTempDir(t, baseYAML), nil); err != nil {
		t.Fatalf("Load(baseYAML): %v", err)
	}
}

func TestLoadOrigins(t *testing.T) {
	path := inTempDir(t, `
session:
  domain: a.example.com
  portal_url: https://AUTH.a.example.com:443/
  cookies:
    - {domain: b.example.com, portal_url: "https://auth.b.example.com:8443/login"}
notifier: {file: n.log}
webauthn: {rp_id: example.com}
`)
	cfg, err := Load(path, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := append([]string{cfg.WebAuthn.RPID}, cfg.WebAuthn.Origins...)
	want := []string{"example.com", "https://auth.a.example.com", "https://auth.b.example.com:8443"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RP ID, origins mismatch (-want +got):\n%s", diff)
	}
}

func TestDerive(t *testing.T) {
	tests := []struct {
		name    string
		session session.Config
		rpID    string
		want    []string // RP ID, then origins
		derived bool
	}{
		{"from the domain", session.Config{Domain: ".Example.com", PortalURL: "https://auth.example.com/"}, "",
			[]string{"example.com", "https://auth.example.com"}, true},
		{"kept when set", session.Config{Domain: "example.com", PortalURL: "https://auth.example.com"}, "auth.example.com",
			[]string{"auth.example.com", "https://auth.example.com"}, false},
		{"from the first cookie, origins once each", session.Config{Cookies: []session.CookieConfig{
			{Domain: "a.example", PortalURL: "https://auth.a.example"},
			{Domain: "b.example", PortalURL: "https://auth.a.example:443"},
			{Domain: "c.example", PortalURL: "not a url"},
		}}, "", []string{"a.example", "https://auth.a.example"}, true},
		{"nothing to derive from", session.Config{}, "", []string{""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Session: tt.session, WebAuthn: webauthn.Config{RPID: tt.rpID, Origins: []string{"stale"}}}
			derived := c.derive()
			got := append([]string{c.WebAuthn.RPID}, c.WebAuthn.Origins...)
			if diff := cmp.Diff(tt.want, got); diff != "" || derived != tt.derived {
				t.Errorf("derived %v, want %v; RP ID, origins mismatch (-want +got):\n%s", derived, tt.derived, diff)
			}
		})
	}
}

func TestOrigin(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://auth.example.com", "https://auth.example.com"},
		{"HTTPS://Auth.Example.com:443/x?y", "https://auth.example.com"},
		{"http://localhost:80", "http://localhost"},
		{"http://localhost:9091/", "http://localhost:9091"},
		{"https://[::1]:8443", "https://[::1]:8443"},
		{"https://[::1]", "https://[::1]"},
		{"auth.example.com", ""},
		{"://x", ""},
	}
	for _, tt := range tests {
		if got, _ := origin(tt.url); got != tt.want {
			t.Errorf("origin(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestCompose(t *testing.T) {
	no := false
	c := &Config{
		Server:     Server{TrustedProxies: []string{"10.0.0.0/8"}},
		Session:    session.Config{RememberMe: time.Hour},
		WebAuthn:   webauthn.Config{RPName: "Acme", PasskeyLogin: &no},
		Identity:   ui.IdentityConfig{CodeLength: 6},
		Regulation: store.RegulationConfig{MaxFailures: 3},
	}
	if diff := cmp.Diff(authz.Config{TrustedProxies: []string{"10.0.0.0/8"}}, c.Authz()); diff != "" {
		t.Errorf("Authz mismatch (-want +got):\n%s", diff)
	}
	want := ui.Config{
		Identity: ui.IdentityConfig{CodeLength: 6}, Regulation: store.RegulationConfig{MaxFailures: 3},
		RPName: "Acme", RememberMe: time.Hour, PasskeyUVTwoFactor: true,
	}
	if diff := cmp.Diff(want, c.UI()); diff != "" {
		t.Errorf("UI mismatch (-want +got):\n%s", diff)
	}
	c.WebAuthn.PasskeyUVTwoFactor = &no
	if c.UI().PasskeyUVTwoFactor {
		t.Errorf("UI().PasskeyUVTwoFactor = true with webauthn.passkey_uv_two_factor false, want false")
	}
}
