package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// openStore returns an empty Store for one test and closes it when the test ends.
type openStore func(t *testing.T) Store

// testStore is the suite every Store must pass.
func testStore(t *testing.T, open openStore) {
	tests := []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"GetMissing", testGetMissing},
		{"SetGet", testSetGet},
		{"SetReplaces", testSetReplaces},
		{"SetBatch", testSetBatch},
		{"KeysAreDistinct", testKeysAreDistinct},
		{"ValuesAreCopied", testValuesAreCopied},
		{"Delete", testDelete},
		{"Take", testTake},
		{"TTLExpiry", testTTLExpiry},
		{"TTLMustBePositive", testTTLMustBePositive},
		{"TakeIsSingleUse", testTakeIsSingleUse},
		{"CanceledContext", testCanceledContext},
		{"Sets", testSets},
		{"SetMemberExpiry", testSetMemberExpiry},
		{"SetsApartFromKeys", testSetsApartFromKeys},
		{"SetMemberInvalid", testSetMemberInvalid},
		{"Keys", testKeys},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

func mustSet(t *testing.T, s Store, key string, value []byte, ttl time.Duration) {
	t.Helper()
	if err := s.Set(t.Context(), key, value, ttl); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

// wantValue checks that key holds want.
func wantValue(t *testing.T, s Store, key string, want []byte) {
	t.Helper()
	got, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): got error %v, want %q", key, err, want)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Get(%q) = %q, want %q", key, got, want)
	}
}

// wantAbsent checks that Get of key returns ErrNotFound.
func wantAbsent(t *testing.T, s Store, key string) {
	t.Helper()
	if got, err := s.Get(t.Context(), key); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(%q) = %q, %v; want ErrNotFound", key, got, err)
	}
}

func testGetMissing(t *testing.T, s Store) {
	wantAbsent(t, s, "missing")
}

func testSetGet(t *testing.T, s Store) {
	values := map[string][]byte{
		"text":  []byte("hello"),
		"empty": {},
		"bytes": {0, 1, 0xfe, 0xff, '\r', '\n'},
		"large": bytes.Repeat([]byte("x"), 64<<10),
	}
	for k, v := range values {
		mustSet(t, s, k, v, time.Hour)
	}
	for k, v := range values {
		wantValue(t, s, k, v)
	}
}

func testSetReplaces(t *testing.T, s Store) {
	mustSet(t, s, "k", []byte("one"), time.Hour)
	mustSet(t, s, "k", []byte("two"), time.Hour)
	wantValue(t, s, "k", []byte("two"))
}

