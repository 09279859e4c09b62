package token

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// prefix starts every token, so that a secret scanner or a log reader can tell
// a Keygate token at a glance.
const prefix = "kgt_"

// The sizes of a token's parts, in bytes before encoding.
const (
	idBytes     = 8  // public: names the token in lists, URLs and logs
	secretBytes = 32 // 256 bits from crypto/rand; only its SHA-256 is kept
)

// MaxNameLen is the longest name a token may have, in bytes.
const MaxNameLen = 64

// The package's sentinel errors.
var (
	// ErrInvalid means a name, scope or lifetime breaks a rule.
	ErrInvalid = errors.New("token: invalid")
	// ErrMalformed means text is not a token Mint could have made.
	ErrMalformed = errors.New("token: malformed")
	// ErrUnknown is wrapped by a store's error for an ID it does not hold
	// (never minted, or revoked), so callers need not import the store.
	ErrUnknown = errors.New("token: unknown")
)

// Token is what is kept of a minted token: never the secret, only its SHA-256.
type Token struct {
	// ID names the token; it is the public part of the text.
	ID string `json:"id"`
	// User is who minted it and whom it proves.
	User string `json:"user"`
	// Name is the user's name for the client that holds it.
	Name string `json:"name"`
	// Hash is the SHA-256 of the secret.
	Hash []byte `json:"hash"`
	// Scope is where the token may be used.
	Scope Scope `json:"scope"`
	// CreatedAt is when it was minted.
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is when it stops working.
	ExpiresAt time.Time `json:"expires_at"`
	// LastUsedAt is the last accepted use, recorded at most once a minute; zero
	// when never used.
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	// LastUsedIP is the client address of that use.
	LastUsedIP string `json:"last_used_ip,omitempty"`
}

// Mint makes a token for user named name, usable within scope until now+ttl.
// It returns the text to show once (kgt_<id>_<secret>) and what to store.
func Mint(user, name string, scope Scope, now time.Time, ttl time.Duration) (string, Token, error) {
	scope, err := checkMint(user, name, scope, ttl)
	if err != nil {
		return "", Token{}, err
	}
	raw := make([]byte, idBytes+secretBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", Token{}, fmt.Errorf("minting token: %w", err)
	}
	id := hex.EncodeToString(raw[:idBytes])
	secret := base64.RawURLEncoding.EncodeToString(raw[idBytes:])
	sum := sha256.Sum256([]byte(secret))
	t := Token{ID: id, User: user, Name: strings.TrimSpace(name), Hash: sum[:], Scope: scope,
		CreatedAt: now, ExpiresAt: now.Add(ttl)}
	return prefix + id + "_" + secret, t, nil
}

// checkMint validates Mint's arguments and returns the canonical scope.
func checkMint(user, name string, scope Scope, ttl time.Duration) (Scope, error) {
	name = strings.TrimSpace(name)
	switch {
	case user == "":
		return Scope{}, fmt.Errorf("%w: no user", ErrInvalid)
	case name == "" || len(name) > MaxNameLen || strings.ContainsFunc(name, isControl):
		return Scope{}, fmt.Errorf("%w: name %q: want 1 to %d characters without control characters", ErrInvalid, name, MaxNameLen)
	case ttl <= 0:
		return Scope{}, fmt.Errorf("%w: lifetime %s: want a positive duration", ErrInvalid, ttl)
	}
	return scope.canonical()
}

// isControl reports a control character.
func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// Parse splits text into the token's ID and secret. It checks only the form.
func Parse(text string) (id, secret string, err error) {
	rest, ok := strings.CutPrefix(text, prefix)
	if !ok || len(rest) != 2*idBytes+1+base64.RawURLEncoding.EncodedLen(secretBytes) || rest[2*idBytes] != '_' {
		return "", "", ErrMalformed
	}
	id, secret = rest[:2*idBytes], rest[2*idBytes+1:]
	if _, err := hex.DecodeString(id); err != nil || strings.ToLower(id) != id {
		return "", "", ErrMalformed
	}
	return id, secret, nil
}

// Verify reports whether secret is this token's, comparing hashes in constant time.
func (t *Token) Verify(secret string) bool {
	sum := sha256.Sum256([]byte(secret))
	return len(t.Hash) == len(sum) && subtle.ConstantTimeCompare(t.Hash, sum[:]) == 1
}

// Expired reports whether the token no longer works at now.
func (t *Token) Expired(now time.Time) bool {
	return !now.Before(t.ExpiresAt)
}
