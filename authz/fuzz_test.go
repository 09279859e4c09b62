package authz

import (
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// Run one with: go test -run '^$' -fuzz FuzzParseHost -fuzztime 30s ./authz/

func FuzzParseHost(f *testing.F) {
	for _, s := range []string{"example.com", "A.example.com.:8443", "[::1]:80", "192.0.2.1", "a..b", "[fe80::1%25x]", "a:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, err := parseHost(s)
		if err != nil {
			return
		}
		if name == "" || name != strings.ToLower(name) || strings.HasSuffix(name, ".") || len(name) > 253 {
			t.Fatalf("parseHost(%q) = %q: want a non-empty lower-case name without trailing dot", s, name)
		}
		u, err := url.Parse("http://" + s + "/")
		if err != nil {
			t.Fatalf("parseHost accepted %q, which net/url refuses: %v", s, err)
		}
		if a, err := netip.ParseAddr(name); err == nil && a.Is6() {
			if b, err := netip.ParseAddr(u.Hostname()); err != nil || a != b {
				t.Fatalf("parseHost(%q) = %q, net/url says %q", s, name, u.Hostname())
			}
			return
		}
		if want := strings.TrimSuffix(strings.ToLower(u.Hostname()), "."); name != want {
			t.Fatalf("parseHost(%q) = %q, net/url says %q", s, name, want)
		}
	})
}

// refDotSegment is a plain restatement of hasDotSegment for the fuzzer to compare.
func refDotSegment(uri string) bool {
	path, _, _ := strings.Cut(uri, "?")
	path = strings.NewReplacer("%2e", ".", "%2E", ".", "%2f", "/", "%2F", "/", "%5c", "/", "%5C", "/", `\`, "/").Replace(path)
	for _, seg := range strings.Split(path, "/") {
		seg, _, _ = strings.Cut(seg, ";")
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

func FuzzCheckURI(f *testing.F) {
	for _, s := range []string{"/", "/a/b?c", "/a/../b", "/a/%2e%2E;x/b", `/a\..`, "/a%2f.%2fb", "/%zz", "/a#b", "/caf\xc3\xa9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := checkURI(s)
		if errors.Is(err, errURI) {
			return
		}
		if got, want := errors.Is(err, errDotPath), refDotSegment(s); got != want {
			t.Fatalf("checkURI(%q) = %v; reference dot-segment check says %v", s, err, want)
		}
		if err != nil {
			return
		}
		if !strings.HasPrefix(s, "/") || strings.ContainsAny(s, "# \t\r\n\x00\x7f") {
			t.Fatalf("checkURI accepted %q", s)
		}
		if _, err := url.ParseRequestURI(s); err != nil {
			t.Fatalf("checkURI accepted %q, which net/url refuses: %v", s, err)
		}
	})
}

func FuzzFromOriginalURL(f *testing.F) {
	for _, s := range []string{"https://app.example.com/x?y", "HTTP://[::1]:81/", "https://a@b/", "https://a", "https://a.b/%2e%2e/"} {
		f.Add(s, "GET")
	}
	f.Fuzz(func(t *testing.T, rawURL, method string) {
		h := http.Header{"X-Original-Url": {rawURL}, "X-Original-Method": {method}}
		o, err := fromOriginalURL(h)
		if err != nil {
			return
		}
		if o.URL() != rawURL {
			t.Fatalf("URL() = %q, want the header %q", o.URL(), rawURL)
		}
		if !strings.EqualFold(o.proto+"://"+o.host+o.uri, rawURL) {
			t.Fatalf("parts %q %q %q do not make up %q", o.proto, o.host, o.uri, rawURL)
		}
		if o.method != strings.ToUpper(method) || o.method == "" {
			t.Fatalf("method %q from %q", o.method, method)
		}
		if _, err := url.Parse(rawURL); err != nil {
			t.Fatalf("accepted %q, which net/url refuses: %v", rawURL, err)
		}
	})
}

func FuzzFromForwarded(f *testing.F) {
	f.Add("GET", "https", "app.example.com", "/x?y=1")
	f.Add("post", "HTTP", "[::1]:8080", "/a/..")
	f.Fuzz(func(t *testing.T, method, proto, host, uri string) {
		h := http.Header{
			"X-Forwarded-Method": {method}, "X-Forwarded-Proto": {proto},
			"X-Forwarded-Host": {host}, "X-Forwarded-Uri": {uri},
		}
		o, err := fromForwarded(h)
		if err != nil {
			return
		}
		// The URL rebuilt for rd must read back as the same request.
		back, err := fromOriginalURL(http.Header{"X-Original-Url": {o.URL()}, "X-Original-Method": {method}})
		if err != nil {
			t.Fatalf("rebuilt URL %q refused: %v", o.URL(), err)
		}
		if back.name != o.name || back.uri != o.uri || back.proto != o.proto || back.method != o.method {
			t.Fatalf("rebuilt URL %q reads back as %+v, want %+v", o.URL(), back, o)
		}
	})
}

func FuzzAcceptsHTML(f *testing.F) {
	f.Add("text/html", "*/*;q=0.8")
	f.Add("text/html;q=0", "*/*")
	f.Add("text/*;q=0.5;level=1", "")
	f.Fuzz(func(t *testing.T, a, b string) {
		split := acceptsHTML([]string{a, b})
		if joined := acceptsHTML([]string{a + "," + b}); split != joined {
			t.Fatalf("Accept %q and %q: as two lines %v, as one %v", a, b, split, joined)
		}
		if more := acceptsHTML([]string{a, b, "application/json"}); more != split {
			t.Fatalf("Accept %q and %q: adding application/json changed %v to %v", a, b, split, more)
		}
	})
}
