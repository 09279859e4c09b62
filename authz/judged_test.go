package authz

import "testing"

func TestJudgedURI(t *testing.T) {
	tests := map[string]string{
		"/":                         "/",
		"/secret/x?a=1":             "/secret/x?a=1",
		"/%73ecret/x":               "/secret/x",
		"/%73%65%63%72%65%74":       "/secret",
		"/a%2Db%5F%7e%2E":           "/a-b_~.",
		"/a%20b%25c%3Bd%3F":         "/a%20b%25c%3Bd%3F",
		"/caf%C3%A9":                "/caf%C3%A9",
		"//secret/x":                "/secret/x",
		"/secret//x///":             "/secret/x/",
		"/secret;x=1/y":             "/secret/y",
		"/secret;/y":                "/secret/y",
		"/secret;jsessionid=1":      "/secret",
		"/;x/secret":                "/secret",
		"/a;b;c/d;e":                "/a/d",
		"/secret?q=%73;x//y":        "/secret?q=%73;x//y",
		"/p%3Bx/secret":             "/p%3Bx/secret",
		"/%2573ecret":               "/%2573ecret",
		"/public;x=1?rd=//evil.com": "/public?rd=//evil.com",
	}
	for in, want := range tests {
		if err := checkURI(in); err != nil {
			t.Fatalf("checkURI(%q) = %v; the test wants a target it accepts", in, err)
		}
		if got := judgedURI(in); got != want {
			t.Errorf("judgedURI(%q) = %q, want %q", in, got, want)
		}
		if got := judgedURI(judgedURI(in)); got != judgedURI(in) {
			t.Errorf("judgedURI is not idempotent on %q: %q then %q", in, judgedURI(in), got)
		}
	}
}

func TestJudgedURIPlainDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = judgedURI("/private/page?a=1&b=%2F") }); n != 0 {
		t.Errorf("judgedURI of a plain target allocated %v times, want 0", n)
	}
}
