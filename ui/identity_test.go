package ui

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func TestIdentityCodeMessage(t *testing.T) {
	p := newPortal(t, ceremonyConfig(), nil)
	b := p.browser(t)
	b.password("alice")
	r := b.post("/api/identity/code", map[string]any{})
	r.want(t, http.StatusOK, "")
	if got := r.fields(t)["sent_to"]; got != "a***e@e***.com" {
		t.Errorf("sent_to = %v, want a***e@e***.com", got)
	}
	f, err := os.Open(p.notes)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		t.Fatalf("the notifier wrote nothing")
	}
	var line map[string]string
	if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	code := line["code"]
	if line["user"] != "alice" || line["to"] != "alice@example.com" || !strings.Contains(line["subject"], "verification code") {
		t.Errorf("notifier line = %v, want alice's code to alice@example.com with a clear subject", line)
	}
	if len(code) != defaultCodeLength || strings.Trim(code, codeAlphabet) != "" {
		t.Errorf("code %q, want %d characters of %s", code, defaultCodeLength, codeAlphabet)
	}
}

func TestIdentityVerify(t *testing.T) {
	tests := []struct {
		name string
		// attempt is what the browser enters, given the code sent.
		run      func(t *testing.T, p *portal, b *browser, code string) reply
		status   int
		errCode  string
		elevated bool
	}{
		{"right code, typed loosely", func(t *testing.T, p *portal, b *browser, code string) reply {
			loose := strings.ToLower(code[:4]) + " - " + code[4:]
			return b.post("/api/identity/verify", map[string]any{"code": loose})
		}, http.StatusOK, "", true},
		{"wrong code", func(t *testing.T, p *portal, b *browser, code string) reply {
			return b.post("/api/identity/verify", map[string]any{"code": "AAAAAAAA"})
		}, http.StatusUnprocessableEntity, codeInvalidCode, false},
		{"right code after a wrong one", func(t *testing.T, p *portal, b *browser, code string) reply {
			b.post("/api/identity/verify", map[string]any{"code": "AAAAAAAA"}).want(t, http.StatusUnprocessableEntity, codeInvalidCode)
			return b.post("/api/identity/verify", map[string]any{"code": code})
		}, http.StatusOK, "", true},
		{"expired code", func(t *testing.T, p *portal, b *browser, code string) reply {
			p.untilPast(defaultCodeLifetime)
			return b.post("/api/identity/verify", map[string]any{"code": code})
		}, http.StatusUnprocessableEntity, codeCodeExpired, false},
		{"used code", func(t *testing.T, p *portal, b *browser, code string) reply {
			b.post("/api/identity/verify", map[string]any{"code": code}).want(t, http.StatusOK, "")
			return b.post("/api/identity/verify", map[string]any{"code": code})
		}, http.StatusUnprocessableEntity, codeCodeExpired, true},
		{"too many tries", func(t *testing.T, p *portal, b *browser, code string) reply {
			for range maxCodeTries - 1 {
				b.post("/api/identity/verify", map[string]any{"code": "AAAAAAAA"}).want(t, http.StatusUnprocessableEntity, codeInvalidCode)
			}
			b.post("/api/identity/verify", map[string]any{"code": "AAAAAAAA"}).want(t, http.StatusTooManyRequests, codeTooManyTries)
			return b.post("/api/identity/verify", map[string]any{"code": code})
		}, http.StatusUnprocessableEntity, codeCodeExpired, false},
		{"code of another session", func(t *testing.T, p *portal, b *browser, code string) reply {
			other := p.browser(t)
			other.password("alice")
			return other.post("/api/identity/verify", map[string]any{"code": code})
		}, http.StatusUnprocessableEntity, codeCodeExpired, false},
		{"empty code", func(t *testing.T, p *portal, b *browser, code string) reply {
			return b.post("/api/identity/verify", map[string]any{"code": " "})
		}, http.StatusBadRequest, codeInvalidRequest, false},
		{"not signed in", func(t *testing.T, p *portal, b *browser, code string) reply {
			return p.browser(t).post("/api/identity/verify", map[string]any{"code": code})
		}, http.StatusUnauthorized, codeUnauthenticated, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPortal(t, ceremonyConfig(), nil)
			b := p.browser(t)
			b.password("alice")
			b.post("/api/identity/code", map[string]any{}).want(t, http.StatusOK, "")
			before := b.sessionID()
			r := tt.run(t, p, b, p.lastCode(t, "alice"))
			r.want(t, tt.status, tt.errCode)
			elevated := b.post("/api/webauthn/credentials/options", map[string]any{}).status == http.StatusOK
			if elevated != tt.elevated {
				t.Errorf("elevated = %v, want %v", elevated, tt.elevated)
			}
			if tt.status != http.StatusOK {
				return
			}
			until, err := time.Parse(time.RFC3339, r.fields(t)["elevated_until"].(string))
			if want := p.clock.now().Add(defaultElevation); err != nil || until.Sub(want).Abs() > time.Second {
				t.Errorf("elevated_until = %v (%v), want %v", until, err, want)
			}
			if b.sessionID() == before {
				t.Errorf("elevation kept the session ID, want a new one")
			}
		})
	}
}

func TestIdentityCodeRefusals(t *testing.T) {
	t.Run("no email", func(t *testing.T) {
		p := newPortal(t, ceremonyConfig(), nil)
		b := p.browser(t)
		b.password("bob")
		b.post("/api/identity/code", map[string]any{}).want(t, http.StatusConflict, codeNoEmail)
	})
	t.Run("not signed in", func(t *testing.T) {
		p := newPortal(t, ceremonyConfig(), nil)
		p.browser(t).post("/api/identity/code", map[string]any{}).want(t, http.StatusUnauthorized, codeUnauthenticated)
	})
	t.Run("too many codes", func(t *testing.T) {
		p := newPortal(t, ceremonyConfig(), nil)
		b := p.browser(t)
		b.password("alice")
		for range codesPerWindow {
			b.post("/api/identity/code", map[string]any{}).want(t, http.StatusOK, "")
		}
		other := p.browser(t)
		other.password("alice")
		other.post("/api/identity/code", map[string]any{}).want(t, http.StatusTooManyRequests, codeTooManyCodes)
		p.untilPast(codeWindow)
		other.post("/api/identity/code", map[string]any{}).want(t, http.StatusOK, "")
	})
}

func TestNewCode(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		code, err := newCode(8)
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != 8 || strings.Trim(code, codeAlphabet) != "" {
			t.Fatalf("code %q, want 8 characters of %s", code, codeAlphabet)
		}
		if strings.ContainsAny(code, "0O1IL") {
			t.Fatalf("code %q holds an ambiguous character", code)
		}
		seen[code] = true
	}
	if len(seen) != 200 {
		t.Errorf("200 codes held %d distinct ones, want 200", len(seen))
	}
}

func TestMaskEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice@example.com", "a***e@e***.com"},
		{"al@example.co.uk", "a***@e***.uk"},
		{"a@b.io", "a***@b***.io"},
		{"x@localhost", "x***@l***"},
		{"not-an-address", "***"},
	}
	for _, tt := range tests {
		if got := maskEmail(tt.in); got != tt.want {
			t.Errorf("maskEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
