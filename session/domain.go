package session

import (
	"net"
	"net/url"
	"strings"
)

// Domain is one cookie domain and its portal, resolved from Config.
type Domain struct {
	// Name is the cookie domain, lower case, without a leading dot ("example.com").
	Name string
	// PortalURL is the absolute URL of the sign-in portal for Name.
	PortalURL *url.URL
	// DefaultRedirectURL is where a sign-in without rd lands: the portal when not configured.
	DefaultRedirectURL *url.URL
}

// secure reports whether cookies for d carry the Secure attribute: when its portal is https.
func (d Domain) secure() bool {
	return d.PortalURL.Scheme == "https"
}

// clone returns a copy of d whose URLs the caller may change.
func (d Domain) clone() Domain {
	portal, redirect := *d.PortalURL, *d.DefaultRedirectURL
	d.PortalURL, d.DefaultRedirectURL = &portal, &redirect
	return d
}

// resolveDomains turns the cookie entries of a validated Config into Domains.
func resolveDomains(c Config) []Domain {
	var domains []Domain
	for _, e := range c.cookieEntries() {
		portal, _ := url.Parse(e.cookie.PortalURL)
		redirect := portal
		if e.cookie.DefaultRedirectURL != "" {
			redirect, _ = url.Parse(e.cookie.DefaultRedirectURL)
		}
		domains = append(domains, Domain{
			Name:               strings.ToLower(e.cookie.Domain),
			PortalURL:          portal,
			DefaultRedirectURL: redirect,
		})
	}
	return domains
}

// domainFor returns the longest of domains that host equals or is under.
func domainFor(domains []Domain, host string) (Domain, bool) {
	name, ok := hostname(host)
	if !ok {
		return Domain{}, false
	}
	best := -1
	for i, d := range domains {
		if covers(d.Name, name) && (best < 0 || len(d.Name) > len(domains[best].Name)) {
			best = i
		}
	}
	if best < 0 {
		return Domain{}, false
	}
	return domains[best], true
}

// hostname returns host without its port, in lower case and without a trailing
// dot, and whether it is a plausible DNS name (letters, digits, hyphens,
// underscores and dots, no empty label) with a numeric port if any: the only kind
// of host a cookie domain covers.
func hostname(host string) (string, bool) {
	if strings.IndexByte(host, ':') >= 0 { // SplitHostPort allocates its error for a host without a port
		if h, port, err := net.SplitHostPort(host); err == nil {
			if strings.Trim(port, "0123456789") != "" {
				return "", false
			}
			host = h
		}
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" || len(host) > 253 {
		return "", false
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" {
			return "", false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return "", false
			}
		}
	}
	return host, true
}
