package authz

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/policy"
	"github.com/keygate/keygate/session"
)

// fakeUsers is the users file as a map; a user absent from it was removed or disabled.
type fakeUsers map[string]Identity

func (f fakeUsers) Identity(username string) (Identity, bool) {
	id, ok := f[username]
	return id, ok
}

// newUsersEcho is newTestEcho with the users file check on.
func newUsersEcho(t *testing.T, s sessions, d decider, users Users) *echo.Echo {
	t.Helper()
	h, err := newHandler(Config{TrustedProxies: []string{"192.0.2.0/24"}}, s, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.users = users
	h.now = func() time.Time { return testNow }
	e := echo.New()
	h.Register(e)
	return e
}

func TestUsersFileDecidesIdentity(t *testing.T) {
	current := Identity{DisplayName: "Alice L.", Email: "alice@new.example.com", Groups: []string{"dev"}}
	tests := []struct {
		name        string
		users       fakeUsers
		wantSubject policy.Subject
		wantHeaders map[string]string
	}{
		{
			name:  "groups, email and name come from the users file as it is now",
			users: fakeUsers{"alice": current},
			wantSubject: policy.Subject{Username: "alice", Groups: []string{"dev"},
				Level: policy.LevelTwoFactor, AuthTime: testNow.Add(-time.Minute)},
			wantHeaders: map[string]string{"Remote-User": "alice", "Remote-Groups": "dev",
				"Remote-Email": "alice@new.example.com", "Remote-Name": "Alice L.", "Remote-AMR": "pwd,swk,mfa"},
		},
		{
			name:        "a user removed or disabled since signing in is anonymous",
			users:       fakeUsers{},
			wantSubject: policy.Subject{},
			wantHeaders: emptyHeaders,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := alice()
			fs := &fakeSessions{byID: map[string]*session.Session{"alice": stored}}
			dec := &fakeDecider{decision: policy.Allow}
			e := newUsersEcho(t, fs, dec, tt.users)
			d := forwardAuthDialect
			w := serve(e, checkRequest(d, proxyAddr, d.header(http.MethodGet, "https://app.example.com/"), "alice"))
			if w.Code != http.StatusOK {
				t.Fatalf("got status %d, want 200", w.Code)
			}
			if diff := cmp.Diff(tt.wantSubject, dec.subject); diff != "" {
				t.Errorf("subject (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantHeaders, identityHeaders(w.Header())); diff != "" {
				t.Errorf("identity headers (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(alice(), stored); diff != "" {
				t.Errorf("the loaded session was modified (-want +got):\n%s", diff)
			}
		})
	}
}
