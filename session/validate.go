package session

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Defaults applied by NewManager to zero fields of Config.
const (
	DefaultCookieName = "keygate_session"
	DefaultExpiration = 12 * time.Hour
	DefaultInactivity = time.Hour
)

// problems collects validation errors, each naming its key path.
type problems []error

func (p *problems) add(path, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

// Validate reports every problem in c at once, joined with errors.Join. Each error
// names its key path (session.cookies[1].portal_url), the bad value and what is
// allowed. It reads session.redis.password_file and session.redis.tls.ca_file to
// check that they can be used, and writes nothing.
func (c Config) Validate() error {
	var p problems
	p.checkCookieName(c.Name)
	if c.Domain == "" && len(c.Cookies) == 0 {
		p.add("session.domain", "is empty; set session.domain and session.portal_url, or list session.cookies")
	}
	var sites []site
	for _, e := range c.cookieEntries() {
		if s, ok := p.checkCookie(e.path, e.cookie); ok {
			sites = append(sites, s)
		}
	}
	p.checkDistinct(sites)
	p.checkSecure(c, sites)
	p.checkDurations(c)
	if err := c.Redis.validate("session.redis"); err != nil {
		p = append(p, err)
	}
	return errors.Join(p...)
}

// site is a cookie domain that passed validation, where it was configured, and
// its portal URL (nil when invalid).
type site struct {
	path   string // "session" or "session.cookies[i]"
	domain string
	portal *url.URL
}

type cookieEntry struct {
	path   string
	cookie CookieConfig
}

// cookieEntries lists the primary domain (when any of its keys is set) and Cookies.
func (c Config) cookieEntries() []cookieEntry {
	var entries []cookieEntry
	primary := CookieConfig{Domain: c.Domain, PortalURL: c.PortalURL, DefaultRedirectURL: c.DefaultRedirectURL}
	if primary != (CookieConfig{}) {
		entries = append(entries, cookieEntry{"session", primary})
	}
	for i, cc := range c.Cookies {
		entries = append(entries, cookieEntry{fmt.Sprintf("session.cookies[%d]", i), cc})
	}
	return entries
}

func (p *problems) checkCookieName(name string) {
	const path = "session.name"
	switch {
	case name == "":
	case !isToken(name):
		p.add(path, "%q is not a cookie name; use letters, digits and !#$%%&'*+-.^_`|~", name)
	case strings.HasPrefix(strings.ToLower(name), "__host-"):
		p.add(path, "%q has the __Host- prefix, which forbids the Domain attribute that single sign-on needs", name)
	}
}

// checkCookie validates one cookie domain and its URLs, and reports whether the
// domain itself is valid.
func (p *problems) checkCookie(path string, cc CookieConfig) (site, bool) {
	domain, domainOK := p.checkDomain(path+".domain", cc.Domain)
	var portal *url.URL
	portalOK := false
	switch {
	case cc.PortalURL == "":
		p.add(path+".portal_url", "is empty; set the absolute URL of the sign-in portal for this domain")
	default:
		portal, portalOK = p.checkURL(path+".portal_url", cc.PortalURL, domain, domainOK)
	}
	if portalOK && (portal.RawQuery != "" || portal.Fragment != "") {
		p.add(path+".portal_url", "%q has a query or fragment; use a URL without them", cc.PortalURL)
		portal = nil
	}
	if cc.DefaultRedirectURL != "" {
		p.checkURL(path+".default_redirect_url", cc.DefaultRedirectURL, domain, domainOK)
	}
	return site{path: path, domain: domain, portal: portal}, domainOK
}

// checkDomain validates a cookie domain and returns it in lower case.
func (p *problems) checkDomain(path, raw string) (string, bool) {
	d := strings.ToLower(raw)
	switch {
	case d == "":
		p.add(path, "is empty; set the cookie domain, such as example.com")
	case strings.HasPrefix(d, "."):
		p.add(path, "%q starts with a dot; write the domain without it (%q): it covers every subdomain", raw, strings.TrimLeft(d, "."))
	case net.ParseIP(strings.Trim(d, "[]")) != nil:
		p.add(path, "%q is an IP address; use a DNS name (localhost for a local test)", raw)
	case !isDomainName(d):
		p.add(path, "%q is not a DNS name; use letters, digits, hyphens and dots", raw)
	case !strings.Contains(d, ".") && d != "localhost":
		p.add(path, "%q is a single label, which browsers treat as a public suffix; use a domain you own, such as example.com, or localhost", raw)
	default:
		return d, true
	}
	return "", false
}

// checkURL validates an absolute http(s) URL whose host is domain or under it
// (checked only when domainOK). http is allowed only for loopback hosts.
func (p *problems) checkURL(path, raw, domain string, domainOK bool) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		p.add(path, "%q is not an absolute URL; use one such as https://auth.example.com", raw)
		return nil, false
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		p.add(path, "%q has scheme %q; use https (http only for localhost)", raw, u.Scheme)
	case u.User != nil:
		p.add(path, "%q carries user information; remove it", raw)
	case u.Scheme == "http" && !isLoopback(host):
		p.add(path, "%q uses http; use https (http is allowed only for localhost, 127.0.0.1 and ::1)", raw)
	case domainOK && !covers(domain, host):
		p.add(path, "%q has host %q, which is not %s or under it; use a host under the cookie domain", raw, host, domain)
	default:
		return u, true
	}
	return nil, false
}

