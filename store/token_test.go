package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/keygate/keygate/token"
)

func mintFor(t *testing.T, user, name string) token.Token {
	t.Helper()
	_, tok, err := token.Mint(user, name, token.Scope{Hosts: []string{"dav.example.com"}, Paths: []string{"/cal"}},
		time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func testTokens(t *testing.T, open opener) {
	s, _ := open(t)
	ctx := context.Background()
	if _, err := s.Token(ctx, "0000000000000000"); !errors.Is(err, ErrNotFound) || !errors.Is(err, token.ErrUnknown) {
		t.Fatalf("Token before any was added: got %v, want ErrNotFound and token.ErrUnknown", err)
	}
	if got, err := s.Tokens(ctx, ""); err != nil || len(got) != 0 {
		t.Fatalf("Tokens before any was added: got %v, %v; want none", got, err)
	}
	a, b := mintFor(t, "alice", "phone"), mintFor(t, "bob", "git")
	for _, tok := range []token.Token{a, b} {
		if err := s.AddToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddToken(ctx, a); !errors.Is(err, ErrDuplicate) {
		t.Errorf("adding the same ID again: got %v, want ErrDuplicate", err)
	}
	if err := s.AddToken(ctx, token.Token{ID: "x", User: "alice"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("adding a token without hash: got %v, want ErrInvalid", err)
	}
	got, err := s.Token(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("Token (-want +got):\n%s", diff)
	}
	if list, _ := s.Tokens(ctx, "alice"); len(list) != 1 || list[0].ID != a.ID {
		t.Errorf("Tokens(alice) = %v, want alice's one", list)
	}
	used := time.Date(2026, 12, 7, 0, 30, 0, 0, time.UTC)
	if err := s.TouchToken(ctx, a.ID, used, "198.51.100.7"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Token(ctx, a.ID); !got.LastUsedAt.Equal(used) || got.LastUsedIP != "198.51.100.7" {
		t.Errorf("after TouchToken: last use %v from %q", got.LastUsedAt, got.LastUsedIP)
	}
	if _, err := s.DeleteToken(ctx, "bob", a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob revoking alice's token: got %v, want ErrNotFound", err)
	}
	if _, err := s.DeleteToken(ctx, "alice", a.ID); err != nil {
		t.Errorf("alice revoking her token: %v", err)
	}
	if _, err := s.DeleteToken(ctx, "", b.ID); err != nil {
		t.Errorf("an admin revoking bob's token: %v", err)
	}
	if err := s.TouchToken(ctx, a.ID, used, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("touching a revoked token: got %v, want ErrNotFound", err)
	}
	if list, _ := s.Tokens(ctx, ""); len(list) != 0 {
		t.Errorf("after revoking both: %d tokens left", len(list))
	}
}
