package directory

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
)

// HashSlots is how many password hashes may run at once: GOMAXPROCS-1, at
// least 1. A hash takes one goroutine (see argon2Key), so at least one CPU is
// always left to the rest of the process, the forward-auth checks above all,
// however many sign-ins arrive.
func HashSlots() int { return max(runtime.GOMAXPROCS(0)-1, 1) }

// ErrEmptyPassword is returned by HashPassword for an empty password.
var ErrEmptyPassword = errors.New("directory: empty password")

// errBadHash is wrapped by every hash parsing error.
var errBadHash = errors.New("not an argon2id hash")

// Bounds on the parameters a users file may ask for. They keep a typo in the
// file from turning each sign-in into gigabytes of memory or minutes of work.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 64
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 64
)

// params are the argon2id cost parameters of one hash.
type params struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
}

// defaultParams are used by HashPassword and for the dummy hash of unknown users.
var defaultParams = params{memory: 64 * 1024, time: 3, threads: 4}

// phc is a parsed `$argon2id$v=19$m=...,t=...,p=...$salt$key` string.
type phc struct {
	params
	salt []byte
	key  []byte
}

// deriveFunc computes an argon2id key for password with the salt, cost and
// key length of h. Tests replace it to count and time hashes.
type deriveFunc func(password []byte, h phc) []byte

// argon2id is the real deriveFunc: one goroutine, one CPU, whatever h's p,
// on an operating-system thread of its own at a low CPU priority (nice 10), so
// that every other thread of the machine, the forward-auth checks' above all,
// runs first when CPUs are short. The goroutine never unlocks its thread: the
// thread, and its priority with it, ends with the goroutine.
func argon2id(password []byte, h phc) []byte {
	var key []byte
	onHashThread(func() { key = argon2Key(password, h.salt, h.time, h.memory, h.threads, uint32(len(h.key))) })
	return key
}

// onHashThread runs f on a new goroutine locked to its thread at the
// hashing priority, and waits for it.
func onHashThread(f func()) {
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		lowerThreadPriority()
		f()
		close(done)
	}()
	<-done
}

// HashPassword returns an argon2id hash of password in PHC form,
// `$argon2id$v=19$m=65536,t=3,p=4$<salt>$<key>`, with a 16-byte random salt
// and a 32-byte key, both in unpadded standard base64.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", ErrEmptyPassword
	}
	h, err := newPHC(defaultParams)
	if err != nil {
		return "", err
	}
	h.key = argon2id([]byte(password), h)
	return h.String(), nil
}

// newPHC returns a hash with a random salt and a random 32-byte key. The key
// matches no password until it is replaced by a derived one.
func newPHC(p params) (phc, error) {
	h := phc{params: p, salt: make([]byte, 16), key: make([]byte, 32)}
	if _, err := rand.Read(h.salt); err != nil {
		return phc{}, fmt.Errorf("reading salt: %w", err)
	}
	if _, err := rand.Read(h.key); err != nil {
		return phc{}, fmt.Errorf("reading dummy key: %w", err)
	}
	return h, nil
}

// String encodes h in PHC form.
func (h phc) String() string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2Version, h.memory, h.time, h.threads, b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

// matches reports whether password derives to h's key, in constant time.
func (h phc) matches(derive deriveFunc, password string) bool {
	got := derive([]byte(password), h)
	return subtle.ConstantTimeCompare(got, h.key) == 1
}

// parsePHC parses and bounds-checks an argon2id hash in PHC form.
func parsePHC(s string) (phc, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return phc{}, fmt.Errorf("%w: want $argon2id$v=19$m=...,t=...,p=...$salt$key", errBadHash)
	}
	if parts[2] != "v="+strconv.Itoa(argon2Version) {
		return phc{}, fmt.Errorf("%w: version %q, want v=%d", errBadHash, parts[2], argon2Version)
	}
	p, err := parseParams(parts[3])
	if err != nil {
		return phc{}, err
	}
	h := phc{params: p}
	if h.salt, err = decodeB64("salt", parts[4], minSaltLen, maxSaltLen); err != nil {
		return phc{}, err
	}
	if h.key, err = decodeB64("key", parts[5], minKeyLen, maxKeyLen); err != nil {
		return phc{}, err
	}
	return h, nil
}

// parseParams parses "m=65536,t=3,p=4" (in that order) and checks the bounds.
func parseParams(s string) (params, error) {
	fields := strings.Split(s, ",")
	names := []string{"m", "t", "p"}
	if len(fields) != len(names) {
		return params{}, fmt.Errorf("%w: parameters %q, want m=...,t=...,p=...", errBadHash, s)
	}
	var v [3]uint64
	for i, f := range fields {
		num, ok := strings.CutPrefix(f, names[i]+"=")
		n, err := strconv.ParseUint(num, 10, 32)
		if !ok || err != nil {
			return params{}, fmt.Errorf("%w: parameters %q, want m=...,t=...,p=...", errBadHash, s)
		}
		v[i] = n
	}
	m, t, p := v[0], v[1], v[2]
	if err := checkArgon2(m, t, p); err != nil {
		return params{}, fmt.Errorf("%w: %w", errBadHash, err)
	}
	return params{memory: uint32(m), time: uint32(t), threads: uint8(p)}, nil
}

// checkArgon2 bounds the memory (KiB), time and parallelism of an argon2 hash.
func checkArgon2(m, t, p uint64) error {
	switch {
	case p < 1 || p > 255:
		return fmt.Errorf("p=%d, want 1 to 255", p)
	case m < 8*p || m > maxMemoryKiB:
		return fmt.Errorf("m=%d, want %d to %d KiB", m, 8*p, maxMemoryKiB)
	case t < 1 || t > maxTime:
		return fmt.Errorf("t=%d, want 1 to %d", t, maxTime)
	}
	return nil
}

// decodeB64 decodes an unpadded standard base64 field of lo to hi bytes.
func decodeB64(name, s string, lo, hi int) ([]byte, error) {
	b, err := base64.RawStdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not unpadded base64", errBadHash, name)
	}
	if len(b) < lo || len(b) > hi {
		return nil, fmt.Errorf("%w: %s is %d bytes, want %d to %d", errBadHash, name, len(b), lo, hi)
	}
	return b, nil
}
