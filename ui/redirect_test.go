package ui

import (
	"net/url"
	"strings"
	"testing"
)

func TestRedirectTarget(t *testing.T) {
	tests := []struct {
		name   string
		rd     string
		domain string
		ok     bool
	}{
		{"domain itself", "https://example.com/", "example.com", true},
		{"subdomain with path query fragment", "https://app.example.com/a/b?c=d&e=%2F#f", "example.com", true},
		{"deep subdomain and port", "https://a.b.example.com:8443/x", "example.com", true},
		{"upper case host", "https://APP.Example.COM/", "example.com", true},
		{"upper case scheme", "HTTPS://app.example.com/", "example.com", true},
		{"no path", "https://app.example.com", "example.com", true},
		{"underscore label", "https://_svc.example.com/", "example.com", true},
		{"punycode subdomain", "https://xn--bcher-kva.example.com/", "example.com", true},
		{"http localhost", "http://localhost:8080/app", "localhost", true},
		{"https localhost", "https://localhost/", "localhost", true},
		{"http 127.0.0.1 as domain", "http://127.0.0.1:9091/", "127.0.0.1", true},
		{"http ::1 as domain", "http://[::1]:9091/", "::1", true},

		{"empty", "", "example.com", false},
		{"relative path", "/app", "example.com", false},
		{"scheme-relative", "//evil.com", "example.com", false},
		{"scheme-relative on domain", "//app.example.com/", "example.com", false},
		{"other domain", "https://evil.com/", "example.com", false},
		{"suffix without dot", "https://notexample.com/", "example.com", false},
		{"domain as prefix", "https://example.com.evil.com/", "example.com", false},
		{"parent domain", "https://com/", "example.com", false},
		{"backslash userinfo", `https://evil.com\@example.com`, "example.com", false},
		{"encoded backslash userinfo", "https://evil.com%5C@example.com", "example.com", false},
		{"userinfo", "https://user@example.com/", "example.com", false},
		{"userinfo with password", "https://user:pw@example.com/", "example.com", false},
		{"userinfo evil host", "https://example.com@evil.com/", "example.com", false},
		{"empty userinfo", "https://@example.com/", "example.com", false},
		{"backslash path", `https://example.com\evil.com`, "example.com", false},
		{"backslash after scheme", `https:\\evil.com`, "example.com", false},
		{"mixed slashes", `https:/\evil.com`, "example.com", false},
		{"single slash", "https:/example.com/", "example.com", false},
		{"opaque", "https:example.com", "example.com", false},
		{"triple slash", "https:///example.com", "example.com", false},
		{"empty host with port", "https://:443/", "example.com", false},
		{"javascript", "javascript:alert(1)", "example.com", false},
		{"javascript with slashes", "javascript://example.com/%0Aalert(1)", "example.com", false},
		{"data", "data:text/html,<script>alert(1)</script>", "example.com", false},
		{"ftp", "ftp://example.com/", "example.com", false},
		{"ws", "wss://app.example.com/", "example.com", false},
		{"http not localhost", "http://app.example.com/", "example.com", false},
		{"http localhost subdomain", "http://app.localhost/", "localhost", true},
		{"http under a .localhost domain", "http://app.nginx.localhost:8080/x", "nginx.localhost", true},
		{"http .localhost lookalike", "http://app.localhost.example.com/", "example.com", false},
		{"tab in host", "https://exa\tmple.com/", "example.com", false},
		{"newline in path", "https://example.com/\n", "example.com", false},
		{"space", "https://example.com/ x", "example.com", false},
		{"leading space", " https://example.com/", "example.com", false},
		{"NUL", "https://example.com/\x00", "example.com", false},
		{"DEL", "https://example.com/\x7f", "example.com", false},
		{"percent-encoded host", "https://%65xample.com/", "example.com", false},
		{"percent-encoded dot", "https://evil%2ecom.example.com/", "example.com", false},
		{"IDN fullwidth dot", "https://evil.com\uff0eexample.com/", "example.com", false},
		{"IDN unicode host", "https://exämple.com/", "exämple.com", false},
		{"non-ASCII path", "https://example.com/caf\u00e9", "example.com", false},
		{"trailing dot", "https://example.com./", "example.com", false},
		{"empty label", "https://app..example.com/", "example.com", false},
		{"leading hyphen label", "https://-app.example.com/", "example.com", false},
		{"IP address", "https://192.0.2.1/", "example.com", false},
		{"IPv6 zone", "https://[fe80::1%25eth0]/", "fe80::1", false},
		{"bad port", "https://example.com:99999/", "example.com", false},
		{"port with leading zero", "https://example.com:0443/", "example.com", false},
		{"non-numeric port", "https://example.com:http/", "example.com", false},
		{"too long", "https://example.com/" + strings.Repeat("a", maxRedirectLen), "example.com", false},
		{"no domain", "https://example.com/", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := redirectTarget(tt.rd, tt.domain)
			if ok != tt.ok {
				t.Fatalf("redirectTarget(%q, %q) ok = %v, want %v", tt.rd, tt.domain, ok, tt.ok)
			}
			want := ""
			if tt.ok {
				want = tt.rd
			}
			if got != want {
				t.Errorf("redirectTarget(%q, %q) = %q, want %q", tt.rd, tt.domain, got, want)
			}
		})
	}
}

