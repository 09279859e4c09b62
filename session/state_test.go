package session

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestState(t *testing.T) {
	m, store, _ := newTestManager(t, testConfig())
	if err := m.PutState(t.Context(), "challenge:abc", []byte("state"), time.Minute); err != nil {
		t.Fatalf("PutState: %v", err)
	}
	keys := store.keys()
	if len(keys) != 1 || !strings.HasPrefix(keys[0], statePrefix) || strings.Contains(keys[0], "abc") {
		t.Errorf("store keys = %q, want one %q key holding a hash of the state key", keys, statePrefix)
	}
	if got := store.ttls[keys[0]]; got != time.Minute {
		t.Errorf("state ttl = %v, want 1m", got)
	}
	got, err := m.TakeState(t.Context(), "challenge:abc")
	if err != nil || string(got) != "state" {
		t.Fatalf("TakeState = %q, %v; want \"state\", nil", got, err)
	}
	if got, err := m.TakeState(t.Context(), "challenge:abc"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second TakeState = %q, %v; want ErrNotFound", got, err)
	}
	if got, err := m.TakeState(t.Context(), "never"); !errors.Is(err, ErrNotFound) {
		t.Errorf("TakeState of a missing key = %q, %v; want ErrNotFound", got, err)
	}
	if err := m.PutState(t.Context(), "", []byte("x"), time.Minute); err == nil {
		t.Error("PutState with an empty key: got no error")
	}
	if err := m.PutState(t.Context(), "k", []byte("x"), 0); err == nil {
		t.Error("PutState with a zero ttl: got no error")
	}
}

// TestStateApartFromSessions checks that state cannot be read as a session: a
// state key that spells a session ID lands elsewhere.
func TestStateApartFromSessions(t *testing.T) {
	m, _, _ := newTestManager(t, testConfig())
	id := issue(t, m, "", testSession("example.com")).Value
	if _, err := m.TakeState(t.Context(), id); !errors.Is(err, ErrNotFound) {
		t.Errorf("TakeState(session ID): got %v, want ErrNotFound", err)
	}
	h, _ := idHash(id)
	for _, key := range []string{id, sessionPrefix + h, h} {
		if err := m.PutState(t.Context(), key, []byte(`{"username":"mallory","domain":"example.com"}`), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if s := load(t, m, id, "example.com"); s == nil || s.Username != "alice" {
		t.Errorf("Load after PutState = %+v, want alice's session untouched", s)
	}
}
