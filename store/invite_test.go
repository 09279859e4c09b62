package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func testInviteLifecycle(t *testing.T, open opener) {
	s, _ := open(t)
	ctx := context.Background()
	token, err := s.CreateInvite(ctx, "admin", time.Hour)
	if err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 32 {
		t.Errorf("token %q: got %d bytes, %v, want 32 base64url bytes", token, len(raw), err)
	}
	if snap := fmt.Sprintf("%+v %s", dump(t, s), dump(t, s).Invites[0].TokenHash); strings.Contains(snap, token) {
		t.Errorf("the token is stored in clear: %s", snap)
	}
	for range 2 {
		if user, err := s.PeekInvite(ctx, token); user != "admin" || err != nil {
			t.Errorf("PeekInvite: got %q, %v, want admin, nil", user, err)
		}
	}
	if err := s.EnrollCredential(ctx, "admin", testCredential("id-1", "Laptop"), token); err != nil {
		t.Fatalf("EnrollCredential: %v", err)
	}
	if err := s.EnrollCredential(ctx, "admin", testCredential("id-2", "Phone"), token); !errors.Is(err, ErrNoInvite) {
		t.Errorf("second EnrollCredential: got %v, want ErrNoInvite", err)
	}
	if _, err := s.PeekInvite(ctx, token); !errors.Is(err, ErrNotFound) {
		t.Errorf("PeekInvite after enrolling: got %v, want ErrNotFound", err)
	}
	if creds, err := s.Credentials(ctx, "admin"); err != nil || len(creds) != 1 || creds[0].Description != "Laptop" {
		t.Errorf("admin's credentials: %+v, %v; want the one enrolled", creds, err)
	}
}

// testEnrollCredentialAllOrNothing checks that an enrollment the store refuses
// keeps the invite and stores nothing, and that a good one then uses it.
func testEnrollCredentialAllOrNothing(t *testing.T, open opener) {
	s, _ := open(t)
	ctx := context.Background()
	if err := s.AddCredential(ctx, "alice", testCredential("taken", "Old key")); err != nil {
		t.Fatal(err)
	}
	token, err := s.CreateInvite(ctx, "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	before := dump(t, s)
	refusals := []struct {
		name string
		user string
		c    Credential
		want error
	}{
		{"credential id registered", "alice", testCredential("taken", "New key"), ErrDuplicateID},
		{"description taken", "alice", testCredential("fresh", "old KEY"), ErrDuplicateDescription},
		{"empty description", "alice", testCredential("fresh", " "), ErrInvalid},
		{"invite of another user", "bob", testCredential("fresh", "New key"), ErrNoInvite},
	}
	for _, r := range refusals {
		if err := s.EnrollCredential(ctx, r.user, r.c, token); !errors.Is(err, r.want) {
			t.Errorf("%s: got %v, want %v", r.name, err, r.want)
		}
		if diff := cmp.Diff(before, dump(t, s)); diff != "" {
			t.Errorf("%s changed the store (-before +after):\n%s", r.name, diff)
		}
	}
	if err := s.EnrollCredential(ctx, "alice", testCredential("fresh", "New key"), token); err != nil {
		t.Fatalf("EnrollCredential after the refusals: %v", err)
	}
	if _, err := s.PeekInvite(ctx, token); !errors.Is(err, ErrNotFound) {
		t.Errorf("invite after enrolling: got %v, want it used", err)
	}
}

func testInviteUnknownAndInvalid(t *testing.T, open opener) {
	s, _ := open(t)
	ctx := context.Background()
	for _, token := range []string{"", "nope", strings.Repeat("A", 43)} {
		if err := s.EnrollCredential(ctx, "alice", testCredential("id", "Key"), token); !errors.Is(err, ErrNoInvite) {
			t.Errorf("EnrollCredential with token %q: got %v, want ErrNoInvite", token, err)
		}
	}
	if _, err := s.CreateInvite(ctx, "", time.Hour); !errors.Is(err, ErrInvalid) {
		t.Errorf("CreateInvite for empty user: got %v, want ErrInvalid", err)
	}
	if _, err := s.CreateInvite(ctx, "alice", 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("CreateInvite with zero ttl: got %v, want ErrInvalid", err)
	}
}

func testInviteExpiry(t *testing.T, open opener) {
	s, clk := open(t)
	ctx := context.Background()
	token, err := s.CreateInvite(ctx, "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(time.Hour - time.Second)
	if _, err := s.PeekInvite(ctx, token); err != nil {
		t.Errorf("PeekInvite just before expiry: %v", err)
	}
	clk.t = clk.t.Add(time.Second)
	if _, err := s.PeekInvite(ctx, token); !errors.Is(err, ErrNotFound) {
		t.Errorf("PeekInvite at expiry: got %v, want ErrNotFound", err)
	}
	if err := s.EnrollCredential(ctx, "alice", testCredential("id", "Key"), token); !errors.Is(err, ErrNoInvite) {
		t.Errorf("EnrollCredential at expiry: got %v, want ErrNoInvite", err)
	}
	// Creating another invite prunes the expired one.
	if _, err := s.CreateInvite(ctx, "bob", time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := len(dump(t, s).Invites); n != 1 {
		t.Errorf("invites after pruning: got %d, want 1", n)
	}
}

func testInviteSingleUseUnderConcurrency(t *testing.T, open opener) {
	s, _ := open(t)
	ctx := context.Background()
	token, err := s.CreateInvite(ctx, "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		wins   int
		others []error
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			err := s.EnrollCredential(ctx, "alice", testCredential(fmt.Sprintf("id-%d", i), fmt.Sprintf("Key %d", i)), token)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if !errors.Is(err, ErrNoInvite) {
				others = append(others, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if wins != 1 || len(others) != 0 {
		t.Errorf("concurrent enrollments: got %d successes and errors %v, want 1 success and only ErrNoInvite", wins, others)
	}
}

func testAudit(t *testing.T, open opener) {
	s, clk := open(t)
	s.auditLimit = 5
	ctx := context.Background()
	for i := range 8 {
		user := "alice"
		if i%2 == 1 {
			user = "bob"
		}
		e := Event{User: user, Action: fmt.Sprintf("action-%d", i), CredentialID: []byte{byte(i)}, IP: "192.0.2.1"}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
	}
	all, err := s.AuditEvents(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range all {
		got = append(got, e.Action)
		if !e.Time.Equal(clk.t) {
			t.Errorf("event time: got %v, want %v", e.Time, clk.t)
		}
	}
	if want := "action-3 action-4 action-5 action-6 action-7"; strings.Join(got, " ") != want {
		t.Errorf("kept events: got %v, want %s", got, want)
	}
	bob, err := s.AuditEvents(ctx, "bob", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(bob) != 1 || bob[0].Action != "action-7" {
		t.Errorf("latest event of bob: got %+v, want action-7", bob)
	}
}
