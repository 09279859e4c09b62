package directory

import (
	"errors"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePHC(t *testing.T) {
	const salt, key = "c2FsdHNhbHRzYWx0", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	valid := "$argon2id$v=19$m=65536,t=3,p=4$" + salt + "$" + key
	got, err := parsePHC(valid)
	if err != nil {
		t.Fatalf("parsePHC(%q): %v", valid, err)
	}
	want := phc{params: defaultParams, salt: []byte("saltsaltsalt"), key: []byte("keykeykeykeykeykeykeykeykeykeykey")[:32]}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(phc{}, params{})); diff != "" {
		t.Errorf("parsePHC (-want +got):\n%s", diff)
	}
	if got.String() != valid {
		t.Errorf("String: got %q, want %q", got.String(), valid)
	}

	tests := []struct {
		hash, want string
	}{
		{"", "not an argon2id hash: want $argon2id$v=19$m=...,t=...,p=...$salt$key"},
		{"$argon2i$v=19$m=65536,t=3,p=4$" + salt + "$" + key, "not an argon2id hash: want $argon2id$v=19$m=...,t=...,p=...$salt$key"},
		{"$argon2id$m=65536,t=3,p=4$" + salt + "$" + key, "not an argon2id hash: want $argon2id$v=19$m=...,t=...,p=...$salt$key"},
		{"$argon2id$v=16$m=65536,t=3,p=4$" + salt + "$" + key, `not an argon2id hash: version "v=16", want v=19`},
		{"$argon2id$v=19$t=3,m=65536,p=4$" + salt + "$" + key, `not an argon2id hash: parameters "t=3,m=65536,p=4", want m=...,t=...,p=...`},
		{"$argon2id$v=19$m=65536,t=3$" + salt + "$" + key, `not an argon2id hash: parameters "m=65536,t=3", want m=...,t=...,p=...`},
		{"$argon2id$v=19$m=-1,t=3,p=4$" + salt + "$" + key, `not an argon2id hash: parameters "m=-1,t=3,p=4", want m=...,t=...,p=...`},
		{"$argon2id$v=19$m=65536,t=3,p=0$" + salt + "$" + key, "not an argon2id hash: p=0, want 1 to 255"},
		{"$argon2id$v=19$m=65536,t=3,p=256$" + salt + "$" + key, "not an argon2id hash: p=256, want 1 to 255"},
		{"$argon2id$v=19$m=31,t=3,p=4$" + salt + "$" + key, "not an argon2id hash: m=31, want 32 to 1048576 KiB"},
		{"$argon2id$v=19$m=1048577,t=3,p=4$" + salt + "$" + key, "not an argon2id hash: m=1048577, want 32 to 1048576 KiB"},
		{"$argon2id$v=19$m=65536,t=0,p=4$" + salt + "$" + key, "not an argon2id hash: t=0, want 1 to 64"},
		{"$argon2id$v=19$m=65536,t=65,p=4$" + salt + "$" + key, "not an argon2id hash: t=65, want 1 to 64"},
		{"$argon2id$v=19$m=65536,t=3,p=4$" + salt + "=$" + key, "not an argon2id hash: salt is not unpadded base64"},
		{"$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$" + key, "not an argon2id hash: salt is 4 bytes, want 8 to 64"},
		{"$argon2id$v=19$m=65536,t=3,p=4$" + salt + "$a2V5", "not an argon2id hash: key is 3 bytes, want 16 to 64"},
		{"$argon2id$v=19$m=65536,t=3,p=4$" + salt + "$" + key + "$", "not an argon2id hash: want $argon2id$v=19$m=...,t=...,p=...$salt$key"},
	}
	for _, tt := range tests {
		_, err := parsePHC(tt.hash)
		if err == nil || err.Error() != tt.want || !errors.Is(err, errBadHash) {
			t.Errorf("parsePHC(%q): got %v, want %q", tt.hash, err, tt.want)
		}
	}
}

// TestHashPassword runs the real parameters once.
func TestHashPassword(t *testing.T) {
	hash, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	format := regexp.MustCompile(`^\$argon2id\$v=19\$m=65536,t=3,p=4\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !format.MatchString(hash) {
		t.Errorf("HashPassword: got %q, want %s", hash, format)
	}
	h, err := parsePHC(hash)
	if err != nil {
		t.Fatalf("parsePHC(HashPassword()): %v", err)
	}
	if !h.matches(argon2id, "correct horse") {
		t.Error("the hash does not match its password")
	}
	if h.matches(argon2id, "correct horsE") {
		t.Error("the hash matches a wrong password")
	}
	again, _ := HashPassword("correct horse")
	if again == hash {
		t.Error("two hashes of one password are equal; want a fresh salt each time")
	}
	if _, err := HashPassword(""); !errors.Is(err, ErrEmptyPassword) {
		t.Errorf("HashPassword(\"\"): got %v, want %v", err, ErrEmptyPassword)
	}
}
