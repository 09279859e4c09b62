package token

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func TestMintParseVerify(t *testing.T) {
	text, tok, err := Mint("alice", " phone ", Scope{Hosts: []string{"Cal.Example.com"}}, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(tok.Hash), text) || len(tok.Hash) != 32 {
		t.Errorf("stored hash %x: want a 32-byte SHA-256, not the text", tok.Hash)
	}
	if tok.Name != "phone" || tok.Scope.Hosts[0] != "cal.example.com" || !tok.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Errorf("got %+v", tok)
	}
	id, secret, err := Parse(text)
	if err != nil || id != tok.ID {
		t.Fatalf("Parse(%q) = %q, %v; want ID %q", text, id, err, tok.ID)
	}
	if !tok.Verify(secret) {
		t.Error("Verify(the secret) = false")
	}
	flipped := []byte(secret)
	flipped[0] ^= 1
	if tok.Verify(string(flipped)) || tok.Verify("") {
		t.Error("Verify(another secret) = true")
	}
	other, _, _ := Mint("alice", "x", Scope{Hosts: []string{"a.example.com"}}, now, time.Hour)
	if text == other {
		t.Error("two mints gave the same text")
	}
	if tok.Expired(now.Add(time.Hour-time.Second)) || !tok.Expired(now.Add(time.Hour)) {
		t.Error("Expired: want false before ExpiresAt, true from it")
	}
}

func TestMintRefuses(t *testing.T) {
	ok := Scope{Hosts: []string{"a.example.com"}}
	for name, call := range map[string]func() error{
		"no user":     func() error { _, _, err := Mint("", "x", ok, now, time.Hour); return err },
		"empty name":  func() error { _, _, err := Mint("a", " ", ok, now, time.Hour); return err },
		"long name":   func() error { _, _, err := Mint("a", strings.Repeat("x", 65), ok, now, time.Hour); return err },
		"control":     func() error { _, _, err := Mint("a", "x\ty", ok, now, time.Hour); return err },
		"no lifetime": func() error { _, _, err := Mint("a", "x", ok, now, 0); return err },
		"no host":     func() error { _, _, err := Mint("a", "x", Scope{}, now, time.Hour); return err },
		"bad host": func() error {
			_, _, err := Mint("a", "x", Scope{Hosts: []string{"https://a"}}, now, time.Hour)
			return err
		},
		"bad path": func() error {
			_, _, err := Mint("a", "x", Scope{Hosts: ok.Hosts, Paths: []string{"cal"}}, now, time.Hour)
			return err
		},
		"dot path": func() error {
			_, _, err := Mint("a", "x", Scope{Hosts: ok.Hosts, Paths: []string{"/a/../b"}}, now, time.Hour)
			return err
		},
		"lower method": func() error {
			_, _, err := Mint("a", "x", Scope{Hosts: ok.Hosts, Methods: []string{"get"}}, now, time.Hour)
			return err
		},
		"wildcard alone": func() error { _, _, err := Mint("a", "x", Scope{Hosts: []string{"*"}}, now, time.Hour); return err },
	} {
		if err := call(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
}

func TestParseMalformed(t *testing.T) {
	good, _, _ := Mint("a", "x", Scope{Hosts: []string{"a.example.com"}}, now, time.Hour)
	for _, text := range []string{"", "kgt_", good[4:], "KGT" + good[3:], good + "x", good[:len(good)-1],
		strings.Replace(good, "_", "-", 2), "kgt_" + strings.ToUpper(good[4:20]) + good[20:]} {
		if _, _, err := Parse(text); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q): got %v, want ErrMalformed", text, err)
		}
	}
}

func TestScopePermits(t *testing.T) {
	s := Scope{Hosts: []string{"dav.example.com", "*.git.example.com"}, Paths: []string{"/cal", "/files/"}, Methods: []string{"GET", "PROPFIND"}}
	tests := []struct {
		host, path, method string
		want               bool
	}{
		{"dav.example.com", "/cal", "GET", true},
		{"dav.example.com", "/cal/home", "PROPFIND", true},
		{"dav.example.com", "/calendar", "GET", false},
		{"dav.example.com", "/files/a", "GET", true},
		{"dav.example.com", "/files", "GET", false},
		{"dav.example.com", "/cal", "DELETE", false},
		{"other.example.com", "/cal", "GET", false},
		{"a.git.example.com", "/cal", "GET", true},
		{"git.example.com", "/cal", "GET", false},
		{"xdav.example.com", "/cal", "GET", false},
	}
	for _, tt := range tests {
		if got := s.Permits(tt.host, tt.path, tt.method); got != tt.want {
			t.Errorf("Permits(%s, %s, %s) = %v, want %v", tt.host, tt.path, tt.method, got, tt.want)
		}
	}
	any := Scope{Hosts: []string{"dav.example.com"}}
	if !any.Permits("dav.example.com", "/anything", "DELETE") {
		t.Error("a scope without paths or methods refuses a path or method")
	}
}

func TestFromAuthorization(t *testing.T) {
	basic := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		value, text, user string
		ok                bool
	}{
		{"Bearer kgt_x", "kgt_x", "", true},
		{"bearer  kgt_x", "kgt_x", "", true},
		{"Bearer ", "", "", false},
		{basic("alice:kgt_x"), "kgt_x", "alice", true},
		{basic(":kgt_x"), "kgt_x", "", true},
		{basic("alice"), "", "", false},
		{basic("alice:"), "", "", false},
		{"Basic !!", "", "", false},
		{"Digest x", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		text, user, ok := FromAuthorization(tt.value)
		if text != tt.text || user != tt.user || ok != tt.ok {
			t.Errorf("FromAuthorization(%q) = %q, %q, %v; want %q, %q, %v", tt.value, text, user, ok, tt.text, tt.user, tt.ok)
		}
	}
}
