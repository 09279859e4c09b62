package authz

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"
)

// The reasons an original-request header is refused. They reach the proxy (and,
// through some proxies, the client) in a 400 body, prefixed by the header's name.
var (
	errMissing   = errors.New("missing")
	errRepeated  = errors.New("sent more than once")
	errMethod    = errors.New("not an HTTP method")
	errProto     = errors.New("not http or https")
	errHost      = errors.New("not a host name or IP address with an optional port")
	errURI       = errors.New(`not a request target: must start with "/" and hold no spaces, control characters, "#" or malformed %-escapes`)
	errDotPath   = errors.New(`path has "." or ".." segments`)
	errSeparator = errors.New(`path has "\", "%2F" or "%5C", which applications read differently`)
	errURL       = errors.New("not an absolute http or https URL without user information")
)

// headerError names the original-request header that was missing or malformed.
type headerError struct {
	header string
	err    error
}

// Error returns "<header>: <reason>", the text of the 400 answer.
func (e *headerError) Error() string { return e.header + ": " + e.err.Error() }

// Unwrap returns the reason, one of the err* sentinels.
func (e *headerError) Unwrap() error { return e.err }

// original is the request a proxy asks about.
type original struct {
	method string // an HTTP token, upper case
	proto  string // "http" or "https"
	host   string // the host as sent, with its port if any
	name   string // the host name for policy and session: lower case, no port, brackets or trailing dot
	uri    string // the request target: path and query, starting with "/"
	url    string // the absolute URL when the proxy sent one; built from the parts otherwise
}

// URL returns the absolute URL of the original request.
func (o *original) URL() string {
	if o.url == "" {
		o.url = o.proto + "://" + o.host + o.uri
	}
	return o.url
}

// The original-request headers, in canonical form so that they are looked up without
// canonicalisation.
const (
	hdrForwardedMethod = "X-Forwarded-Method"
	hdrForwardedProto  = "X-Forwarded-Proto"
	hdrForwardedHost   = "X-Forwarded-Host"
	hdrForwardedURI    = "X-Forwarded-Uri"
	hdrOriginalURL     = "X-Original-Url"
	hdrOriginalMethod  = "X-Original-Method"
)

// fromForwarded reads the original request from X-Forwarded-Method, -Proto, -Host and
// -Uri, all four required. No other header is consulted.
func fromForwarded(h http.Header) (original, error) {
	var o original
	var err error
	if o.method, err = method(h, hdrForwardedMethod); err != nil {
		return o, err
	}
	v, err := single(h, hdrForwardedProto)
	if err != nil {
		return o, err
	}
	if o.proto, err = parseProto(v); err != nil {
		return o, &headerError{hdrForwardedProto, err}
	}
	if o.host, err = single(h, hdrForwardedHost); err != nil {
		return o, err
	}
	if o.name, err = parseHost(o.host); err != nil {
		return o, &headerError{hdrForwardedHost, err}
	}
	if o.uri, err = single(h, hdrForwardedURI); err != nil {
		return o, err
	}
	if err = checkURI(o.uri); err != nil {
		return o, &headerError{hdrForwardedURI, err}
	}
	return o, nil
}

// fromOriginalURL reads the original request from X-Original-URL (absolute) and
// X-Original-Method, both required.
func fromOriginalURL(h http.Header) (original, error) {
	var o original
	var err error
	if o.method, err = method(h, hdrOriginalMethod); err != nil {
		return o, err
	}
	if o.url, err = single(h, hdrOriginalURL); err != nil {
		return o, err
	}
	if err = o.splitURL(); err != nil {
		return o, &headerError{displayName(hdrOriginalURL), err}
	}
	return o, nil
}

// splitURL parses o.url as scheme "://" host [":" port] request-target.
func (o *original) splitURL() error {
	scheme, rest, ok := strings.Cut(o.url, "://")
	if !ok {
		return errURL
	}
	var err error
	if o.proto, err = parseProto(scheme); err != nil {
		return errURL
	}
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return errURL
	}
	o.host, o.uri = rest[:i], rest[i:]
	if strings.IndexByte(o.host, '@') >= 0 {
		return errURL
	}
	if o.name, err = parseHost(o.host); err != nil {
		return err
	}
	return checkURI(o.uri)
}

// single returns the one value of header key; it is an error when the header is
// absent, empty or repeated (a repeated header is ambiguous: never guess which).
func single(h http.Header, key string) (string, error) {
	v := h[key]
	switch {
	case len(v) == 0 || len(v) == 1 && v[0] == "":
		return "", &headerError{displayName(key), errMissing}
	case len(v) > 1:
		return "", &headerError{displayName(key), errRepeated}
	}
	return v[0], nil
}

// displayName spells a header as the documentation does.
func displayName(key string) string {
	if key == hdrOriginalURL {
		return "X-Original-URL"
	}
	return key
}

// method returns the method in header key, upper-cased so that policy rules (written
// upper case) also catch an application that reads methods case-insensitively.
func method(h http.Header, key string) (string, error) {
	v, err := single(h, key)
	if err != nil {
		return "", err
	}
	if len(v) > 32 {
		return "", &headerError{key, errMethod}
	}
	for i := 0; i < len(v); i++ {
		if !isTokenChar(v[i]) {
			return "", &headerError{key, errMethod}
		}
	}
	return strings.ToUpper(v), nil
}

// isTokenChar reports whether c may appear in an HTTP token (RFC 9110 tchar).
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// parseProto accepts http and https in any case and returns them lower case.
func parseProto(s string) (string, error) {
	switch {
	case strings.EqualFold(s, "https"):
		return "https", nil
	case strings.EqualFold(s, "http"):
		return "http", nil
	}
	return "", errProto
}

// parseHost checks a Host-style value (name, IPv4 or [IPv6], each with an optional
// port) and returns the name policy and sessions see: lower case, without port,
// brackets or a trailing dot.
func parseHost(s string) (string, error) {
	if strings.HasPrefix(s, "[") {
		return parseIPv6Host(s)
	}
	name, port, hasPort := strings.Cut(s, ":")
	if hasPort && !validPort(port) {
		return "", errHost
	}
	name = strings.TrimSuffix(name, ".")
	if !validHostName(name) {
		return "", errHost
	}
	return strings.ToLower(name), nil
}

// parseIPv6Host handles "[addr]" and "[addr]:port".
func parseIPv6Host(s string) (string, error) {
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return "", errHost
	}
	if rest := s[end+1:]; rest != "" && (rest[0] != ':' || !validPort(rest[1:])) {
		return "", errHost
	}
	a, err := netip.ParseAddr(s[1:end])
	if err != nil || !a.Is6() || a.Zone() != "" {
		return "", errHost
	}
	return a.String(), nil
}

// validPort accepts a decimal port from 1 to 65535 without sign or leading zeros.
func validPort(s string) bool {
	if len(s) == 0 || len(s) > 5 || s[0] == '0' {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n <= 65535
}

// validHostName accepts dot-separated labels of letters, digits, '-' and '_', each
// 1 to 63 bytes long and neither starting nor ending with '-', 253 bytes at most.
// That covers DNS names, punycode and dotted IPv4.
func validHostName(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for {
		label, rest, more := strings.Cut(s, ".")
		if !validLabel(label) {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
}

// validLabel checks one label of a host name.
func validLabel(l string) bool {
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}
