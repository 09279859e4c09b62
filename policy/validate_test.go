package policy

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateAcceptsEveryFeature(t *testing.T) {
	cfg := Config{DefaultPolicy: "one_factor", Rules: []Rule{
		{Domain: []string{"public.example.com", "Static.Example.com.", "*.cdn.example.com", "10.0.0.1"}, Policy: "bypass"},
		{
			Domain:    []string{"*.example.com"},
			Resources: []string{"^/admin(/|$)", `[?&]debug=1`},
			Methods:   []string{"GET", "POST", "PROPFIND"},
			Networks:  []string{"10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::ffff:172.16.0.0/108"},
			Subject:   []string{"group:admins", "user:alice"},
			Policy:    "two_factor",
			MaxAge:    15 * time.Minute,
		},
		{Policy: "deny"},
	}}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: got %v, want nil", err)
	}
	if _, err := New(cfg); err != nil {
		t.Fatalf("New: got %v, want nil", err)
	}
}

func TestValidateErrors(t *testing.T) {
	cfg := invalidConfig()
	err := cfg.Validate()
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("got %v, want an error matching ErrInvalidConfig", err)
	}
	e, newErr := New(cfg)
	if e != nil || newErr == nil || newErr.Error() != err.Error() {
		t.Errorf("New: got %v, %v, want nil and the errors Validate reports", e, newErr)
	}
	for _, key := range []string{
		"access_control.default_policy:",
		"access_control.rules[0].domain[0]:",
		"access_control.rules[1].resources[0]:",
		"access_control.rules[2].methods[0]:",
		`access_control.rules[2].networks[0]: "10.0.0.0/33" is not a CIDR prefix or address`,
		"access_control.rules[3].subject[0]:",
		"access_control.rules[3].policy:",
		"access_control.rules[4].policy: is missing",
		"access_control.rules[5].max_age:",
		"access_control.rules[6].max_age:",
		"access_control.rules[7].max_age:",
		"access_control.rules[8].require.attachment:",
		"access_control.rules[8].require.aaguids[0]:",
		"access_control.rules[8].require.aaguids[1]:",
		"access_control.rules[8].require.max_age:",
		"access_control.rules[9].require:",
		"access_control.rules[9].tokens:",
		"access_control.rules[10].tokens:",
		"access_control.rules[11].tokens:",
	} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("got errors:\n%v\nwant one starting %q", err, key)
		}
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Fatalf("got %T, want errors joined with errors.Join", err)
	}
	if got := len(joined.Unwrap()); got != 34 {
		t.Errorf("got %d errors, want one per bad value (34)", got)
	}
}
