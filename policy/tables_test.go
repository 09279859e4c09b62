package policy

import (
	"strings"
	"time"
)

// The configs and requests of the golden decision tables and the validation
// golden file. Each table's file in testdata shows its rules above the rows.

func domainsConfig() Config {
	return Config{Rules: []Rule{
		{Domain: []string{"public.example.com"}, Policy: "bypass"},
		{Domain: []string{"*.internal.example.com"}, Policy: "two_factor"},
		{Domain: []string{"App.Example.com", "app2.example.com."}, Policy: "one_factor"},
		{Domain: []string{"*.example.com"}, Policy: "deny"},
		{Domain: []string{"10.0.0.1"}, Policy: "bypass"},
	}}
}

func domainsCases() []goldenCase {
	var cases []goldenCase
	for _, url := range []string{
		"public.example.com/",
		"PUBLIC.Example.com:443/",
		"public.example.com./",
		"x.public.example.com/",
		"a.internal.example.com/",
		"a.b.c.internal.example.com:8443/",
		"internal.example.com/",
		"app.example.com/",
		"app2.example.com:8443/",
		"example.com/",
		"other.org/",
		"/",
		"10.0.0.1:80/",
		"[::1]:9091/",
		strings.Repeat("x", 30) + ".example.com/",
	} {
		for _, who := range []string{"anonymous", "alice/2f"} {
			cases = append(cases, goldenCase{who, "GET", url, "192.0.2.1"})
		}
	}
	return cases
}

func subjectsConfig() Config {
	return Config{DefaultPolicy: "deny", Rules: []Rule{
		{Domain: []string{"admin.example.com"}, Subject: []string{"group:admins"}, Policy: "two_factor"},
		{Domain: []string{"admin.example.com"}, Subject: []string{"user:bob"}, Policy: "one_factor"},
		{Domain: []string{"admin.example.com"}, Policy: "deny"},
		{Domain: []string{"wiki.example.com"}, Resources: []string{"^/edit/"}, Subject: []string{"group:dev", "user:carol"}, Policy: "one_factor"},
		{Domain: []string{"wiki.example.com"}, Resources: []string{"^/edit/"}, Policy: "deny"},
		{Domain: []string{"wiki.example.com"}, Policy: "bypass"},
	}}
}

func subjectsCases() []goldenCase {
	return []goldenCase{
		{"", "GET", "admin.example.com/", "192.0.2.1"},
		{"", "GET", "wiki.example.com/edit/home", "192.0.2.1"},
		{"anonymous", "GET", "wiki.example.com/view/home", "192.0.2.1"},
	}
}

func levelsConfig() Config {
	return Config{DefaultPolicy: "one_factor", Rules: []Rule{
		{Domain: []string{"bypass.example.com"}, Policy: "bypass"},
		{Domain: []string{"one.example.com"}, Policy: "one_factor"},
		{Domain: []string{"two.example.com"}, Policy: "two_factor"},
		{Domain: []string{"deny.example.com"}, Policy: "deny"},
		{Domain: []string{"fresh1.example.com"}, Policy: "one_factor", MaxAge: 5 * time.Minute},
		{Domain: []string{"fresh2.example.com"}, Policy: "two_factor", MaxAge: 15 * time.Minute},
	}}
}

func levelsCases() []goldenCase {
	var cases []goldenCase
	for _, host := range []string{"bypass", "one", "two", "deny", "fresh1", "fresh2", "unlisted"} {
		cases = append(cases, goldenCase{"", "GET", host + ".example.com/", "192.0.2.1"})
	}
	return cases
}

func requestsConfig() Config {
	return Config{Rules: []Rule{
		{Domain: []string{"api.example.com"}, Methods: []string{"OPTIONS"}, Policy: "bypass"},
		{Domain: []string{"api.example.com"}, Resources: []string{"^/public/", "^/health$"}, Policy: "bypass"},
		{Domain: []string{"api.example.com"}, Resources: []string{"[?&]token="}, Policy: "deny"},
		{Domain: []string{"api.example.com"}, Networks: []string{"10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "::ffff:172.16.0.0/108"}, Policy: "one_factor"},
		{Domain: []string{"api.example.com"}, Methods: []string{"GET", "HEAD"}, Policy: "two_factor"},
		{Domain: []string{"api.example.com"}, Policy: "deny"},
	}}
}

func requestsCases() []goldenCase {
	const a = "anonymous"
	const alice = "alice/1f"
	return []goldenCase{
		{a, "OPTIONS", "api.example.com/anything", "198.51.100.9"},
		{a, "options", "api.example.com/anything", "198.51.100.9"},
		{a, "GET", "api.example.com/public/logo.png", "198.51.100.9"},
		{a, "GET", "api.example.com/health", "198.51.100.9"},
		{a, "GET", "api.example.com/health?", "198.51.100.9"},
		{a, "GET", "api.example.com/health?full=1", "198.51.100.9"},
		{alice, "GET", "api.example.com/items?token=abc", "10.1.2.3"},
		{alice, "GET", "api.example.com/items?page=2&token=abc", "10.1.2.3"},
		{alice, "GET", "api.example.com/items?mytoken=abc", "10.1.2.3"},
		{alice, "GET", "api.example.com/items", "10.1.2.3"},
		{alice, "GET", "api.example.com/items", "::ffff:10.1.2.3"},
		{alice, "GET", "api.example.com/items", "192.168.1.7"},
		{alice, "GET", "api.example.com/items", "192.168.1.8"},
		{alice, "GET", "api.example.com/items", "2001:db8::42"},
		{alice, "GET", "api.example.com/items", "172.31.255.1"},
		{alice, "GET", "api.example.com/items", "fe80::1%eth0"},
		{alice, "GET", "api.example.com/items", ""},
		{alice, "POST", "api.example.com/items", "198.51.100.9"},
		{"alice/2f", "HEAD", "api.example.com/items", "198.51.100.9"},
		{"alice/2f", "FETCH", "api.example.com/items", "198.51.100.9"},
	}
}

// invalidConfig has one of every kind of mistake Validate reports.
func invalidConfig() Config {
	return Config{DefaultPolicy: "allow", Rules: []Rule{
		{Domain: []string{"", "app.*.example.com", "*example.com", "*", "app.example.com:8443", "https://app.example.com"}, Policy: "bypass"},
		{Resources: []string{"^/admin(", "", "(?P<x"}, Policy: "one_factor"},
		{Methods: []string{"get", "FETCH", ""}, Networks: []string{"10.0.0.0/33", "10.0.0", "fe80::1%eth0", "::ffff:0:0/95"}, Policy: "two_factor"},
		{Subject: []string{"admins", "user:", "group: admins", "User:alice"}, Policy: "TwoFactor"},
		{Domain: []string{"ok.example.com"}},
		{Policy: "bypass", MaxAge: 15 * time.Minute},
		{Policy: "deny", MaxAge: time.Hour},
		{Policy: "one_factor", MaxAge: -time.Minute},
		{Policy: "two_factor", Require: &Require{Attachment: "usb", AAGUIDs: []string{"cb69481e8ff7403993ec0a2729a154a8", "yubikey"}, MaxAge: -time.Second}},
		{Policy: "bypass", Require: &Require{DeviceBound: true}, Tokens: "allow"},
		{Policy: "deny", Tokens: "allow"},
		{Policy: "one_factor", Tokens: "yes"},
	}}
}