func testKeysAreDistinct(t *testing.T, s Store) {
	mustSet(t, s, "a", []byte("1"), time.Hour)
	mustSet(t, s, "ab", []byte("2"), time.Hour)
	mustSet(t, s, "s:a", []byte("3"), time.Hour)
	if err := s.Delete(t.Context(), "ab"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantValue(t, s, "a", []byte("1"))
	wantValue(t, s, "s:a", []byte("3"))
	wantAbsent(t, s, "ab")
}

func testValuesAreCopied(t *testing.T, s Store) {
	in := []byte("original")
	mustSet(t, s, "k", in, time.Hour)
	copy(in, "XXXXXXXX")
	got, err := s.Get(t.Context(), "k")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	copy(got, "YYYYYYYY")
	wantValue(t, s, "k", []byte("original"))
}

func testDelete(t *testing.T, s Store) {
	mustSet(t, s, "k", []byte("v"), time.Hour)
	for i := range 2 { // the second Delete is of an absent key
		if err := s.Delete(t.Context(), "k"); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
		wantAbsent(t, s, "k")
	}
}

func testTake(t *testing.T, s Store) {
	mustSet(t, s, "k", []byte("v"), time.Hour)
	got, err := s.Take(t.Context(), "k")
	if err != nil || string(got) != "v" {
		t.Fatalf("Take = %q, %v; want \"v\", nil", got, err)
	}
	wantAbsent(t, s, "k")
	if got, err := s.Take(t.Context(), "k"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Take = %q, %v; want ErrNotFound", got, err)
	}
	if got, err := s.Take(t.Context(), "never"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Take of a missing key = %q, %v; want ErrNotFound", got, err)
	}
}

// testTTLExpiry waits until a short ttl has surely passed; it asserts only what
// must hold after expiry, so a slow machine cannot make it fail.
func testTTLExpiry(t *testing.T, s Store) {
	mustSet(t, s, "short", []byte("v"), 50*time.Millisecond)
	mustSet(t, s, "take", []byte("v"), 50*time.Millisecond)
	mustSet(t, s, "long", []byte("v"), time.Hour)
	time.Sleep(100 * time.Millisecond)
	wantAbsent(t, s, "short")
	if got, err := s.Take(t.Context(), "take"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Take of an expired key = %q, %v; want ErrNotFound", got, err)
	}
	wantValue(t, s, "long", []byte("v"))
}

func testTTLMustBePositive(t *testing.T, s Store) {
	for _, ttl := range []time.Duration{0, -time.Second} {
		if err := s.Set(t.Context(), "k", []byte("v"), ttl); err == nil {
			t.Errorf("Set with ttl %v: got no error, want one", ttl)
		}
	}
	wantAbsent(t, s, "k")
}

// testTakeIsSingleUse races takers on several keys: each key goes to exactly one.
func testTakeIsSingleUse(t *testing.T, s Store) {
	const keys, takers = 20, 8
	for k := range keys {
		mustSet(t, s, fmt.Sprint("k", k), []byte("v"), time.Hour)
	}
	var wins, misses atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for k := range keys {
		for range takers {
			wg.Go(func() {
				<-start
				_, err := s.Take(context.Background(), fmt.Sprint("k", k))
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, ErrNotFound):
					misses.Add(1)
				default:
					t.Errorf("Take: %v", err)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	if got := wins.Load(); got != keys {
		t.Errorf("successful Takes = %d, want %d (one per key)", got, keys)
	}
	if got, want := misses.Load(), int32(keys*(takers-1)); got != want {
		t.Errorf("Takes finding nothing = %d, want %d", got, want)
	}
}

func testCanceledContext(t *testing.T, s Store) {
	mustSet(t, s, "k", []byte("v"), time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Get(ctx, "k"); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("Get with a canceled context: got %v, want a context error", err)
	}
	if err := s.Set(ctx, "k", []byte("w"), time.Hour); err == nil {
		t.Error("Set with a canceled context: got no error, want one")
	}
	if _, err := s.Take(ctx, "k"); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("Take with a canceled context: got %v, want a context error", err)
	}
	wantValue(t, s, "k", []byte("v"))
}

// wantMembers checks the members of set, in any order.
func wantMembers(t *testing.T, s Store, set string, want ...string) {
	t.Helper()
	got, err := s.Members(t.Context(), set)
	if err != nil {
		t.Fatalf("Members(%q): %v", set, err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Members(%q) = %q, want %q", set, got, want)
	}
}

func mustAddMember(t *testing.T, s Store, set, member string, ttl time.Duration) {
	t.Helper()
	if err := s.AddMember(t.Context(), set, member, ttl); err != nil {
		t.Fatalf("AddMember(%q, %q): %v", set, member, err)
	}
}

func testSets(t *testing.T, s Store) {
	wantMembers(t, s, "u:alice")
	mustAddMember(t, s, "u:alice", "one", time.Hour)
	mustAddMember(t, s, "u:alice", "two", time.Hour)
	mustAddMember(t, s, "u:alice", "two", time.Hour) // again: still one member
	mustAddMember(t, s, "u:alicex", "other", time.Hour)
	mustAddMember(t, s, "u:al", "ice", time.Hour)
	wantMembers(t, s, "u:alice", "one", "two")
	wantMembers(t, s, "u:alicex", "other")
	if err := s.RemoveMembers(t.Context(), "u:alice", "one", "absent"); err != nil {
		t.Fatalf("RemoveMembers: %v", err)
	}
	wantMembers(t, s, "u:alice", "two")
	if err := s.RemoveMembers(t.Context(), "u:alice"); err != nil {
		t.Errorf("RemoveMembers of none: %v", err)
	}
}

// testSetMemberExpiry waits until a short ttl has surely passed.
func testSetMemberExpiry(t *testing.T, s Store) {
	mustAddMember(t, s, "u:bob", "long", time.Hour)
	mustAddMember(t, s, "u:bob", "short", 50*time.Millisecond)
	mustAddMember(t, s, "u:carol", "short", 50*time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	wantMembers(t, s, "u:bob", "long")
	wantMembers(t, s, "u:carol")
	mustAddMember(t, s, "u:carol", "again", time.Hour) // a set that expired takes members anew
	wantMembers(t, s, "u:carol", "again")
}

func testSetsApartFromKeys(t *testing.T, s Store) {
	mustSet(t, s, "u:dave", []byte("v"), time.Hour)
	mustAddMember(t, s, "u:dave", "m", time.Hour)
	wantValue(t, s, "u:dave", []byte("v"))
	wantMembers(t, s, "u:dave", "m")
	if err := s.Delete(t.Context(), "u:dave"); err != nil {
		t.Fatal(err)
	}
	wantMembers(t, s, "u:dave", "m")
}

func testSetMemberInvalid(t *testing.T, s Store) {
	for _, tc := range []struct {
		set, member string
		ttl         time.Duration
	}{
		{"", "m", time.Hour}, {"u:x", "", time.Hour}, {"u:\x00", "m", time.Hour},
		{"u:x", "a\x00b", time.Hour}, {"u:x", "m", 0},
	} {
		if err := s.AddMember(t.Context(), tc.set, tc.member, tc.ttl); err == nil {
			t.Errorf("AddMember(%q, %q, %v): got no error", tc.set, tc.member, tc.ttl)
		}
	}
	wantMembers(t, s, "u:x")
}

// testKeys lists the live keys under a prefix and no others.
func testKeys(t *testing.T, s Store) {
	kl, ok := s.(keyLister)
	if !ok {
		t.Fatalf("%T cannot list its keys", s)
	}
	mustSet(t, s, "s:1", []byte("a"), time.Hour)
	mustSet(t, s, "s:2", []byte("b"), time.Hour)
	mustSet(t, s, "a:1", []byte("c"), time.Hour)
	mustSet(t, s, "s:gone", []byte("d"), 50*time.Millisecond)
	mustAddMember(t, s, "s:set", "m", time.Hour)
	time.Sleep(100 * time.Millisecond)
	got, err := kl.Keys(t.Context(), "s:")
	if err != nil {
		t.Fatalf("Keys: %v", err)
	}
	slices.Sort(got)
	if want := []string{"s:1", "s:2"}; !slices.Equal(got, want) {
		t.Errorf("Keys(s:) = %q, want %q", got, want)
	}
}

// testSetBatch checks a store's batch write: every entry is stored as Set
// would store it, and an entry Set would refuse fails alone.
func testSetBatch(t *testing.T, s Store) {
	bs, ok := s.(batchSetter)
	if !ok {
		t.Fatalf("%T does not write batches", s)
	}
	entries := []batchEntry{
		{key: "a:1", value: []byte("one"), ttl: time.Minute},
		{key: "a:2", value: []byte("two"), ttl: 0}, // refused, as by Set
		{key: "a:3", value: []byte("three"), ttl: time.Minute},
	}
	errs := bs.setBatch(t.Context(), entries)
	if len(errs) != len(entries) {
		t.Fatalf("setBatch returned %d errors for %d entries", len(errs), len(entries))
	}
	for i, e := range entries {
		got, err := s.Get(t.Context(), e.key)
		if e.ttl <= 0 {
			if errs[i] == nil || !errors.Is(err, ErrNotFound) {
				t.Errorf("%s with ttl 0: setBatch error %v, Get %q, %v; want an error and nothing stored", e.key, errs[i], got, err)
			}
			continue
		}
		if errs[i] != nil || err != nil || string(got) != string(e.value) {
			t.Errorf("%s: setBatch error %v, Get %q, %v; want %q", e.key, errs[i], got, err, e.value)
		}
	}
}
