package authz

import (
	"net/http"
	"testing"
	"time"

	"github.com/keygate/keygate/policy"
	"github.com/keygate/keygate/session"
)

// requirePolicy has one rule that needs a device-bound security key within 15
// minutes, and one for any signed-in user.
func requirePolicy(tb testing.TB) *policy.Engine {
	tb.Helper()
	e, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Domain: []string{"admin.example.com"}, Policy: "two_factor",
			Require: &policy.Require{DeviceBound: true, Attachment: "cross-platform", MaxAge: 15 * time.Minute}},
		{Domain: []string{"*.example.com"}, Policy: "one_factor"},
	}})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// withKey is a session of alice whose second factor was the given one.
func withKey(f session.Factor) *session.Session {
	s := alice()
	f.Method, f.At = session.MethodWebAuthn, testNow.Add(-time.Minute)
	s.Factors[1] = f
	return s
}

func TestStepUp(t *testing.T) {
	const target = "https://admin.example.com/x"
	const stepUp = "https://auth.example.com/step-up?rd=https%3A%2F%2Fadmin.example.com%2Fx&require=device_bound%2Ccross-platform%2Cmax_age%3D900"
	const challenge = `Bearer error="insufficient_user_authentication", error_description="sign in with a security key that is device-bound (not synced) used within 15m0s", max_age=900`
	synced := withKey(session.Factor{Attachment: "platform", UserVerified: true})
	key := withKey(session.Factor{Attachment: "cross-platform", DeviceBound: true})
	tests := []struct {
		name          string
		dialect       dialect
		sess          *session.Session
		accept        string
		wantStatus    int
		wantLocation  string
		wantChallenge string
		wantAMR       string
	}{
		{"browser, synced passkey", forwardAuthDialect, synced, "text/html", 302, stepUp, "", ""},
		{"API client, synced passkey", forwardAuthDialect, synced, "application/json", 401, stepUp, challenge, ""},
		{"nginx browser, synced passkey", authRequestDialect, synced, "text/html", 401, stepUp, "", ""},
		{"nginx API client, synced passkey", authRequestDialect, synced, "", 401, stepUp, challenge, ""},
		{"security key passes", forwardAuthDialect, key, "text/html", 200, "", "", "pwd,hwk,mfa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := &fakeSessions{byID: map[string]*session.Session{"alice": tt.sess}}
			e, _ := newTestEcho(t, fs, requirePolicy(t))
			h := tt.dialect.header(http.MethodGet, target)
			if tt.accept != "" {
				h.Set("Accept", tt.accept)
			}
			w := serve(e, checkRequest(tt.dialect, proxyAddr, h, "alice"))
			if w.Code != tt.wantStatus {
				t.Fatalf("got status %d, want %d (body %q)", w.Code, tt.wantStatus, w.Body)
			}
			if got := w.Header().Get("Location"); got != tt.wantLocation {
				t.Errorf("got Location %q, want %q", got, tt.wantLocation)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("got WWW-Authenticate %q, want %q", got, tt.wantChallenge)
			}
			if got := w.Header().Get("Remote-AMR"); got != tt.wantAMR {
				t.Errorf("got Remote-AMR %q, want %q", got, tt.wantAMR)
			}
		})
	}
}

func TestAMR(t *testing.T) {
	at := testNow
	pwd := session.Factor{Method: session.MethodPassword, At: at}
	tests := []struct {
		name    string
		factors []session.Factor
		want    string
	}{
		{"password", []session.Factor{pwd}, "pwd"},
		{"password and security key", []session.Factor{pwd, {Method: session.MethodWebAuthn, DeviceBound: true, At: at}}, "pwd,hwk,mfa"},
		{"synced passkey with UV", []session.Factor{{Method: session.MethodPasskey, UserVerified: true, MultiFactor: true, At: at}}, "swk,user,mfa"},
		{"device-bound passkey without UV", []session.Factor{{Method: session.MethodPasskey, DeviceBound: true, At: at}}, "hwk"},
		{"both kinds of key", []session.Factor{
			{Method: session.MethodPasskey, UserVerified: true, At: at},
			{Method: session.MethodWebAuthn, DeviceBound: true, At: at}}, "hwk,swk,user"},
	}
	table := newAMRTable()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &session.Session{Username: "alice", Factors: tt.factors}
			if got := table[amrBits(s, s.Level())][0]; got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := table[amrBits(nil, session.LevelNone)][0]; got != "" {
		t.Errorf("no session: got %q, want empty", got)
	}
}
