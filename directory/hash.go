package directory

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-crypt/crypt"
	"github.com/go-crypt/crypt/algorithm"
	"github.com/go-crypt/crypt/algorithm/argon2"
	"github.com/go-crypt/crypt/algorithm/bcrypt"
	"github.com/go-crypt/crypt/algorithm/pbkdf2"
	"github.com/go-crypt/crypt/algorithm/scrypt"
	"github.com/go-crypt/crypt/algorithm/shacrypt"
)

// errUnsupportedHash is wrapped by the error for a password that is not a
// hash of a supported scheme.
var errUnsupportedHash = errors.New("not a supported password hash")

// errBadCrypt is wrapped by every error about a hash of a supported scheme
// other than argon2id (whose errors wrap errBadHash).
var errBadCrypt = errors.New("unusable password hash")

// supportedHashes lists the accepted schemes, as error messages show them.
const supportedHashes = "argon2id ($argon2id$), argon2i ($argon2i$), bcrypt ($2a$, $2b$, $2y$), " +
	"scrypt ($scrypt$), sha512crypt ($6$), sha256crypt ($5$), " +
	"pbkdf2 ($pbkdf2$, $pbkdf2-sha256$, $pbkdf2-sha512$)"

// Bounds on the cost a users file may ask for, beside those of argon2 in
// password.go. They keep a typo from making each sign-in take seconds or
// gigabytes.
const (
	maxBcryptCost    = 16        // about 5 s on a current core
	maxCryptRounds   = 1_000_000 // sha512crypt, sha256crypt; the default is 5000
	maxPBKDF2Rounds  = 5_000_000 // the OWASP advice for pbkdf2-sha1 is 1.3 million
	maxScryptLogN    = 20
	maxScryptR       = 32
	maxScryptP       = 16
	maxScryptMemKiB  = maxMemoryKiB
	defaultCryptCost = 5000 // rounds of sha-crypt when the hash names none
)

// hash is one parsed password hash, of any supported scheme. Hashes of one
// class (scheme and cost parameters) cost the same to check.
type hash struct {
	class  string // scheme and cost, e.g. "argon2id m=65536,t=3,p=4", "bcrypt 12"
	memory uint32 // KiB the check needs while it runs
	verify func(password []byte) bool
}

// matchFunc checks password against h. Tests replace it to count and hold hashes.
type matchFunc func(h hash, password string) bool

// matchHash is the real matchFunc.
func matchHash(h hash, password string) bool { return h.verify([]byte(password)) }

// argon2idHash wraps a parsed argon2id hash.
func argon2idHash(h phc) hash {
	return hash{
		class:  fmt.Sprintf("argon2id m=%d,t=%d,p=%d", h.memory, h.time, h.threads),
		memory: h.memory,
		verify: func(password []byte) bool { return h.matches(argon2id, string(password)) },
	}
}

// parseHash parses a password hash of any supported scheme and bounds its
// cost. Errors never contain the hash.
func parseHash(s string) (hash, error) {
	if strings.HasPrefix(s, "$argon2id$") {
		h, err := parsePHC(s)
		if err != nil {
			return hash{}, err
		}
		return argon2idHash(h), nil
	}
	dec, err := newDecoder()
	if err != nil {
		return hash{}, err
	}
	digest, err := dec.Decode(s)
	if errors.Is(err, algorithm.ErrEncodedHashInvalidIdentifier) || errors.Is(err, algorithm.ErrEncodedHashInvalidFormat) &&
		!knownPrefix(s) {
		return hash{}, fmt.Errorf("%w; want one of %s", errUnsupportedHash, supportedHashes)
	}
	if err != nil {
		return hash{}, fmt.Errorf("%w: %s", errBadCrypt, scheme(s))
	}
	class, memory, err := costOf(digest.Encode())
	if err != nil {
		return hash{}, err
	}
	verify := func(password []byte) (ok bool) {
		onHashThread(func() { ok = digest.MatchBytes(password) })
		return ok
	}
	return hash{class: class, memory: memory, verify: verify}, nil
}

