package ui

import (
	"net"
	"net/url"
	"strings"
)

// maxRedirectLen bounds an rd value; longer ones are refused.
const maxRedirectLen = 4096

// redirectTarget returns rd when a browser may be sent there after signing in to
// cookie domain domain, or ok false. It is deliberately narrow: rd must be a
// printable-ASCII absolute URL of scheme https (http only for localhost, names
// under .localhost, 127.0.0.1 and [::1]) with a plain host that equals domain or lies under it on
// a label boundary, and with no userinfo, backslash, percent-escape in the
// authority, whitespace or control character anywhere. Anything else is refused,
// never repaired: the caller falls back to the domain's default.
func redirectTarget(rd, domain string) (string, bool) {
	if rd == "" || len(rd) > maxRedirectLen || !printableASCII(rd) {
		return "", false
	}
	scheme, rest, ok := strings.Cut(rd, "://")
	if !ok {
		return "", false
	}
	scheme = strings.ToLower(scheme)
	if scheme != "https" && scheme != "http" {
		return "", false
	}
	authority, _, _ := cutAny(rest, "/?#")
	if authority == "" || strings.ContainsAny(authority, "@%") {
		return "", false
	}
	u, err := url.Parse(rd)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host != authority {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	if scheme == "http" && !isLoopbackName(host) {
		return "", false
	}
	if !validPort(u.Port()) || !hostUnder(host, strings.ToLower(domain)) {
		return "", false
	}
	return rd, true
}

// printableASCII reports whether s holds only the bytes 0x21 to 0x7e, backslash excluded.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b <= ' ' || b >= 0x7f || b == '\\' {
			return false
		}
	}
	return true
}

// cutAny splits s at the first byte that is one of chars.
func cutAny(s, chars string) (before, after string, found bool) {
	if i := strings.IndexAny(s, chars); i >= 0 {
		return s[:i], s[i:], true
	}
	return s, "", false
}

// isLoopbackName reports whether host is one of the names http is allowed
// for: localhost, a name under .localhost (browsers resolve those to loopback
// themselves), 127.0.0.1 and ::1.
func isLoopbackName(host string) bool {
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || host == "127.0.0.1" || host == "::1"
}

// validPort reports whether p is empty or a port number 1 to 65535 without leading zeros.
func validPort(p string) bool {
	if p == "" {
		return true
	}
	if len(p) > 5 || p[0] == '0' {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
		n = n*10 + int(p[i]-'0')
	}
	return n <= 65535
}

// hostUnder reports whether host equals domain or is a subdomain of it. An IP
// address must equal domain; a name must be made of LDH labels.
func hostUnder(host, domain string) bool {
	if host == "" || domain == "" {
		return false
	}
	if net.ParseIP(host) != nil {
		return host == domain
	}
	if !validHostname(host) {
		return false
	}
	return host == domain || strings.HasSuffix(host, "."+domain)
}

// validHostname reports whether host is dot-separated labels of lower-case
// letters, digits, underscores and inner hyphens, each 1 to 63 long, with no
// trailing dot.
func validHostname(host string) bool {
	if len(host) > 253 {
		return false
	}
	for label := range strings.SplitSeq(host, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
