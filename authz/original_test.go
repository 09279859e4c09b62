package authz

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var cmpOriginal = cmp.AllowUnexported(original{})

func TestFromForwarded(t *testing.T) {
	tests := []struct {
		name                     string
		method, proto, host, uri string
		want                     original
		wantErr                  error
	}{
		{name: "plain", method: "GET", proto: "https", host: "app.example.com", uri: "/x?y=1",
			want: original{method: "GET", proto: "https", host: "app.example.com", name: "app.example.com", uri: "/x?y=1"}},
		{name: "normalised", method: "patch", proto: "HTTP", host: "App.Example.com.:8080", uri: "/",
			want: original{method: "PATCH", proto: "http", host: "App.Example.com.:8080", name: "app.example.com", uri: "/"}},
		{name: "ipv6", method: "GET", proto: "https", host: "[2001:DB8::1]:443", uri: "/",
			want: original{method: "GET", proto: "https", host: "[2001:DB8::1]:443", name: "2001:db8::1", uri: "/"}},
		{name: "ipv4", method: "GET", proto: "https", host: "192.0.2.1", uri: "/",
			want: original{method: "GET", proto: "https", host: "192.0.2.1", name: "192.0.2.1", uri: "/"}},
		{name: "no method", proto: "https", host: "a.example.com", uri: "/", wantErr: errMissing},
		{name: "no proto", method: "GET", host: "a.example.com", uri: "/", wantErr: errMissing},
		{name: "no host", method: "GET", proto: "https", uri: "/", wantErr: errMissing},
		{name: "no uri", method: "GET", proto: "https", host: "a.example.com", wantErr: errMissing},
		{name: "bad method", method: "GE(T", proto: "https", host: "a.example.com", uri: "/", wantErr: errMethod},
		{name: "long method", method: strings.Repeat("A", 33), proto: "https", host: "a.example.com", uri: "/", wantErr: errMethod},
		{name: "bad proto", method: "GET", proto: "https,http", host: "a.example.com", uri: "/", wantErr: errProto},
		{name: "bad host", method: "GET", proto: "https", host: "a.example.com, b.example.com", uri: "/", wantErr: errHost},
		{name: "bad uri", method: "GET", proto: "https", host: "a.example.com", uri: "*", wantErr: errURI},
		{name: "dot uri", method: "GET", proto: "https", host: "a.example.com", uri: "/a/%2E%2e/b", wantErr: errDotPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range map[string]string{
				"X-Forwarded-Method": tt.method, "X-Forwarded-Proto": tt.proto,
				"X-Forwarded-Host": tt.host, "X-Forwarded-Uri": tt.uri,
			} {
				if v != "" {
					h.Set(k, v)
				}
			}
			got, err := fromForwarded(h)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmpOriginal); diff != "" {
				t.Errorf("original (-want +got):\n%s", diff)
			}
			if want := tt.proto + "://" + tt.host + tt.uri; !strings.EqualFold(got.URL(), want) {
				t.Errorf("got URL %q, want %q", got.URL(), want)
			}
		})
	}
}

