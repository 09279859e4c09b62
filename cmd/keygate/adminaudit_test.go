package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAdminActionsAreAudited: the admin commands leave an event each, with
// actor admin, and `keygate audit` reads them through the daemon and from
// the file alike.
func TestAdminActionsAreAudited(t *testing.T) {
	for _, running := range []bool{true, false} {
		name := map[bool]string{true: "daemon running", false: "daemon stopped"}[running]
		t.Run(name, func(t *testing.T) {
			env := newWarningEnv(t)
			if running {
				env.serve(t)
			}
			for _, args := range [][]string{
				{"credentials", "clear-warning", "alice", b64id(aliceFirst)},
				{"credentials", "delete", "alice", b64id(aliceSecond)},
				{"invite", "alice"},
				{"credentials", "reset", "bob"},
			} {
				if _, err := env.keygate(args...); err != nil {
					t.Fatalf("keygate %s: %v", strings.Join(args, " "), err)
				}
			}
			out, err := env.keygate("audit", "--user", "alice", "--json")
			if err != nil {
				t.Fatalf("keygate audit: %v", err)
			}
			var rows []auditRow
			if err := json.Unmarshal([]byte(out), &rows); err != nil {
				t.Fatalf("audit --json printed %q: %v", out, err)
			}
			var got []string
			for _, r := range rows {
				if r.Actor != "admin" || r.User != "alice" {
					t.Errorf("event %+v: want alice's, by admin", r)
				}
				got = append(got, r.Action+":"+r.CredentialID)
			}
			want := "clone_warning_cleared:" + b64id(aliceFirst) + " credential_deleted:" + b64id(aliceSecond) + " invite_created:"
			if strings.Join(got, " ") != want {
				t.Errorf("audit of alice = %v, want %s", got, want)
			}
			text, err := env.keygate("audit", "--since", "1h")
			if err != nil || !strings.Contains(text, "credentials_reset") || !strings.HasPrefix(text, "TIME") {
				t.Errorf("audit --since 1h = %q, %v; want a table with bob's reset", text, err)
			}
		})
	}
}
