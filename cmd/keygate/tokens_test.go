package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/store"
	"github.com/keygate/keygate/token"
)

// addTokens stores a token of alice and one of bob and returns their IDs.
func addTokens(t *testing.T, e warningEnv) (alice, bob string) {
	t.Helper()
	e.withStore(t, func(st *store.Store) {
		for _, user := range []string{"alice", "bob"} {
			_, tok, err := token.Mint(user, user+"'s phone", token.Scope{Hosts: []string{"dav.example.com"}}, time.Now(), time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.AddToken(context.Background(), tok); err != nil {
				t.Fatal(err)
			}
			if user == "alice" {
				alice = tok.ID
			} else {
				bob = tok.ID
			}
		}
	})
	return alice, bob
}

func TestTokensCommand(t *testing.T) {
	for _, running := range []bool{false, true} {
		name := map[bool]string{false: "daemon stopped", true: "through the admin socket"}[running]
		t.Run(name, func(t *testing.T) {
			env := newWarningEnv(t)
			aliceID, bobID := addTokens(t, env)
			if running {
				env.serve(t)
			}
			out, err := env.keygate("tokens", "list")
			if err != nil || !strings.Contains(out, aliceID) || !strings.Contains(out, bobID) || strings.Contains(out, "hash") {
				t.Fatalf("tokens list: %v\n%s", err, out)
			}
			out, err = env.keygate("tokens", "list", "bob")
			if err != nil || strings.Contains(out, aliceID) || !strings.Contains(out, bobID) {
				t.Errorf("tokens list bob: %v\n%s", err, out)
			}
			if out, err = env.keygate("tokens", "revoke", aliceID); err != nil || !strings.Contains(out, "revoked token "+aliceID) {
				t.Errorf("tokens revoke: %v\n%s", err, out)
			}
			if _, err = env.keygate("tokens", "revoke", aliceID); err == nil {
				t.Error("revoking a revoked token succeeded")
			}
			out, _ = env.keygate("tokens", "list")
			if strings.Contains(out, aliceID) || !strings.Contains(out, bobID) {
				t.Errorf("after revoking alice's: %s", out)
			}
		})
	}
}