// checkDistinct rejects a cookie domain listed twice or nested in another: the
// browser would send two cookies of one name and the gateway could not tell them apart.
func (p *problems) checkDistinct(sites []site) {
	for j, b := range sites {
		for _, a := range sites[:j] {
			switch {
			case a.domain == b.domain:
				p.add(b.path+".domain", "%q is also configured at %s.domain; list each cookie domain once", b.domain, a.path)
			case covers(a.domain, b.domain) || covers(b.domain, a.domain):
				p.add(b.path+".domain", "%q and %q (%s.domain) nest; cookie domains must not cover one another", b.domain, a.domain, a.path)
			}
		}
	}
}

// checkSecure enforces what browsers demand of cookies for SameSite=None and the
// __Secure- prefix: the Secure attribute, so an https portal.
func (p *problems) checkSecure(c Config, sites []site) {
	switch c.SameSite {
	case "", "lax", "strict", "none":
	default:
		p.add("session.same_site", "%q is not allowed; use lax, strict or none", c.SameSite)
	}
	secureName := strings.HasPrefix(strings.ToLower(c.Name), "__secure-")
	for _, s := range sites {
		if s.portal == nil || s.portal.Scheme == "https" {
			continue
		}
		if c.SameSite == "none" {
			p.add("session.same_site", "%q needs secure cookies, but %s.portal_url %q is http; use https portals or same_site lax", c.SameSite, s.path, s.portal)
		}
		if secureName {
			p.add("session.name", "%q needs secure cookies, but %s.portal_url %q is http; use https portals or another name", c.Name, s.path, s.portal)
		}
	}
}

func (p *problems) checkDurations(c Config) {
	for _, d := range []struct {
		path  string
		value time.Duration
		zero  string
	}{
		{"session.expiration", c.Expiration, "the default " + DefaultExpiration.String()},
		{"session.inactivity", c.Inactivity, "the default " + DefaultInactivity.String()},
		{"session.remember_me", c.RememberMe, "no remember-me"},
	} {
		if d.value < 0 {
			p.add(d.path, "%v is negative; use a positive duration, or 0 for %s", d.value, d.zero)
		}
	}
	expiration := orDefault(c.Expiration, DefaultExpiration)
	if c.RememberMe > 0 && c.RememberMe < expiration {
		p.add("session.remember_me", "%v is shorter than session.expiration %v; use a longer duration, or 0 to disable remember-me", c.RememberMe, expiration)
	}
}

func orDefault(d, fallback time.Duration) time.Duration {
	if d <= 0 {
		return fallback
	}
	return d
}

// covers reports whether host is domain or a subdomain of it, on label boundaries.
func covers(domain, host string) bool {
	return host == domain || strings.HasSuffix(host, "."+domain)
}

// isLoopback reports whether host may be reached over plain http: localhost, a
// name under .localhost, or a loopback IP address.
func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isDomainName reports whether s is a lower-case DNS name: labels of 1 to 63
// letters, digits and inner hyphens, joined by single dots, 253 bytes at most.
func isDomainName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// isToken reports whether s is an HTTP token, which a cookie name must be.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return s != ""
}