// FuzzRedirectTarget checks that whatever redirectTarget accepts is an absolute
// http(s) URL whose host, as both url.Parse and a plain reading of the
// authority see it, lies on the cookie domain.
func FuzzRedirectTarget(f *testing.F) {
	for _, seed := range []string{
		"https://app.example.com/x?y#z", "//evil.com", "https://example.com.evil.com",
		`https://evil.com\@example.com`, "https://evil.com%5C@example.com", "javascript:alert(1)",
		"http://localhost/", "https://[::1]:1/", "HTTPS://A.EXAMPLE.COM:443", "https://a.example.com:/",
		"https://example.com#@evil.com", "https://example.com?@evil.com", "https://example.com;@evil.com",
	} {
		f.Add(seed, "example.com")
	}
	f.Add("http://localhost:9091/", "localhost")
	f.Fuzz(func(t *testing.T, rd, domain string) {
		got, ok := redirectTarget(rd, domain)
		if !ok {
			if got != "" {
				t.Fatalf("redirectTarget(%q, %q) refused but returned %q", rd, domain, got)
			}
			return
		}
		checkAcceptedRedirect(t, got, domain)
	})
}

func checkAcceptedRedirect(t *testing.T, got, domain string) {
	t.Helper()
	u, err := url.Parse(got)
	if err != nil {
		t.Fatalf("accepted %q does not parse: %v", got, err)
	}
	if u.User != nil || u.Opaque != "" || !u.IsAbs() {
		t.Fatalf("accepted %q has userinfo, is opaque or relative", got)
	}
	host := strings.ToLower(u.Hostname())
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackName(host)) {
		t.Fatalf("accepted %q with scheme %q", got, u.Scheme)
	}
	domain = strings.ToLower(domain)
	if host != domain && !strings.HasSuffix(host, "."+domain) {
		t.Fatalf("accepted %q: host %q is not on domain %q", got, host, domain)
	}
	// A browser reads the authority as everything between "//" and the next / ? #.
	_, rest, _ := strings.Cut(got, "//")
	authority, _, _ := cutAny(rest, "/?#")
	if authority != u.Host || strings.Contains(authority, "@") {
		t.Fatalf("accepted %q: authority %q differs from parsed host %q", got, authority, u.Host)
	}
	for _, c := range []byte(got) {
		if c <= ' ' || c >= 0x7f || c == '\\' {
			t.Fatalf("accepted %q with byte %#x", got, c)
		}
	}
}
