package token

import (
	"fmt"
	"slices"
	"strings"
)

// knownMethods are the methods a scope may name.
var knownMethods = []string{
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
	"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT", "SEARCH", "MKCALENDAR",
}

// Scope is where a token may be used. A request is inside it when its host,
// path and method all are.
type Scope struct {
	// Hosts are exact hosts (app.example.com) or wildcards (*.example.com, any
	// subdomain). At least one is required.
	Hosts []string `json:"hosts"`
	// Paths are path prefixes: "/cal" covers /cal and /cal/..., never /calendar.
	// Empty means every path.
	Paths []string `json:"paths,omitempty"`
	// Methods are upper-case HTTP methods. Empty means every method.
	Methods []string `json:"methods,omitempty"`
}

// canonical validates the scope and returns it with hosts in lower case.
func (s Scope) canonical() (Scope, error) {
	if len(s.Hosts) == 0 {
		return Scope{}, fmt.Errorf("%w: scope has no host: want at least one such as app.example.com or *.example.com", ErrInvalid)
	}
	out := Scope{Paths: slices.Clone(s.Paths), Methods: slices.Clone(s.Methods)}
	for _, h := range s.Hosts {
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		if !validHost(strings.TrimPrefix(h, "*.")) {
			return Scope{}, fmt.Errorf("%w: host %q: want a host such as app.example.com or *.example.com", ErrInvalid, h)
		}
		out.Hosts = append(out.Hosts, h)
	}
	for _, p := range s.Paths {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "?#%\\") || strings.Contains(p, "//") || strings.Contains(p, "/..") {
			return Scope{}, fmt.Errorf("%w: path %q: want a path prefix such as /cal/ without ?, #, %%, \\, // or ..", ErrInvalid, p)
		}
	}
	for _, m := range s.Methods {
		if !slices.Contains(knownMethods, m) {
			return Scope{}, fmt.Errorf("%w: method %q: want one of %s", ErrInvalid, m, strings.Join(knownMethods, ", "))
		}
	}
	return out, nil
}

// validHost reports a DNS name: dot-separated labels of letters, digits, '-'
// and '_', at most 253 bytes.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range []byte(label) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// Permits reports whether a request for host (lower case, without port), path
// (without query, as rules judge it) and method is inside the scope.
func (s *Scope) Permits(host, path, method string) bool {
	return s.permitsHost(host) && s.permitsPath(path) &&
		(len(s.Methods) == 0 || slices.Contains(s.Methods, method))
}

// permitsHost reports whether host is one of the scope's hosts or under one of
// its wildcards.
func (s *Scope) permitsHost(host string) bool {
	for _, h := range s.Hosts {
		if suffix, ok := strings.CutPrefix(h, "*"); ok {
			if len(host) > len(suffix) && strings.HasSuffix(host, suffix) {
				return true
			}
		} else if h == host {
			return true
		}
	}
	return false
}

// permitsPath reports whether path is under one of the prefixes: equal to it,
// or continuing it after a "/".
func (s *Scope) permitsPath(path string) bool {
	if len(s.Paths) == 0 {
		return true
	}
	for _, p := range s.Paths {
		rest, ok := strings.CutPrefix(path, p)
		if ok && (rest == "" || strings.HasSuffix(p, "/") || rest[0] == '/') {
			return true
		}
	}
	return false
}
