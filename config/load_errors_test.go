package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string // appended to baseYAML
		env  []string
		want []string // lines of FormatErrors, each required
	}{
		{"unknown top-level key", "sesion: {}\n", nil, []string{
			"sesion: unknown key (allowed: access_control, audit, identity, log, notifier, regulation, server, session, storage, users, webauthn) (at keygate.yml:7)"}},
		{"unknown nested key", "regulation: {max_failure: 3}\n", nil, []string{
			"regulation.max_failure: unknown key (allowed: ban, device_lifetime, ipv6_prefix, max_failures, window) (at keygate.yml:7)"}},
		{"ipv6 prefix out of range", "regulation: {ipv6_prefix: 16}\n", nil, []string{
			"regulation.ipv6_prefix: 16 is invalid, must be between 32 and 128 (0 means 64) (at keygate.yml:7)"}},
		{"device lifetime beyond a browser's", "regulation: {device_lifetime: 10000h}\n", nil, []string{
			"regulation.device_lifetime: 10000h0m0s is invalid, must be at most 9600h0m0s (400 days, the longest a browser keeps a cookie; 0 means 8760h0m0s, negative turns known devices off) (at keygate.yml:7)"}},
		{"unknown key in a list item", "access_control:\n  rules:\n    - policy: bypass\n    - polcy: deny\n", nil, []string{
			"access_control.rules[1].polcy: unknown key (allowed: domain, max_age, methods, networks, policy, require, resources, subject, tokens) (at keygate.yml:10)"}},
		{"unknown key under require", "access_control:\n  rules:\n    - policy: two_factor\n      require: {device_bund: true}\n", nil, []string{
			"access_control.rules[0].require.device_bund: unknown key (allowed: aaguids, attachment, device_bound, max_age, user_verification) (at keygate.yml:10)"}},
		{"derived key is not a key", "webauthn: {origins: [x]}\n", nil, []string{
			"webauthn.origins: unknown key (allowed: aaguids, allow_backup_eligible, attachment, attestation, metadata, passkey_login, passkey_uv_two_factor, resident_key, rp_id, rp_name, timeout, user_verification) (at keygate.yml:7)"}},
		{"keys are case-sensitive", "log: {Level: debug}\n", nil, []string{
			"log.Level: unknown key (allowed: format, level) (at keygate.yml:7)"}},
		{"unknown environment variable", "", []string{"KEYGATE_SESSION__REDIS__ADRESS=x"}, []string{
			"session.redis.adress: unknown key (allowed: address, cluster, db, password, password_file, sentinel, tls, username, wait_replicas, wait_timeout) (from KEYGATE_SESSION__REDIS__ADRESS)"}},
		{"bad duration", "identity:\n  elevation: 12x\n", nil, []string{
			`identity.elevation: "12x" is not a duration (use e.g. 90m, 12h) (at keygate.yml:8)`}},
		{"bare number duration", "webauthn: {timeout: 60}\n", nil, []string{
			"webauthn.timeout: 60 is not a duration: a number needs a unit (e.g. 60s) (at keygate.yml:7)"}},
		{"bad duration from env", "", []string{"KEYGATE_SESSION__INACTIVITY=soon"}, []string{
			`session.inactivity: "soon" is not a duration (use e.g. 90m, 12h) (from KEYGATE_SESSION__INACTIVITY)`}},
		{"string for a list", "server: {trusted_proxies: 10.0.0.0/8}\n", nil, []string{
			`server.trusted_proxies: "10.0.0.0/8" is not a list of strings (at keygate.yml:7)`}},
		{"list for a string", "storage: {path: [a, b]}\n", nil, []string{
			"storage.path: got a list, want a string (at keygate.yml:7)"}},
		{"storage path and postgres", "storage: {path: ./k.db, postgres: {address: 'db:5432', database: k, username: k}}\n", []string{"KEYGATE_SESSION__REDIS__ADDRESS=redis:6379"}, []string{
			`storage.postgres: storage.path "./k.db" and storage.postgres are both set; set only one: path for the bbolt file, postgres for PostgreSQL (at keygate.yml:7)`}},
		{"postgres without redis", "storage: {postgres: {address: 'db:5432', database: k, username: k}}\n", nil, []string{
			"storage.postgres: is set without session.redis; replicas on PostgreSQL share sessions through Redis, so configure session.redis too (at keygate.yml:7)"}},
		{"postgres keys", "storage: {postgres: {address: db, tls: {server_name: db.example.com}}}\n", []string{"KEYGATE_SESSION__REDIS__ADDRESS=redis:6379"}, []string{
			`storage.postgres.address: "db" is not host:port; use one such as db.example.com:5432 (at keygate.yml:7)`,
			"storage.postgres.database: is empty; name the database Keygate keeps its data in (at keygate.yml:7)",
			"storage.postgres.username: is empty; name the role Keygate signs in as (at keygate.yml:7)",
			`storage.postgres.tls.server_name: "db.example.com" is set but TLS is off; set storage.postgres.tls.enabled: true (at keygate.yml:7)`}},
		{"postgres password and file", "storage: {postgres: {address: 'db:5432', database: k, username: k, password: x, password_file: y}}\n", []string{"KEYGATE_SESSION__REDIS__ADDRESS=redis:6379"}, []string{
			"storage.postgres.password_file: password and password_file are both set; use one (at keygate.yml:7)"}},
		{"number for a string", "users: {file: 1234}\n", nil, []string{
			`users.file: 1234 is not a string (quote it: "1234") (at keygate.yml:7)`}},
		{"string for a boolean", "webauthn: {passkey_login: yes}\n", nil, []string{
			`webauthn.passkey_login: "yes" is not true or false (at keygate.yml:7)`}},
		{"string for a number from env", "", []string{"KEYGATE_REGULATION__MAX_FAILURES=many"}, []string{
			`regulation.max_failures: "many" is not a whole number (from KEYGATE_REGULATION__MAX_FAILURES)`}},
		{"scalar for a list of sections from env", "", []string{"KEYGATE_ACCESS_CONTROL__RULES=x"}, []string{
			`access_control.rules: "x" is not a list of mappings (from KEYGATE_ACCESS_CONTROL__RULES)`}},
		{"env below a scalar", "", []string{"KEYGATE_LOG__LEVEL__X=1"}, []string{
			"log.level: got a mapping, want a string (from KEYGATE_LOG__LEVEL__X)"}},
		{"list of sections from env", "", []string{"KEYGATE_ACCESS_CONTROL__RULES__0__POLICY=deny"}, []string{
			"access_control.rules: got a mapping, want a list of mappings (from KEYGATE_ACCESS_CONTROL__RULES__0__POLICY)"}},
		{"scalar for a section", "regulation: 5\n", nil, []string{
			"regulation: 5 is not a mapping (at keygate.yml:7)"}},
		{"bad log values", "log: {level: verbose, format: xml}\n", nil, []string{
			`log.format: "xml" is not one of text, json (at keygate.yml:7)`,
			`log.level: "verbose" is not one of debug, info, warn, error (at keygate.yml:7)`}},
		{"bad address", "", []string{"KEYGATE_SERVER__ADDRESS=localhost"}, []string{
			`server.address: "localhost" is not host:port (e.g. 127.0.0.1:9091, :9091) (from KEYGATE_SERVER__ADDRESS)`}},
		{"bad port", "server: {address: ':99999'}\n", nil, []string{
			`server.address: ":99999": port "99999" is not a number from 1 to 65535 (at keygate.yml:7)`}},
		{"bad metrics address", "server: {metrics_address: metrics}\n", nil, []string{
			`server.metrics_address: "metrics" is not host:port (e.g. 127.0.0.1:9091, :9091) (at keygate.yml:7)`}},
		{"metrics on the portal's address", "", []string{"KEYGATE_SERVER__METRICS_ADDRESS=127.0.0.1:9091"}, []string{
			`server.metrics_address: "127.0.0.1:9091" is server.address; metrics need an address of their own (from KEYGATE_SERVER__METRICS_ADDRESS)`}},
		{"negative audit retention", "audit: {retention: -1h}\n", nil, []string{
			`audit.retention: -1h0m0s is negative; use a positive duration such as 2160h (at keygate.yml:7)`}},
		{"bad CIDR in a list", "server:\n  trusted_proxies:\n    - 10.0.0.0/8\n    - 10.0.0.0/33\n", nil, []string{
			`server.trusted_proxies[1]: "10.0.0.0/33" is not a CIDR prefix… (at keygate.yml:10)`}},
		{"bad CIDR from env", "", []string{"KEYGATE_SERVER__TRUSTED_PROXIES=::1,proxy"}, []string{
			`server.trusted_proxies[1]: "proxy" is not a CIDR prefix… (from KEYGATE_SERVER__TRUSTED_PROXIES)`}},
		// The RP ID check is webauthn's, on the origins config derives; only
		// the start and end of its lines are config's.
		{"RP ID not a parent of the portal", "webauthn: {rp_id: auth.example.org}\n", nil, []string{
			`webauthn.rp_id: "auth.example.org" … "https://auth.example.com"… (at keygate.yml:7)`}},
		{"derived RP ID not a parent of a portal", "", []string{"KEYGATE_SESSION__PORTAL_URL=https://login.example.net"}, []string{
			`webauthn.rp_id: "example.com" … "https://login.example.net"… (rp_id is empty, so it is the cookie domain "example.com")`}},
		{"password and password file", "", []string{
			"KEYGATE_SESSION__REDIS__ADDRESS=redis:6379",
			"KEYGATE_SESSION__REDIS__PASSWORD=x",
			"KEYGATE_SESSION__REDIS__PASSWORD_FILE=/nonexistent",
		}, []string{
			"session.redis.password_file: password and password_file are both set; use one (from KEYGATE_SESSION__REDIS__PASSWORD_FILE)"}},
		{"unreadable password file", "", []string{"KEYGATE_NOTIFIER__SMTP__PASSWORD_FILE=/nonexistent/secret"}, []string{
			`notifier.smtp.password_file: cannot read "/nonexistent/secret": no such file or directory (from KEYGATE_NOTIFIER__SMTP__PASSWORD_FILE)`}},
		{"empty password file", "", []string{"KEYGATE_SESSION__REDIS__ADDRESS=redis:6379", "KEYGATE_SESSION__REDIS__PASSWORD_FILE=empty.secret"}, []string{
			`session.redis.password_file: "empty.secret" is empty; a secret file must hold the secret (from KEYGATE_SESSION__REDIS__PASSWORD_FILE)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := inTempDir(t, baseYAML+tt.yaml)
			if err := os.WriteFile("empty.secret", []byte("\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path, tt.env)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Load error = %v, want one matching ErrInvalid", err)
			}
			got := strings.Split(FormatErrors(err), "\n")
			for _, w := range tt.want {
				if !containsLine(got, w) {
					t.Errorf("errors lack %q; got:\n%s", w, FormatErrors(err))
				}
			}
		})
	}
}

// containsLine reports whether a line is want, where each "…" in want stands
// for any text.
func containsLine(lines []string, want string) bool {
	parts := strings.Split(want, "…")
	for _, l := range lines {
		if matchParts(l, parts) {
			return true
		}
	}
	return false
}

func matchParts(line string, parts []string) bool {
	if len(parts) == 1 {
		return line == parts[0]
	}
	rest, ok := strings.CutPrefix(line, parts[0])
	if !ok || !strings.HasSuffix(rest, parts[len(parts)-1]) {
		return false
	}
	rest = rest[:len(rest)-len(parts[len(parts)-1])]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(rest, p)
		if i < 0 {
			return false
		}
		rest = rest[i+len(p):]
	}
	return true
}

// TestLoadErrorsNotRepeated checks that a value that failed to decode is
// reported once, not again by validation as the zero value it became.
func TestLoadErrorsNotRepeated(t *testing.T) {
	path := inTempDir(t, baseYAML+"server: {address: [a]}\nlog: {level: 3}\n")
	_, err := Load(path, nil)
	got := FormatErrors(err)
	want := "log.level: 3 is not a string (quote it: \"3\") (at keygate.yml:8)\n" +
		"server.address: got a list, want a string (at keygate.yml:7)"
	if got != want {
		t.Errorf("errors:\n%s\nwant:\n%s", got, want)
	}
}

func TestLoadYAMLSyntax(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"bad indentation", "session:\n  domain: a\n portal_url: b\n",
			"keygate.yml:2: did not find expected key"},
		{"mapping in a scalar", "log:\n  level: info: debug\n",
			"keygate.yml:2: mapping values are not allowed in this context"},
		{"duplicate key", "log: {}\nlog: {}\n",
			`keygate.yml:2: mapping key "log" already defined at line 1`},
		{"not a mapping", "- a\n- b\n",
			"keygate.yml:1: the file must be a mapping of sections (server:, session:, ...)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(inTempDir(t, tt.yaml), nil)
			if got := FormatErrors(err); got != tt.want {
				t.Errorf("error %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	inTempDir(t, "")
	_, err := Load("missing.yml", nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing.yml) error = %v, want one matching os.ErrNotExist", err)
	}
}