// newDecoder returns a decoder for the supported schemes other than argon2id.
func newDecoder() (*crypt.Decoder, error) {
	d := crypt.NewDecoder()
	for _, register := range []func(algorithm.DecoderRegister) error{
		argon2.RegisterDecoderArgon2i, bcrypt.RegisterDecoderStandard, scrypt.RegisterDecoderScrypt,
		shacrypt.RegisterDecoder, pbkdf2.RegisterDecoder,
	} {
		if err := register(d); err != nil {
			return nil, fmt.Errorf("registering a hash decoder: %w", err)
		}
	}
	return d, nil
}

// knownPrefix reports whether s starts like a hash of a supported scheme.
func knownPrefix(s string) bool {
	for _, p := range []string{"$argon2i$", "$2a$", "$2b$", "$2y$", "$scrypt$", "$6$", "$5$", "$pbkdf2"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// scheme names the scheme of s from its prefix, for error messages.
func scheme(s string) string {
	name, _, _ := strings.Cut(strings.TrimPrefix(s, "$"), "$")
	switch name {
	case "2a", "2b", "2y":
		return "malformed bcrypt hash"
	case "5":
		return "malformed sha256crypt hash"
	case "6":
		return "malformed sha512crypt hash"
	}
	return "malformed " + name + " hash"
}

// costOf reads the class and memory of a hash in the canonical form the
// decoder encodes, and checks the cost against the bounds.
func costOf(encoded string) (class string, memoryKiB uint32, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) < 4 {
		return "", 0, fmt.Errorf("%w: unexpected form", errBadCrypt)
	}
	switch name := parts[1]; {
	case name == "argon2i":
		var m, t, p uint64
		if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
			return "", 0, fmt.Errorf("%w: argon2i parameters %q, want m=...,t=...,p=...", errBadCrypt, parts[3])
		}
		if err := checkArgon2(m, t, p); err != nil {
			return "", 0, fmt.Errorf("%w: argon2i %w", errBadCrypt, err)
		}
		return "argon2i " + parts[3], uint32(m), nil
	case name == "2a" || name == "2b" || name == "2y":
		return bounded("bcrypt", "cost", parts[2], maxBcryptCost)
	case name == "5" || name == "6":
		return cryptCost(map[string]string{"5": "sha256crypt", "6": "sha512crypt"}[name], parts)
	case name == "scrypt":
		return scryptCost(parts[2])
	case strings.HasPrefix(name, "pbkdf2"):
		return bounded(name, "rounds", parts[2], maxPBKDF2Rounds)
	default:
		return "", 0, fmt.Errorf("%w; want one of %s", errUnsupportedHash, supportedHashes)
	}
}

// cryptCost reads the rounds of a sha-crypt hash: $6$rounds=N$salt$key, or
// $6$salt$key for the default.
func cryptCost(name string, parts []string) (string, uint32, error) {
	rounds, ok := strings.CutPrefix(parts[2], "rounds=")
	if !ok {
		rounds = strconv.Itoa(defaultCryptCost)
	}
	return bounded(name, "rounds", rounds, maxCryptRounds)
}

// bounded makes the class "name value" of a hash whose cost is one number.
func bounded(name, what, value string, limit uint64) (string, uint32, error) {
	n, err := strconv.ParseUint(value, 10, 32)
	if err != nil || n > limit {
		return "", 0, fmt.Errorf("%w: %s %s %s, want at most %d", errBadCrypt, name, what, value, limit)
	}
	return name + " " + value, 0, nil
}

// scryptCost reads "ln=16,r=8,p=1" and checks its bounds; memory is 128*r*2^ln bytes.
func scryptCost(opts string) (string, uint32, error) {
	var ln, r, p uint64
	if _, err := fmt.Sscanf(opts, "ln=%d,r=%d,p=%d", &ln, &r, &p); err != nil {
		return "", 0, fmt.Errorf("%w: scrypt parameters %q, want ln=...,r=...,p=...", errBadCrypt, opts)
	}
	if ln > maxScryptLogN || r > maxScryptR || p > maxScryptP {
		return "", 0, fmt.Errorf("%w: scrypt %s, want ln at most %d, r at most %d, p at most %d",
			errBadCrypt, opts, maxScryptLogN, maxScryptR, maxScryptP)
	}
	kib := 128 * r << ln / 1024
	if kib > maxScryptMemKiB {
		return "", 0, fmt.Errorf("%w: scrypt %s needs %d KiB, want at most %d", errBadCrypt, opts, kib, maxScryptMemKiB)
	}
	return "scrypt " + opts, uint32(kib), nil
}
