package webauthn

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The default values New applies to zero config fields.
const (
	DefaultRPName  = "Keygate"
	DefaultTimeout = 60 * time.Second
)

// The allowed values of the enumerated keys; the first is the default.
var (
	attestationValues      = []string{"none", "indirect", "direct", "enterprise"}
	userVerificationValues = []string{"preferred", "required", "discouraged"}
	residentKeyValues      = []string{"preferred", "required", "discouraged"}
	attachmentValues       = []string{"", "platform", "cross-platform"}
)

// Validate checks the section and returns every problem at once, each naming
// its key path, the value and what is allowed. It does not require RPID and
// Origins, which config fills from the session section; New does.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Timeout < 0 || c.Timeout > time.Hour {
		add("webauthn.timeout: %s is not between 0 (default %s) and 1h", c.Timeout, DefaultTimeout)
	}
	for _, e := range []struct {
		key, value string
		allowed    []string
	}{
		{"attestation", c.Attestation, attestationValues},
		{"user_verification", c.UserVerification, userVerificationValues},
		{"resident_key", c.ResidentKey, residentKeyValues},
		{"attachment", c.Attachment, attachmentValues},
	} {
		if e.value != "" && !slices.Contains(e.allowed, e.value) {
			add("webauthn.%s: %q is not one of %s", e.key, e.value, quoteList(e.allowed))
		}
	}
	if c.RPID != "" {
		if err := checkRPID(c.RPID); err != nil {
			add("webauthn.rp_id: %q %v", c.RPID, err)
		}
	}
	errs = append(errs, c.validateOrigins()...)
	errs = append(errs, c.AAGUIDs.validate()...)
	return errors.Join(errs...)
}

func (a AAGUIDConfig) validate() []error {
	var errs []error
	if len(a.Permit) > 0 && len(a.Deny) > 0 {
		errs = append(errs, errors.New("webauthn.aaguids: permit and deny are both set; use at most one of them"))
	}
	for _, list := range []struct {
		key    string
		values []string
	}{{"permit", a.Permit}, {"deny", a.Deny}} {
		for i, v := range list.values {
			if _, err := uuid.Parse(v); err != nil {
				errs = append(errs, fmt.Errorf("webauthn.aaguids.%s[%d]: %q is not a UUID (like 00000000-0000-0000-0000-000000000000)", list.key, i, v))
			}
		}
	}
	return errs
}

// validateOrigins checks that each origin is scheme://host[:port] and that the
// RP ID covers its host (browsers refuse a ceremony otherwise).
func (c Config) validateOrigins() []error {
	var errs []error
	for i, o := range c.Origins {
		host, err := originHost(o)
		if err != nil {
			errs = append(errs, fmt.Errorf("webauthn.origins[%d]: %q %v", i, o, err))
			continue
		}
		if c.RPID != "" && host != c.RPID && !strings.HasSuffix(host, "."+c.RPID) {
			errs = append(errs, fmt.Errorf("webauthn.rp_id: %q does not cover the portal origin %q; use that host or a parent domain of it", c.RPID, o))
		}
	}
	return errs
}

// originHost returns the lower-case host of an origin such as https://auth.example.com.
func originHost(origin string) (string, error) {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errors.New("is not an http(s) origin like https://auth.example.com")
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", errors.New("is not an origin: it has a path, query, fragment or user info")
	}
	return strings.ToLower(u.Hostname()), nil
}

// checkRPID accepts a lower-case domain name (or "localhost"), not an address or URL.
func checkRPID(id string) error {
	if id != strings.ToLower(id) {
		return errors.New("must be lower case")
	}
	if net.ParseIP(id) != nil {
		return errors.New("is an IP address; WebAuthn needs a domain name")
	}
	if strings.ContainsAny(id, ":/ ") || strings.HasPrefix(id, ".") || strings.HasSuffix(id, ".") {
		return errors.New("is not a domain name (no scheme, port, path or leading/trailing dot)")
	}
	for label := range strings.SplitSeq(id, ".") {
		if label == "" || len(label) > 63 {
			return errors.New("is not a domain name")
		}
	}
	return nil
}

func quoteList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// withDefaults returns c with every zero field set to its documented default.
func (c Config) withDefaults() Config {
	if c.RPName == "" {
		c.RPName = DefaultRPName
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	c.Attestation = orDefault(c.Attestation, attestationValues[0])
	c.UserVerification = orDefault(c.UserVerification, userVerificationValues[0])
	c.ResidentKey = orDefault(c.ResidentKey, residentKeyValues[0])
	return c
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// enabled reads an optional switch whose nil value means true.
func enabled(b *bool) bool { return b == nil || *b }
