package session

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDomains(t *testing.T) {
	m, _, _ := newTestManager(t, testConfig())
	u := func(s string) *url.URL { v, _ := url.Parse(s); return v }
	want := []Domain{
		{"example.com", u("https://auth.example.com"), u("https://auth.example.com")},
		{"example.org", u("https://login.example.org/keygate"), u("https://www.example.org/home")},
		{"localhost", u("http://localhost:9091"), u("http://localhost:9091")},
	}
	got := m.Domains()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Domains() (-want +got):\n%s", diff)
	}
	got[0].PortalURL.Host = "evil.example.net"
	if h := m.Domains()[0].PortalURL.Host; h != "auth.example.com" {
		t.Errorf("changing a returned Domain changed the Manager's: portal host %q", h)
	}
}

func TestDomainFor(t *testing.T) {
	m, _, _ := newTestManager(t, testConfig())
	tests := []struct {
		host string
		want string // "" for no match
	}{
		{"example.com", "example.com"},
		{"app.example.com", "example.com"},
		{"a.b.example.com", "example.com"},
		{"App.Example.COM:8443", "example.com"},
		{"example.com.", "example.com"},
		{"www.example.org", "example.org"},
		{"localhost:9091", "localhost"},
		{"badexample.com", ""},
		{"example.com.evil.net", ""},
		{"com", ""},
		{"", ""},
		{":443", ""},
		{"[::1]:443", ""},
		{"127.0.0.1", ""},
		{"evil.net/.example.com", ""},
		{"evil.net#.example.com", ""},
		{"a..example.com", ""},
		{".example.com", ""},
		{"exa mple.com", ""},
		{"app.example.com:notaport", ""},
	}
	for _, tc := range tests {
		d, ok := m.DomainFor(tc.host)
		if ok != (tc.want != "") || d.Name != tc.want {
			t.Errorf("DomainFor(%q) = %q, %v; want %q", tc.host, d.Name, ok, tc.want)
		}
	}
}

// TestDomainForLongest covers nested domains, which Config.Validate rejects but
// domainFor still resolves to the longest match.
func TestDomainForLongest(t *testing.T) {
	domains := []Domain{{Name: "example.com"}, {Name: "a.example.com"}, {Name: "b.a.example.com"}}
	tests := map[string]string{
		"example.com":       "example.com",
		"x.example.com":     "example.com",
		"a.example.com":     "a.example.com",
		"x.a.example.com":   "a.example.com",
		"x.b.a.example.com": "b.a.example.com",
		"xa.example.com":    "example.com",
	}
	for host, want := range tests {
		if d, _ := domainFor(domains, host); d.Name != want {
			t.Errorf("domainFor(%q) = %q, want %q", host, d.Name, want)
		}
	}
}

func FuzzDomainFor(f *testing.F) {
	for _, s := range []string{"example.com", "a.example.com:80", "badexample.com", "[::1]:1", "a..example.com", "EXAMPLE.ORG."} {
		f.Add(s)
	}
	m, err := NewManager(testConfig(), newMemStore(), discard)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, host string) {
		d, ok := m.DomainFor(host)
		if !ok {
			return
		}
		name, valid := hostname(host)
		if !valid || !(name == d.Name || strings.HasSuffix(name, "."+d.Name)) {
			t.Errorf("DomainFor(%q) = %q, but the host is not it or under it", host, d.Name)
		}
	})
}
