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
)

func TestInviteLifecycle(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	token, err := s.CreateInvite(ctx, "admin", time.Hour)
	if err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 32 {
		t.Errorf("token %q: got %d bytes, %v, want 32 base64url bytes", token, len(raw), err)
	}
	for k, v := range dump(t, s) {
		if strings.Contains(k+v, token) {
			t.Errorf("the token is stored in clear under %q", k)
		}
	}
	for range 2 {
		if user, err := s.PeekInvite(ctx, token); user != "admin" || err != nil {
			t.Errorf("PeekInvite: got %q, %v, want admin, nil", user, err)
		}
	}
	if user, err := s.RedeemInvite(ctx, token); user != "admin" || err != nil {
		t.Fatalf("RedeemInvite: got %q, %v, want admin, nil", user, err)
	}
	if _, err := s.RedeemInvite(ctx, token); !errors.Is(err, ErrNotFound) {
		t.Errorf("second RedeemInvite: got %v, want ErrNotFound", err)
	}
	if _, err := s.PeekInvite(ctx, token); !errors.Is(err, ErrNotFound) {
		t.Errorf("PeekInvite after redeem: got %v, want ErrNotFound", err)
	}
}

func TestInviteUnknownAndInvalid(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	for _, token := range []string{"", "nope", strings.Repeat("A", 43)} {
		if _, err := s.RedeemInvite(ctx, token); !errors.Is(err, ErrNotFound) {
			t.Errorf("RedeemInvite(%q): got %v, want ErrNotFound", token, err)
		}
	}
	if _, err := s.CreateInvite(ctx, "", time.Hour); !errors.Is(err, ErrInvalid) {
		t.Errorf("CreateInvite for empty user: got %v, want ErrInvalid", err)
	}
	if _, err := s.CreateInvite(ctx, "alice", 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("CreateInvite with zero ttl: got %v, want ErrInvalid", err)
	}
}

func TestInviteExpiry(t *testing.T) {
	s, clk := newTestStore(t)
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
	if _, err := s.RedeemInvite(ctx, token); !errors.Is(err, ErrNotFound) {
		t.Errorf("RedeemInvite at expiry: got %v, want ErrNotFound", err)
	}
	// Creating another invite prunes the expired one.
	if _, err := s.CreateInvite(ctx, "bob", time.Hour); err != nil {
		t.Fatal(err)
	}
	n := 0
	for k := range dump(t, s) {
		if strings.HasPrefix(k, "invites/") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("invites after pruning: got %d, want 1", n)
	}
}

func TestInviteSingleUseUnderConcurrency(t *testing.T) {
	s, _ := newTestStore(t)
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
	for range n {
		wg.Go(func() {
			<-start
			_, err := s.RedeemInvite(ctx, token)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if !errors.Is(err, ErrNotFound) {
				others = append(others, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if wins != 1 || len(others) != 0 {
		t.Errorf("concurrent redeems: got %d successes and errors %v, want 1 success and only ErrNotFound", wins, others)
	}
}

func TestAudit(t *testing.T) {
	s, clk := newTestStore(t)
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
