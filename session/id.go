package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"time"
)

const (
	// idBytes is the entropy of a session ID: 256 bits.
	idBytes = 32
	// idLen is the length of an ID in the cookie: base64url without padding.
	idLen = 43
)

// Store key namespaces. Session and activity keys end in the hex SHA-256 of the
// session ID, state keys in that of the caller's key: the store never holds an ID.
const (
	sessionPrefix  = "s:"
	activityPrefix = "a:"
	statePrefix    = "c:"
)

var idEncoding = base64.RawURLEncoding.Strict()

// newID returns a fresh session ID as it goes into the cookie.
func newID() string {
	var b [idBytes]byte
	rand.Read(b[:]) // never returns an error; it crashes the program when randomness is unavailable
	return idEncoding.EncodeToString(b[:])
}

// hashedID is the SHA-256 of a session ID: what the cache, the activity gate
// and (hex-encoded) the store know a session by.
type hashedID [sha256.Size]byte

// hashID returns the hash of the session ID id, and false when id is not the
// cookie form of a 256-bit ID. Strict decoding gives each ID exactly one form. It
// allocates nothing: it runs for every proxy check that carries a cookie.
func hashID(id string) (hashedID, bool) {
	if len(id) != idLen {
		return hashedID{}, false
	}
	var src [idLen]byte
	var raw [idBytes]byte
	copy(src[:], id)
	if n, err := idEncoding.Decode(raw[:], src[:]); err != nil || n != idBytes {
		return hashedID{}, false
	}
	return sha256.Sum256(raw[:]), true
}

// key returns the store key of the session's record under prefix
// (sessionPrefix or activityPrefix): the prefix and the hash in hex.
func (h hashedID) key(prefix string) string {
	b := make([]byte, len(prefix)+hex.EncodedLen(len(h)))
	hex.Encode(b[copy(b, prefix):], h[:])
	return string(b)
}

// idHash returns the hex SHA-256 of the session ID id, as it appears in store
// keys, and false when id is not the cookie form of a 256-bit ID.
func idHash(id string) (string, bool) {
	h, ok := hashID(id)
	if !ok {
		return "", false
	}
	return hex.EncodeToString(h[:]), true
}

// stateKey returns the store key of ceremony state key.
func stateKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return statePrefix + hex.EncodeToString(sum[:])
}

// encodeTime and decodeTime store an activity time as 8 bytes of Unix nanoseconds.
func encodeTime(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano()))
}

func decodeTime(b []byte) (time.Time, bool) {
	if len(b) != 8 {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b))), true
}
