package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fill puts one of everything (and some more) into s.
func fill(t *testing.T, s *Store, clk *clock) {
	t.Helper()
	ctx := context.Background()
	for i, c := range []struct{ user, id, d string }{{"alice", "a1", "Laptop"}, {"alice", "a2", "Phone"}, {"bob", "b1", "Key"}} {
		clk.t = clk.t.Add(time.Duration(i) * time.Second)
		if err := s.AddCredential(ctx, c.user, testCredential(c.id, c.d)); err != nil {
			t.Fatal(err)
		}
	}
	used := testCredential("u1", "Used")
	used.LastUsedAt, used.CloneWarning, used.Transports, used.AAGUID = clk.t, true, nil, nil
	if err := s.AddCredential(ctx, "carol", used); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob", "dave"} {
		if _, err := s.UserHandle(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateInvite(ctx, "erin", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.AddToken(ctx, mintFor(t, "alice", "Calendar")); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"one", "two", "three"} {
		if err := s.AppendAudit(ctx, Event{User: "alice", Action: a, CredentialID: []byte("a1"), IP: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
	}
}

// testExportLoadRoundTrip checks that Load into an empty store of the same
// backend reproduces what Export read, and that the copy works: an invite
// made before the copy enrolls afterwards.
func testExportLoadRoundTrip(t *testing.T, open opener) {
	src, clk := open(t)
	fill(t, src, clk)
	ctx := context.Background()
	token, err := src.CreateInvite(ctx, "frank", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	snap := dump(t, src)
	dst, dclk := open(t)
	dclk.t = clk.t
	if err := dst.Load(ctx, snap, false); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diff := cmp.Diff(snap, dump(t, dst)); diff != "" {
		t.Errorf("copy differs (-source +copy):\n%s", diff)
	}
	if got, want := snap.Counts(), (Counts{Users: 3, Credentials: 4, Handles: 3, Invites: 2, AuditEvents: 3, Tokens: 1}); got != want {
		t.Errorf("Counts: got %+v, want %+v", got, want)
	}
	if err := dst.EnrollCredential(ctx, "frank", testCredential("f1", "Key"), token); err != nil {
		t.Errorf("enrolling with an invite made before the copy: %v", err)
	}
}

// testLoadRefusesNonEmpty checks that Load writes nothing into a store with
// data unless told to replace it, and that replacing leaves only the copy.
func testLoadRefusesNonEmpty(t *testing.T, open opener) {
	src, clk := open(t)
	fill(t, src, clk)
	snap := dump(t, src)
	ctx := context.Background()
	for _, seed := range []func(s *Store) error{
		func(s *Store) error { return s.AddCredential(ctx, "zed", testCredential("z", "Z")) },
		func(s *Store) error { _, err := s.UserHandle(ctx, "zed"); return err },
		func(s *Store) error { _, err := s.CreateInvite(ctx, "zed", time.Hour); return err },
		func(s *Store) error { return s.AppendAudit(ctx, Event{User: "zed", Action: "x"}) },
		func(s *Store) error { return s.AddToken(ctx, mintFor(t, "zed", "Z")) },
	} {
		dst, _ := open(t)
		if err := seed(dst); err != nil {
			t.Fatal(err)
		}
		before := dump(t, dst)
		if err := dst.Load(ctx, snap, false); !errors.Is(err, ErrNotEmpty) {
			t.Errorf("Load into a non-empty store: got %v, want ErrNotEmpty", err)
		}
		if diff := cmp.Diff(before, dump(t, dst)); diff != "" {
			t.Errorf("a refused Load changed the store (-before +after):\n%s", diff)
		}
		if err := dst.Load(ctx, snap, true); err != nil {
			t.Fatalf("Load with replace: %v", err)
		}
		if diff := cmp.Diff(snap, dump(t, dst)); diff != "" {
			t.Errorf("after replacing (-want +got):\n%s", diff)
		}
	}
}
