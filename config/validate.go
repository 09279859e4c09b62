package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// validator is what a section's Config offers to check itself.
type validator interface{ Validate() error }

// Validate checks that server.address is host:port. The trusted proxies are
// checked by authz's Validate (see Config.Authz), which parses them for use.
func (s Server) Validate() error {
	if err := checkAddress(s.Address); err != nil {
		return &Error{Key: "server.address", Msg: err.Error()}
	}
	return nil
}

func checkAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. 127.0.0.1:9091, :9091)", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: port %q is not a number from 1 to 65535", addr, port)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("%q: %q is not a host name or address", addr, host)
	}
	return nil
}

// Validate checks the log section: level is debug, info, warn or error, format
// is text or json; either may be empty for its default.
func (l Log) Validate() error {
	var errs []error
	if !slices.Contains([]string{"", "debug", "info", "warn", "error"}, l.Level) {
		errs = append(errs, &Error{Key: "log.level", Msg: fmt.Sprintf("%q is not one of debug, info, warn, error", l.Level)})
	}
	if !slices.Contains([]string{"", "text", "json"}, l.Format) {
		errs = append(errs, &Error{Key: "log.format", Msg: fmt.Sprintf("%q is not one of text, json", l.Format)})
	}
	return errors.Join(errs...)
}

// derive fills in what the sections read from each other: the WebAuthn RP ID,
// when empty, is the primary cookie domain, and the WebAuthn origins are the
// portal URLs' origins. It reports whether the RP ID was filled in.
func (c *Config) derive() (rpIDDerived bool) {
	if c.WebAuthn.RPID == "" {
		c.WebAuthn.RPID = c.primaryDomain()
		rpIDDerived = c.WebAuthn.RPID != ""
	}
	c.WebAuthn.Origins = nil
	for _, p := range c.portals() {
		if o, ok := origin(p.url); ok && !slices.Contains(c.WebAuthn.Origins, o) {
			c.WebAuthn.Origins = append(c.WebAuthn.Origins, o)
		}
	}
	return rpIDDerived
}

// primaryDomain is session.domain, or else the first of session.cookies.
func (c *Config) primaryDomain() string {
	d := c.Session.Domain
	if d == "" && len(c.Session.Cookies) > 0 {
		d = c.Session.Cookies[0].Domain
	}
	return strings.ToLower(strings.TrimPrefix(d, "."))
}

// portal is one configured portal URL and the key that set it.
type portal struct{ key, url string }

func (c *Config) portals() []portal {
	var ps []portal
	if c.Session.PortalURL != "" {
		ps = append(ps, portal{"session.portal_url", c.Session.PortalURL})
	}
	for i, ck := range c.Session.Cookies {
		if ck.PortalURL != "" {
			ps = append(ps, portal{fmt.Sprintf("session.cookies[%d].portal_url", i), ck.PortalURL})
		}
	}
	return ps
}

// origin returns scheme://host[:port] of an absolute URL, lower-cased and
// without the scheme's default port, as browsers send it.
func origin(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Hostname() == "" {
		return "", false
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host, true
}

// validate runs every section's Validate, then those of the configurations
// Config composes (Authz, UI). The check across sections, that the RP ID
// covers every portal, is webauthn's: its Validate compares RPID with the
// Origins derive fills in.
func (c *Config) validate(rpIDDerived bool) []*Error {
	var errs []*Error
	v := reflect.ValueOf(c).Elem()
	for i, f := range slices.Collect(configType.Fields()) {
		name, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
		if val, ok := v.Field(i).Addr().Interface().(validator); ok && name != "-" {
			errs = append(errs, sectionErrors(name, val.Validate())...)
		}
	}
	errs = append(errs, sectionErrors("server", c.Authz().Validate())...)
	errs = append(errs, sectionErrors("", c.UI().Validate())...)
	if c.Storage.Postgres.Enabled() && !c.Session.Redis.Enabled() {
		errs = append(errs, &Error{Key: "storage.postgres", Msg: "is set without session.redis; " +
			"replicas on PostgreSQL share sessions through Redis, so configure session.redis too"})
	}
	if rpIDDerived {
		for _, e := range errs {
			if e.Key == "webauthn.rp_id" {
				e.Msg += fmt.Sprintf(" (rp_id is empty, so it is the cookie domain %q)", c.WebAuthn.RPID)
			}
		}
	}
	return errs
}

// sectionErrors turns a Validate error into *Errors. A line "KEY: MSG" whose
// KEY is in section (any section when section is "") is filed under KEY; any
// other line is filed under section.
func sectionErrors(section string, err error) []*Error {
	var out []*Error
	for _, leaf := range leaves(err) {
		if e, ok := leaf.(*Error); ok {
			out = append(out, e)
			continue
		}
		for line := range strings.SplitSeq(leaf.Error(), "\n") {
			e := &Error{Key: section, Msg: line, Err: leaf}
			if key, msg, ok := strings.Cut(line, ": "); ok && inSection(key, section) {
				e.Key, e.Msg = key, msg
			}
			out = append(out, e)
		}
	}
	return out
}

// inSection reports whether key is a key path (no spaces) in section, or in
// any section of Config when section is "".
func inSection(key, section string) bool {
	if strings.Contains(key, " ") {
		return false
	}
	if section != "" {
		return isUnder(key, section)
	}
	top, _, _ := strings.Cut(key, ".")
	top, _, _ = strings.Cut(top, "[")
	_, ok := fieldsOf(configType)[top]
	return ok
}
