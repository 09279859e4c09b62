package directory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/go-crypt/crypt/algorithm"
	"github.com/go-crypt/crypt/algorithm/argon2"
	"github.com/go-crypt/crypt/algorithm/pbkdf2"
	"github.com/go-crypt/crypt/algorithm/scrypt"
	"github.com/go-crypt/crypt/algorithm/shacrypt"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/bcrypt"
)

// cryptHash hashes password with a go-crypt hasher made by newHasher.
func cryptHash(t testing.TB, password string, newHasher func() (algorithm.Hash, error)) string {
	t.Helper()
	h, err := newHasher()
	if err != nil {
		t.Fatal(err)
	}
	d, err := h.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	return d.Encode()
}

// migratedHashes are cheap hashes of "secret" in each scheme a users file may
// hold besides argon2id, as Authelia and crypt(3) write them.
func migratedHashes(t testing.TB) map[string]string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"bcrypt":    string(b),
		"bcrypt-2y": "$2y$" + strings.TrimPrefix(string(b), "$2a$"),
		"pbkdf2-sha256": cryptHash(t, "secret", func() (algorithm.Hash, error) {
			return pbkdf2.New(pbkdf2.WithVariant(pbkdf2.VariantSHA256), pbkdf2.WithIterations(100000))
		}),
		"sha512crypt": cryptHash(t, "secret", func() (algorithm.Hash, error) {
			return shacrypt.New(shacrypt.WithSHA512(), shacrypt.WithRounds(1000))
		}),
		"sha256crypt": cryptHash(t, "secret", func() (algorithm.Hash, error) {
			return shacrypt.New(shacrypt.WithSHA256(), shacrypt.WithRounds(1000))
		}),
		"pbkdf2-sha512": cryptHash(t, "secret", func() (algorithm.Hash, error) {
			return pbkdf2.New(pbkdf2.WithVariant(pbkdf2.VariantSHA512), pbkdf2.WithIterations(100000))
		}),
		"scrypt": cryptHash(t, "secret", func() (algorithm.Hash, error) {
			return scrypt.New(scrypt.WithLN(4), scrypt.WithR(8), scrypt.WithP(1))
		}),
		"argon2i": cryptHash(t, "secret", func() (algorithm.Hash, error) {
			return argon2.New(argon2.WithVariantI(), argon2.WithM(64), argon2.WithT(1), argon2.WithP(1))
		}),
	}
}

// TestAutheliaUsersFile loads a users file written for Authelia, with its
// keys and hashes in several schemes, and signs each user in.
func TestAutheliaUsersFile(t *testing.T) {
	hashes := migratedHashes(t)
	var file strings.Builder
	file.WriteString("users:\n")
	for _, scheme := range slices.Sorted(maps.Keys(hashes)) {
		fmt.Fprintf(&file, "  %s:\n    displayname: %q\n    email: %s@example.com\n    groups: [admins, dev]\n"+
			"    password: %q\n    disabled: false\n", scheme, "User "+scheme, scheme, hashes[scheme])
	}
	d := newCheap(t, file.String())
	for scheme, h := range hashes {
		t.Run(scheme, func(t *testing.T) {
			if !strings.HasPrefix(h, map[string]string{"bcrypt": "$2a$", "bcrypt-2y": "$2y$", "pbkdf2-sha256": "$pbkdf2-sha256$", "sha512crypt": "$6$", "sha256crypt": "$5$",
				"pbkdf2-sha512": "$pbkdf2-sha512$", "scrypt": "$scrypt$", "argon2i": "$argon2i$"}[scheme]) {
				t.Fatalf("fixture %s is %q; want its scheme's prefix", scheme, h)
			}
			got, err := d.Authenticate(context.Background(), scheme, "secret")
			if err != nil {
				t.Fatalf("Authenticate(%s, right password): %v", scheme, err)
			}
			want := User{Username: scheme, DisplayName: "User " + scheme, Email: scheme + "@example.com",
				Groups: []string{"admins", "dev"}, hasPassword: true}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(User{})); diff != "" {
				t.Errorf("user (-want +got):\n%s", diff)
			}
			if _, err := d.Authenticate(context.Background(), scheme, "Secret"); !errors.Is(err, ErrInvalidCredentials) {
				t.Errorf("Authenticate(%s, wrong password): got %v, want %v", scheme, err, ErrInvalidCredentials)
			}
		})
	}
}

// TestAuthenticateSameWorkEveryUser checks that with several hash classes in
// the file every username, known or not, is checked against one hash of each.
func TestAuthenticateSameWorkEveryUser(t *testing.T) {
	hashes := migratedHashes(t)
	content := fmt.Sprintf("users:\n  alice:\n    password: %q\n  bob:\n    password: %q\n"+
		"  carol:\n    password: %q\n  dora:\n    password: %q\n    disabled: true\n  pat: {}\n",
		cheapHash(t, "secret"), hashes["bcrypt"], hashes["sha512crypt"], hashes["bcrypt"])
	d := newCheap(t, content)
	var checked []string
	match := d.match
	d.match = func(h hash, password string) bool {
		checked = append(checked, h.class)
		return match(h, password)
	}
	want := []string{"argon2id m=8,t=1,p=1", "bcrypt 04", "sha512crypt 1000"}
	for _, name := range []string{"alice", "bob", "carol", "dora", "pat", "mallory"} {
		checked = nil
		_, err := d.Authenticate(context.Background(), name, "secret")
		if wantOK := name == "alice" || name == "bob" || name == "carol"; (err == nil) != wantOK {
			t.Errorf("Authenticate(%s): got %v, want success %v", name, err, wantOK)
		}
		if diff := cmp.Diff(want, checked); diff != "" {
			t.Errorf("Authenticate(%s) hash classes checked (-want +got):\n%s", name, diff)
		}
	}
}

func TestParseHashErrors(t *testing.T) {
	tests := []struct {
		hash, want string
	}{
		{"$2b$17$abcdefghijklmnopqrstuuDsFEXDbYYw.QaUr3vvx/cEZ2rDCS9Nq",
			"unusable password hash: bcrypt cost 17, want at most 16"},
		{"$6$rounds=1000001$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/",
			"unusable password hash: sha512crypt rounds 1000001, want at most 1000000"},
		{"$scrypt$ln=21,r=8,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
			"unusable password hash: scrypt ln=21,r=8,p=1, want ln at most 20, r at most 32, p at most 16"},
		{"$pbkdf2-sha512$5000001$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5",
			"unusable password hash: pbkdf2-sha512 rounds 5000001, want at most 5000000"},
		{"$argon2i$v=19$m=65536,t=65,p=4$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
			"unusable password hash: argon2i t=65, want 1 to 64"},
		{"$6$", "unusable password hash: malformed sha512crypt hash"},
		{"$argon2d$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
			"not a supported password hash; want one of " + supportedHashes},
		{"{SSHA}abc", "not a supported password hash; want one of " + supportedHashes},
	}
	for _, tt := range tests {
		_, err := parseHash(tt.hash)
		if err == nil || err.Error() != tt.want {
			t.Errorf("parseHash(%.20q...): got %v, want %q", tt.hash, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), tt.hash) {
			t.Errorf("parseHash error %q shows the hash", err)
		}
	}
}
