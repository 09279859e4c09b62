package session

import (
	"testing"
	"time"
)

func TestLevel(t *testing.T) {
	pw := Factor{Method: MethodPassword}
	key := Factor{Method: MethodWebAuthn}
	passkey := Factor{Method: MethodPasskey, UserVerified: true}
	tests := []struct {
		name    string
		session *Session
		want    Level
	}{
		{"nil session", nil, LevelNone},
		{"no factors", &Session{Username: "alice"}, LevelNone},
		{"factor without user", &Session{Factors: []Factor{pw}}, LevelNone},
		{"password", &Session{Username: "alice", Factors: []Factor{pw}}, LevelOneFactor},
		{"security key", &Session{Username: "alice", Factors: []Factor{key}}, LevelOneFactor},
		{"passkey without multi-factor", &Session{Username: "alice", Factors: []Factor{passkey}}, LevelOneFactor},
		{"two passwords", &Session{Username: "alice", Factors: []Factor{pw, pw}}, LevelOneFactor},
		{"two keys", &Session{Username: "alice", Factors: []Factor{key, passkey}}, LevelOneFactor},
		{"password and security key", &Session{Username: "alice", Factors: []Factor{pw, key}}, LevelTwoFactor},
		{"passkey and password", &Session{Username: "alice", Factors: []Factor{passkey, pw}}, LevelTwoFactor},
		{"multi-factor passkey", &Session{Username: "alice", Factors: []Factor{{Method: MethodPasskey, MultiFactor: true}}}, LevelTwoFactor},
		{"unknown method", &Session{Username: "alice", Factors: []Factor{{Method: "sms"}}}, LevelOneFactor},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.session.Level(); got != tc.want {
				t.Errorf("Level() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLevelString(t *testing.T) {
	for l, want := range map[Level]string{LevelNone: "none", LevelOneFactor: "one_factor", LevelTwoFactor: "two_factor", 9: "none"} {
		if got := l.String(); got != want {
			t.Errorf("Level(%d).String() = %q, want %q", l, got, want)
		}
	}
}

func TestAuthTimeHasMethodElevated(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &Session{Factors: []Factor{
		{Method: MethodWebAuthn, At: t0.Add(time.Minute)},
		{Method: MethodPassword, At: t0},
	}, ElevatedUntil: t0.Add(5 * time.Minute)}
	if got, want := s.AuthTime(), t0.Add(time.Minute); !got.Equal(want) {
		t.Errorf("AuthTime() = %v, want %v", got, want)
	}
	if got := (&Session{}).AuthTime(); !got.IsZero() {
		t.Errorf("AuthTime() without factors = %v, want zero", got)
	}
	for m, want := range map[Method]bool{MethodPassword: true, MethodWebAuthn: true, MethodPasskey: false} {
		if got := s.HasMethod(m); got != want {
			t.Errorf("HasMethod(%q) = %v, want %v", m, got, want)
		}
	}
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{t0, true},
		{t0.Add(5*time.Minute - 1), true},
		{t0.Add(5 * time.Minute), false},
	} {
		if got := s.Elevated(tc.at); got != tc.want {
			t.Errorf("Elevated(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
	if (&Session{}).Elevated(t0) {
		t.Error("Elevated() of a session never elevated = true, want false")
	}
}