func TestFromOriginalURL(t *testing.T) {
	tests := []struct {
		url     string
		want    original
		wantErr error
	}{
		{url: "https://app.example.com/x?y=1&z=%20",
			want: original{method: "GET", proto: "https", host: "app.example.com", name: "app.example.com", uri: "/x?y=1&z=%20", url: "https://app.example.com/x?y=1&z=%20"}},
		{url: "HTTP://App.example.com:81/",
			want: original{method: "GET", proto: "http", host: "App.example.com:81", name: "app.example.com", uri: "/", url: "HTTP://App.example.com:81/"}},
		{url: "https://[::1]:8443/a",
			want: original{method: "GET", proto: "https", host: "[::1]:8443", name: "::1", uri: "/a", url: "https://[::1]:8443/a"}},
		{url: "", wantErr: errMissing},
		{url: "/relative", wantErr: errURL},
		{url: "//app.example.com/", wantErr: errURL},
		{url: "ftp://app.example.com/", wantErr: errURL},
		{url: "https://app.example.com", wantErr: errURL},
		{url: "https://app.example.com?x=/", wantErr: errHost},
		{url: "https://user:pw@app.example.com/", wantErr: errURL},
		{url: "https:///x", wantErr: errHost},
		{url: "https://app.example.com:0/", wantErr: errHost},
		{url: "https://app.example.com:65536/", wantErr: errHost},
		{url: "https://app.example.com/a#frag", wantErr: errURI},
		{url: "https://app.example.com/a b", wantErr: errURI},
		{url: "https://app.example.com/%zz", wantErr: errURI},
		{url: "https://app.example.com/a/..", wantErr: errDotPath},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			h := http.Header{}
			h.Set("X-Original-Method", "GET")
			if tt.url != "" {
				h.Set("X-Original-URL", tt.url)
			}
			got, err := fromOriginalURL(h)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmpOriginal); diff != "" {
				t.Errorf("original (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAmbiguousHost: a host that proxies, applications and Keygate could read
// as different names is refused, in X-Forwarded-Host and in X-Original-URL.
func TestAmbiguousHost(t *testing.T) {
	hosts := map[string]string{
		"comma":             "app.example.com,public.example.com",
		"comma and space":   "app.example.com, public.example.com",
		"userinfo":          "public.example.com@app.example.com",
		"space":             "app.example.com public.example.com",
		"tab":               "app.example.com\tx",
		"newline":           "app.example.com\nx",
		"nul":               "app.example.com\x00",
		"slash":             "app.example.com/public",
		"backslash":         "app.example.com\\public",
		"percent":           "app%2eexample.com",
		"question mark":     "app.example.com?x",
		"hash":              "app.example.com#x",
		"empty port":        "app.example.com:",
		"port zero":         "app.example.com:0",
		"port overflow":     "app.example.com:65536",
		"two ports":         "app.example.com:443:443",
		"signed port":       "app.example.com:+443",
		"scheme":            "https://app.example.com",
		"empty label":       "app..example.com",
		"two trailing dots": "app.example.com..",
		"ipv6 unbracketed":  "::1",
		"ipv6 zone":         "[fe80::1%25eth0]",
		"non-ascii":         "app.ex\xc3\xa4mple.com",
	}
	for name, host := range hosts {
		t.Run(name, func(t *testing.T) {
			h := http.Header{"X-Forwarded-Method": {"GET"}, "X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {host}, "X-Forwarded-Uri": {"/"}}
			if o, err := fromForwarded(h); err == nil {
				t.Errorf("X-Forwarded-Host %q: got name %q, want a refusal", host, o.name)
			}
			if name == "slash" {
				return // in a URL, the path's start
			}
			u := http.Header{"X-Original-Method": {"GET"}, "X-Original-Url": {"https://" + host + "/"}}
			if o, err := fromOriginalURL(u); err == nil {
				t.Errorf("X-Original-URL with host %q: got name %q, want a refusal", host, o.name)
			}
		})
	}
	t.Run("repeated", func(t *testing.T) {
		h := http.Header{"X-Forwarded-Method": {"GET"}, "X-Forwarded-Proto": {"https"},
			"X-Forwarded-Host": {"app.example.com", "public.example.com"}, "X-Forwarded-Uri": {"/"}}
		if _, err := fromForwarded(h); !errors.Is(err, errRepeated) {
			t.Errorf("two X-Forwarded-Host: got %v, want %v", err, errRepeated)
		}
		u := http.Header{"X-Original-Method": {"GET"}, "X-Original-Url": {"https://app.example.com/", "https://public.example.com/"}}
		if _, err := fromOriginalURL(u); !errors.Is(err, errRepeated) {
			t.Errorf("two X-Original-URL: got %v, want %v", err, errRepeated)
		}
	})
}

func TestSingleHeader(t *testing.T) {
	tests := []struct {
		name    string
		values  []string
		want    string
		wantErr error
	}{
		{"absent", nil, "", errMissing},
		{"empty", []string{""}, "", errMissing},
		{"one", []string{"a"}, "a", nil},
		{"two", []string{"a", "b"}, "", errRepeated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.values != nil {
				h["X-Forwarded-Uri"] = tt.values
			}
			got, err := single(h, "X-Forwarded-Uri")
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("got %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseHost(t *testing.T) {
	valid := map[string]string{
		"example.com":           "example.com",
		"EXAMPLE.com":           "example.com",
		"example.com.":          "example.com",
		"a-b.c_d.example.com":   "a-b.c_d.example.com",
		"xn--bcher-kva.test":    "xn--bcher-kva.test",
		"localhost:9091":        "localhost",
		"192.0.2.1:65535":       "192.0.2.1",
		"[::1]":                 "::1",
		"[2001:db8:0::1]:1":     "2001:db8::1",
		"[::ffff:192.0.2.1]":    "::ffff:192.0.2.1",
		strings.Repeat("a", 63): strings.Repeat("a", 63),
	}
	for in, want := range valid {
		if got, err := parseHost(in); got != want || err != nil {
			t.Errorf("parseHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	invalid := []string{
		"", ".", "..", "a..b", ".a", "a.b..", "-a.com", "a-.com", "a b", "a/b", "a@b", "a,b",
		"b\xc3\xbccher.de", "a:", "a:0", "a:080", "a:65536", "a:1:2", ":80", "::1", "[::1", "[::1]x",
		"[::1]:", "[192.0.2.1]", "[fe80::1%25eth0]", "[v1.x]", strings.Repeat("a", 64) + ".com",
		strings.Repeat("a.", 127) + "ab",
	}
	for _, in := range invalid {
		if got, err := parseHost(in); !errors.Is(err, errHost) {
			t.Errorf("parseHost(%q) = %q, %v; want errHost", in, got, err)
		}
	}
}

func TestCheckURI(t *testing.T) {
	tests := []struct {
		uri  string
		want error
	}{
		{"/", nil},
		{"/a/b?c=d&e=f", nil},
		{"/.well-known/webauthn", nil},
		{"/a..b/...", nil},
		{"/a/.b/c.", nil},
		{"/x?path=../../etc", nil},
		{"/a%20b?c=%2F%5C\\", nil},
		{"/%252e%252e/x", nil},
		{"/caf\xc3\xa9", nil},
		{"/a|b{c}", nil},
		{"//double", nil},
		{"", errURI},
		{"a", errURI},
		{"*", errURI},
		{"http://x/", errURI},
		{"/a b", errURI},
		{"/a\tb", errURI},
		{"/a\x7fb", errURI},
		{"/a\x00", errURI},
		{"/a#b", errURI},
		{"/a%", errURI},
		{"/a%2", errURI},
		{"/a%g0", errURI},
		{"/..", errDotPath},
		{"/.", errDotPath},
		{"/a/./b", errDotPath},
		{"/public/../admin", errDotPath},
		{"/public/%2e%2E/admin", errDotPath},
		{"/public/.%2e/admin", errDotPath},
		{"/public/..;jsessionid=1/admin", errDotPath},
		{"/public/.;x/admin", errDotPath},
		{"/public\\..\\admin", errDotPath},
		{"/public%2f..%2fadmin", errDotPath},
		{"/public%5C..%5cadmin", errDotPath},
		{"/a/..?x", errDotPath},
		{"/admin%2Fusers", errSeparator},
		{"/admin%2fusers", errSeparator},
		{"/%2Fadmin", errSeparator},
		{"/admin%5Cusers", errSeparator},
		{"/admin%5cusers", errSeparator},
		{"/admin\\users", errSeparator},
		{"/admin\\", errSeparator},
	}
	for _, tt := range tests {
		if got := checkURI(tt.uri); !errors.Is(got, tt.want) {
			t.Errorf("checkURI(%q) = %v, want %v", tt.uri, got, tt.want)
		}
	}
}

// TestForwardedForEntry checks the parse of one X-Forwarded-For entry: the
// client IP policy sees is unmapped and has no zone, and anything but a bare
// address is no address (clientIP then falls back to the peer, as the router
// does).
func TestForwardedForEntry(t *testing.T) {
	tests := map[string]netip.Addr{
		"198.51.100.7":           netip.MustParseAddr("198.51.100.7"),
		"::ffff:198.51.100.7":    netip.MustParseAddr("198.51.100.7"),
		"2001:db8::1":            netip.MustParseAddr("2001:db8::1"),
		" [2001:db8::1] ":        netip.MustParseAddr("2001:db8::1"),
		"fe80::1%eth0":           {},
		"":                       {},
		"unknown":                {},
		"198.51.100.7:1234":      {},
		"198.51.100.7, 10.0.0.1": {},
	}
	for in, want := range tests {
		got, ok := parseForwardedFor(in)
		if got != want || ok != want.IsValid() {
			t.Errorf("X-Forwarded-For entry %q: got %v, %v; want %v, %v", in, got, ok, want, want.IsValid())
		}
	}
}
