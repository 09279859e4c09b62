package notify

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func newFileForTest(t *testing.T) (Notifier, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "notifications.jsonl")
	n, err := New(Config{File: path}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n, path
}

func TestFileNotifier(t *testing.T) {
	n, path := newFileForTest(t)
	messages := []Message{
		{User: "alice", To: "alice@example.com", Subject: "Your code", Code: "12345678"},
		{User: "bob", To: "bob@example.com", Subject: "Enroll \"now\"\n", Link: "https://auth.example.com/enroll?token=x&y=<z>"},
	}
	for _, m := range messages {
		if err := n.Send(context.Background(), m); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != len(messages) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(messages), data)
	}
	for i, line := range lines {
		var got map[string]string
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d %q: %v", i, line, err)
		}
		if _, err := time.Parse(time.RFC3339, got["time"]); err != nil {
			t.Errorf("line %d time %q: %v", i, got["time"], err)
		}
		delete(got, "time")
		m := messages[i]
		want := map[string]string{"user": m.User, "to": m.To, "subject": m.Subject}
		if m.Code != "" {
			want["code"] = m.Code
		}
		if m.Link != "" {
			want["link"] = m.Link
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("line %d (-want +got):\n%s", i, diff)
		}
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("file mode: got %v, want 0600", info.Mode().Perm())
	}
}

func TestFileNotifierConcurrent(t *testing.T) {
	n, path := newFileForTest(t)
	const senders, each = 20, 25
	long := strings.Repeat("x", 8<<10) // lines longer than a pipe buffer
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				m := Message{User: fmt.Sprintf("u%d-%d", s, i), To: "a@example.com", Subject: "s", Link: long}
				if err := n.Send(context.Background(), m); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	seen := make(map[string]bool)
	for sc.Scan() {
		var line fileLine
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.Link != long {
			t.Fatalf("line %d is not a whole message: %v", len(seen), err)
		}
		seen[line.User] = true
	}
	if len(seen) != senders*each {
		t.Errorf("got %d distinct messages, want %d", len(seen), senders*each)
	}
}

func TestConfigValidate(t *testing.T) {
	smtp := func(f func(*SMTPConfig)) Config {
		c := Config{SMTP: SMTPConfig{Address: "mail.example.com:587", Sender: "Keygate <k@example.com>"}}
		f(&c.SMTP)
		return c
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"file", Config{File: "n.jsonl"}, ""},
		{"smtp", smtp(func(*SMTPConfig) {}), ""},
		{"smtp with auth", smtp(func(c *SMTPConfig) { c.Username, c.PasswordFile = "k", "/run/secrets/smtp" }), ""},
		{"insecure loopback", smtp(func(c *SMTPConfig) { c.Address, c.TLS.Insecure = "[::1]:25", true }), ""},
		{"neither", Config{}, "notifier: set notifier.file (a JSON-lines file) or notifier.smtp.address (a mail server)"},
		{"both", Config{File: "n.jsonl", SMTP: SMTPConfig{Address: "mail.example.com:587"}}, "notifier: notifier.file and notifier.smtp.address are both set; want exactly one"},
		{"bad address", smtp(func(c *SMTPConfig) { c.Address = "mail.example.com" }),
			`notifier.smtp.address: "mail.example.com": want host:port, such as mail.example.com:587`},
		{"bad port", smtp(func(c *SMTPConfig) { c.Address = "mail.example.com:0" }),
			`notifier.smtp.address: "mail.example.com:0": want host:port, such as mail.example.com:587`},
		{"insecure remote", smtp(func(c *SMTPConfig) { c.TLS.Insecure = true }),
			`notifier.smtp.tls.insecure: only allowed for a loopback server (127.0.0.1, ::1 or localhost), got host "mail.example.com"`},
		{"no sender", smtp(func(c *SMTPConfig) { c.Sender = "" }),
			"notifier.smtp.sender: required; want an address such as Keygate <keygate@example.com>"},
		{"bad sender", smtp(func(c *SMTPConfig) { c.Sender = "keygate" }),
			`notifier.smtp.sender: "keygate": want an address such as Keygate <keygate@example.com>`},
		{"two passwords", smtp(func(c *SMTPConfig) { c.Username, c.Password, c.PasswordFile = "k", "p", "f" }),
			"notifier.smtp.password and notifier.smtp.password_file are both set; want at most one"},
		{"username without password", smtp(func(c *SMTPConfig) { c.Username = "k" }),
			"notifier.smtp.password: required with notifier.smtp.username (or set notifier.smtp.password_file)"},
		{"password without username", smtp(func(c *SMTPConfig) { c.Password = "p" }),
			"notifier.smtp.username: required with a password"},
		{"auth mechanisms", smtp(func(c *SMTPConfig) { c.Username, c.Password, c.Auth = "k", "p", "CRAM-MD5" }), ""},
		{"tls modes", smtp(func(c *SMTPConfig) { c.TLS.Mode = "implicit" }), ""},
		{"bad auth", smtp(func(c *SMTPConfig) { c.Username, c.Password, c.Auth = "k", "p", "xoauth2" }),
			`notifier.smtp.auth: "xoauth2": want plain, login or cram-md5`},
		{"auth without username", smtp(func(c *SMTPConfig) { c.Auth = "login" }),
			`notifier.smtp.auth: "login" set without notifier.smtp.username`},
		{"bad tls mode", smtp(func(c *SMTPConfig) { c.TLS.Mode = "ssl" }),
			`notifier.smtp.tls.mode: "ssl": want starttls or implicit (empty: implicit on port 465, starttls elsewhere)`},
		{"all at once", smtp(func(c *SMTPConfig) { c.Address, c.Sender = "x", "" }),
			"notifier.smtp.address: \"x\": want host:port, such as mail.example.com:587\n" +
				"notifier.smtp.sender: required; want an address such as Keygate <keygate@example.com>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if err := tt.cfg.Validate(); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate:\ngot  %q\nwant %q", got, tt.want)
			}
		})
	}
}
