package ui

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-crypt/crypt/algorithm/shacrypt"
	"golang.org/x/crypto/bcrypt"

	"github.com/keygate/keygate/directory"
)

// TestPasswordLoginAutheliaUsers signs in, through the login handler, users
// of a users file written for Authelia: displayname, and bcrypt and
// sha512crypt hashes.
func TestPasswordLoginAutheliaUsers(t *testing.T) {
	b, err := bcrypt.GenerateFromPassword([]byte("bcrypt-password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := shacrypt.New(shacrypt.WithSHA512(), shacrypt.WithRounds(1000))
	if err != nil {
		t.Fatal(err)
	}
	sha, err := hasher.Hash("sha-password")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "users_database.yml")
	content := fmt.Sprintf("users:\n  bea:\n    displayname: Bea\n    email: bea@example.com\n    password: %q\n"+
		"    groups: [dev]\n  sid:\n    displayname: Sid\n    email: sid@example.com\n    password: %q\n",
		b, sha.Encode())
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	te := newTestEnv(t, testConfig())
	if te.users.dir, err = directory.New(directory.Config{File: path}, nil); err != nil {
		t.Fatalf("directory.New on an Authelia users file: %v", err)
	}
	tests := []struct {
		username, password string
		want               int
	}{
		{"bea", "bcrypt-password", http.StatusOK},
		{"sid", "sha-password", http.StatusOK},
		{"bea", "sha-password", http.StatusUnauthorized},
		{"sid", "bcrypt-password", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		rec := te.login(t, tt.username, tt.password)
		if rec.Code != tt.want {
			t.Errorf("login %s with %s: status %d (%s), want %d", tt.username, tt.password, rec.Code, rec.Body, tt.want)
			continue
		}
		if tt.want != http.StatusOK {
			continue
		}
		s := te.load(t, te.sessionCookie(rec))
		if s == nil || s.Username != tt.username {
			t.Errorf("login %s: session %+v, want one for %s", tt.username, s, tt.username)
		}
	}
}
