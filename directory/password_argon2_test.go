package directory

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"golang.org/x/crypto/argon2"
)

// TestArgon2KeyMatchesReference checks the one-goroutine Argon2id against the
// parallel implementation of x/crypto, bit for bit, across lane counts,
// memory sizes that are and are not multiples of 4*lanes, passes, key lengths
// (both sides of 64 bytes, where H' changes form) and inputs.
func TestArgon2KeyMatchesReference(t *testing.T) {
	tests := []struct {
		time, memory uint32
		lanes        uint8
		keyLen       uint32
		password     string
		salt         string
	}{
		{1, 8, 1, 32, "password", "somesalt"},
		{1, 64, 1, 16, "", "somesalt"},
		{2, 256, 1, 32, "password", "somesalt"},
		{3, 257, 2, 32, "p", "saltsaltsaltsalt"},
		{1, 1024, 4, 64, "correct horse", "0123456789abcdef"},
		{3, 2048, 4, 32, "password", "somesalt"},
		{2, 1000, 3, 65, "password", "somesalt"},
		{1, 512, 8, 97, "pässwörd", "somesaltsomesalt"},
		{4, 640, 5, 128, "x", "12345678"},
		{1, 32, 4, 1024, "long key", "somesalt"},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("t=%d,m=%d,p=%d,len=%d", tt.time, tt.memory, tt.lanes, tt.keyLen)
		t.Run(name, func(t *testing.T) {
			want := argon2.IDKey([]byte(tt.password), []byte(tt.salt), tt.time, tt.memory, tt.lanes, tt.keyLen)
			got := argon2Key([]byte(tt.password), []byte(tt.salt), tt.time, tt.memory, tt.lanes, tt.keyLen)
			if !bytes.Equal(got, want) {
				t.Errorf("argon2Key = %x, want %x", got, want)
			}
		})
	}
}

// TestArgon2KeyDefaultParams checks the parameters of HashPassword and of
// the dummy hash against the reference.
func TestArgon2KeyDefaultParams(t *testing.T) {
	pw, salt := []byte("a sign-in password"), []byte("0123456789abcdef")
	p := defaultParams
	want := argon2.IDKey(pw, salt, p.time, p.memory, p.threads, 32)
	if got := argon2Key(pw, salt, p.time, p.memory, p.threads, 32); !bytes.Equal(got, want) {
		t.Errorf("argon2Key(default params) = %x, want %x", got, want)
	}
}

// BenchmarkArgon2Key compares one default-parameter hash on one goroutine
// with the reference's four.
func BenchmarkArgon2Key(b *testing.B) {
	pw, salt := []byte("password"), []byte("0123456789abcdef")
	p := defaultParams
	b.Run("one-goroutine", func(b *testing.B) {
		for b.Loop() {
			argon2Key(pw, salt, p.time, p.memory, p.threads, 32)
		}
	})
	b.Run("reference", func(b *testing.B) {
		for b.Loop() {
			argon2.IDKey(pw, salt, p.time, p.memory, p.threads, 32)
		}
	})
}

// TestDeriveUsesOneGoroutine checks that a hash with p=8 runs on one goroutine
// (the one argon2id starts for its low-priority thread), so that HashSlots
// bounds the CPUs hashing takes.
func TestDeriveUsesOneGoroutine(t *testing.T) {
	h, err := newPHC(params{memory: 16 * 1024, time: 2, threads: 8})
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	done := make(chan struct{})
	go func() {
		defer close(done)
		argon2id([]byte("password"), h)
	}()
	peak := 0
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			peak = max(peak, runtime.NumGoroutine()-before)
			runtime.Gosched()
		}
	}
	if peak > 2 {
		t.Errorf("goroutines while hashing with p=8: up to %d more, want 2 (the caller's and the hash's)", peak)
	}
}
