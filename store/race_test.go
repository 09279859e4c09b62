package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// testDescriptionsUniqueByCaseFolding checks descriptions that differ only by
// case, beyond ASCII, collide on every backend whatever its collation.
func testDescriptionsUniqueByCaseFolding(t *testing.T, open opener) {
	s, _ := open(t)
	ctx := context.Background()
	tests := []struct {
		first, second string
		want          error
	}{
		{"Clé USB", "CLÉ usb", ErrDuplicateDescription},
		{"Ключ", "ключ", ErrDuplicateDescription},
		{"Kelvin K", "kelvin \u212a", ErrDuplicateDescription}, // KELVIN SIGN folds to k
		{"Straße", "STRASSE", nil},                             // no full case folding, as strings.EqualFold
	}
	for i, tc := range tests {
		user := fmt.Sprintf("user%d", i)
		if err := s.AddCredential(ctx, user, testCredential(user+"-1", tc.first)); err != nil {
			t.Fatalf("adding %q: %v", tc.first, err)
		}
		err := s.AddCredential(ctx, user, testCredential(user+"-2", tc.second))
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("adding %q after %q: got %v, want %v", tc.second, tc.first, err, tc.want)
		}
	}
}

// testSignCounterRace checks that of sign-ins racing with one counter value
// exactly one is recorded and the others are refused and flag the credential.
func testSignCounterRace(t *testing.T, open opener) {
	s, clk := open(t)
	ctx := context.Background()
	if err := s.AddCredential(ctx, "alice", testCredential("a", "Key")); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ok, bad int
		others  []error
	)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			err := s.UpdateAfterLogin(ctx, "alice", []byte("a"), 8, false, clk.t.Add(time.Minute))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrSignCount):
				bad++
			default:
				others = append(others, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if ok != 1 || bad != n-1 || len(others) != 0 {
		t.Errorf("racing sign-ins with counter 8: got %d recorded, %d refused, errors %v; want 1, %d, none", ok, bad, others, n-1)
	}
	c, err := s.Credential(ctx, "alice", []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	if c.SignCount != 8 || !c.CloneWarning {
		t.Errorf("after the race: counter %d, clone warning %v; want 8, true", c.SignCount, c.CloneWarning)
	}
}

// testUpdateAfterLoginZeroCounters checks that an authenticator without a
// counter (always zero) signs in again and again.
func testUpdateAfterLoginZeroCounters(t *testing.T, open opener) {
	s, clk := open(t)
	ctx := context.Background()
	c := testCredential("z", "No counter")
	c.SignCount = 0
	if err := s.AddCredential(ctx, "alice", c); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := s.UpdateAfterLogin(ctx, "alice", c.ID, 0, false, clk.t.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Errorf("sign-in %d with counter 0: %v", i+1, err)
		}
	}
	if err := s.UpdateAfterLogin(ctx, "alice", c.ID, 1, false, clk.t); err != nil {
		t.Errorf("counter 1 after zeros: %v", err)
	}
	if err := s.UpdateAfterLogin(ctx, "alice", c.ID, 0, false, clk.t); !errors.Is(err, ErrSignCount) {
		t.Errorf("counter 0 after 1: got %v, want ErrSignCount", err)
	}
}
