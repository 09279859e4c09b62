package notify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTemplates(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "identity-code.txt"), []byte("Code for {{.User}}: {{.Code}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	embedded, err := loadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	custom, err := loadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	code := Message{User: "alice", Code: "1234", Lifetime: 90 * time.Second}
	invite := Message{User: "bob", Name: "Example", Link: "https://auth.example.com/enroll?token=a&b=<c>"}
	tests := []struct {
		name      string
		t         *templates
		m         Message
		wantText  []string
		wantHTML  []string
		wantNotIn string // not in the text body
	}{
		{"embedded code", embedded, code, []string{"Your Keygate verification code is:", "1234", "valid for 2 minutes"},
			[]string{"<strong>1234</strong>"}, ""},
		{"operator's text, embedded HTML", custom, code, []string{"Code for alice: 1234\n"},
			[]string{"<strong>1234</strong>"}, "verification code is"},
		{"invite", custom, invite, []string{"Hello bob,", "for Example", "    https://auth.example.com/enroll?token=a&b=<c>", "It works once."},
			[]string{`<a href="https://auth.example.com/enroll?token=a&amp;b=%3cc%3e">`}, "valid for"},
		{"invite with lifetime", embedded, Message{Link: "https://l", Lifetime: time.Hour}, []string{"valid for 60 minutes"}, nil, ""},
		{"explicit kind", embedded, Message{Kind: KindInvite, Code: "x", Link: "https://l"}, []string{"https://l"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, html, err := tt.t.render(tt.m)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(text, w) {
					t.Errorf("text %q lacks %q", text, w)
				}
			}
			for _, w := range tt.wantHTML {
				if !strings.Contains(html, w) {
					t.Errorf("html %q lacks %q", html, w)
				}
			}
			if tt.wantNotIn != "" && strings.Contains(text, tt.wantNotIn) {
				t.Errorf("text %q holds %q", text, tt.wantNotIn)
			}
		})
	}
}

func TestTemplatesErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "invite.html"), []byte("<p>{{.Link</p>"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := loadTemplates(dir)
	if err == nil || !strings.HasPrefix(err.Error(), "notifier.templates: template: invite.html:1:") {
		t.Errorf("loadTemplates with a broken file: got %v, want an error naming notifier.templates and invite.html", err)
	}
	unknown := t.TempDir()
	if err := os.WriteFile(filepath.Join(unknown, "identity-code.txt"), []byte("{{.Nope}}"), 0o600); err != nil {
		t.Fatal(err)
	}
	tm, err := loadTemplates(unknown)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tm.render(Message{Code: "1"}); err == nil || !strings.Contains(err.Error(), "Nope") {
		t.Errorf("render with an unknown field: got %v, want an error naming it", err)
	}
	if _, err := New(Config{Templates: dir, SMTP: SMTPConfig{Address: "127.0.0.1:25", Sender: "k@example.com"}}, nil); err == nil {
		t.Error("New with a broken template: got nil error")
	}
}
