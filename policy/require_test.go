package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The AAGUIDs of the require tables: a security key model and a platform one.
const (
	keyModel      = "cb69481e-8ff7-4039-93ec-0a2729a154a8"
	platformModel = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd"
)

// Factors of the require tables, each used a minute before testNow.
var (
	syncedPasskey = Factor{UserVerified: true, Attachment: "platform", AAGUID: platformModel, At: testNow.Add(-time.Minute)}
	securityKey   = Factor{DeviceBound: true, Attachment: "cross-platform", AAGUID: keyModel, At: testNow.Add(-time.Minute)}
	keyWithPIN    = Factor{UserVerified: true, DeviceBound: true, Attachment: "cross-platform", AAGUID: keyModel, At: testNow.Add(-time.Minute)}
	boundPlatform = Factor{UserVerified: true, DeviceBound: true, Attachment: "platform", AAGUID: platformModel, At: testNow.Add(-time.Minute)}
)

// keySubjects are the subjects of the require table: what their factors were.
func keySubjects() []namedSubject {
	withKeys := func(name string, keys ...Factor) Subject {
		s := signedIn(name, LevelTwoFactor, time.Minute, "admins")
		s.Keys = keys
		return s
	}
	old := securityKey
	old.At = testNow.Add(-time.Hour)
	return []namedSubject{
		{"anonymous", Subject{}},
		{"pwd-only", signedIn("carol", LevelOneFactor, time.Minute, "admins")},
		{"synced", withKeys("alice", syncedPasskey)},
		{"seckey", withKeys("alice", securityKey)},
		{"seckey-1h", withKeys("alice", old)},
		{"seckey-pin", withKeys("alice", keyWithPIN)},
		{"synced+key", withKeys("alice", syncedPasskey, securityKey)},
		{"bound-plat", withKeys("alice", boundPlatform)},
		{"token", Subject{Username: "alice", Groups: []string{"admins"}, Level: LevelTwoFactor, Token: true}},
	}
}

func requireConfig() Config {
	return Config{DefaultPolicy: "one_factor", Rules: []Rule{
		{Domain: []string{"bound.example.com"}, Policy: "two_factor", Require: &Require{DeviceBound: true}},
		{Domain: []string{"key.example.com"}, Policy: "two_factor", Require: &Require{Attachment: "cross-platform"}},
		{Domain: []string{"uv.example.com"}, Policy: "one_factor", Require: &Require{UserVerification: true}},
		{Domain: []string{"model.example.com"}, Policy: "two_factor", Require: &Require{AAGUIDs: []string{strings.ToUpper(keyModel)}}},
		{Domain: []string{"fresh.example.com"}, Policy: "two_factor", Require: &Require{DeviceBound: true, MaxAge: 15 * time.Minute}},
		{Domain: []string{"all.example.com"}, Policy: "two_factor", Require: &Require{UserVerification: true, DeviceBound: true, Attachment: "cross-platform", AAGUIDs: []string{keyModel}, MaxAge: 5 * time.Minute}},
		{Domain: []string{"dav.example.com"}, Resources: []string{"^/cal/"}, Policy: "two_factor", Require: &Require{DeviceBound: true}, Tokens: "allow"},
		{Domain: []string{"dav.example.com"}, Policy: "one_factor", Tokens: "deny"},
		{Domain: []string{"open.example.com"}, Policy: "bypass"},
		{Domain: []string{"empty.example.com"}, Policy: "one_factor", Require: &Require{}},
	}}
}

func requireCases() []goldenCase {
	var cases []goldenCase
	for _, url := range []string{
		"bound.example.com/", "key.example.com/", "uv.example.com/", "model.example.com/",
		"fresh.example.com/", "all.example.com/", "dav.example.com/cal/home", "dav.example.com/",
		"open.example.com/", "empty.example.com/", "other.example.com/",
	} {
		cases = append(cases, goldenCase{"", "GET", url, "192.0.2.1"})
	}
	return cases
}

// verdictNote renders what a verdict adds to its decision: the require of a
// step-up and a rule's tokens: allow.
func verdictNote(v Verdict) string {
	var b strings.Builder
	if v.Decision == StepUp && v.Require != nil {
		fmt.Fprintf(&b, " need %s", describe(v.Require))
	}
	if v.Tokens {
		b.WriteString(" (tokens)")
	}
	return b.String()
}

// describe renders a requirement's conditions.
func describe(q *Requirement) string {
	var parts []string
	if q.UserVerification {
		parts = append(parts, "uv")
	}
	if q.DeviceBound {
		parts = append(parts, "device-bound")
	}
	if q.Attachment != AnyAttachment {
		parts = append(parts, q.Attachment.String())
	}
	if len(q.AAGUIDs) > 0 {
		parts = append(parts, "aaguid in "+strings.Join(q.AAGUIDs, ","))
	}
	if q.MaxAge > 0 {
		parts = append(parts, "within "+q.MaxAge.String())
	}
	return strings.Join(parts, " ")
}

func TestRequirementMeets(t *testing.T) {
	tests := []struct {
		name string
		q    Requirement
		f    Factor
		want bool
	}{
		{"nothing asked", Requirement{}, Factor{}, true},
		{"uv missing", Requirement{UserVerification: true}, securityKey, false},
		{"uv given", Requirement{UserVerification: true}, syncedPasskey, true},
		{"synced is not device bound", Requirement{DeviceBound: true}, syncedPasskey, false},
		{"unknown backup state is not device bound", Requirement{DeviceBound: true}, Factor{At: testNow}, false},
		{"platform is not cross-platform", Requirement{Attachment: CrossPlatform}, boundPlatform, false},
		{"unknown attachment meets no attachment", Requirement{Attachment: Platform}, Factor{At: testNow}, false},
		{"model listed", Requirement{AAGUIDs: []string{keyModel}}, securityKey, true},
		{"model not listed", Requirement{AAGUIDs: []string{keyModel}}, syncedPasskey, false},
		{"unknown model", Requirement{AAGUIDs: []string{keyModel}}, Factor{At: testNow}, false},
		{"fresh", Requirement{MaxAge: 2 * time.Minute}, securityKey, true},
		{"stale", Requirement{MaxAge: 30 * time.Second}, securityKey, false},
		{"zero time is never fresh", Requirement{MaxAge: time.Hour}, Factor{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.q.Meets(tt.f, testNow); got != tt.want {
				t.Errorf("Meets = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEvaluateDoesNotAllocate(t *testing.T) {
	e := mustNew(t, requireConfig())
	s := keySubjects()[2].subject
	r := newTestRequest("GET", "bound.example.com/", "192.0.2.1")
	if n := testing.AllocsPerRun(100, func() { _ = e.Evaluate(s, r) }); n != 0 {
		t.Errorf("Evaluate allocates %v times, want 0", n)
	}
}

func TestRequirementText(t *testing.T) {
	for _, q := range []Requirement{
		{},
		{DeviceBound: true},
		{UserVerification: true, DeviceBound: true, Attachment: CrossPlatform, AAGUIDs: []string{keyModel, platformModel}, MaxAge: 15 * time.Minute},
		{Attachment: Platform, MaxAge: time.Second},
	} {
		text := q.String()
		got, err := ParseRequirement(text)
		if err != nil {
			t.Errorf("ParseRequirement(%q): %v", text, err)
			continue
		}
		if got.String() != text {
			t.Errorf("ParseRequirement(%q) = %q, want the same", text, got.String())
		}
	}
	for _, bad := range []string{"uv=1", "aaguid=x", "max_age=-5", "max_age=", "root", "device_bound,,uv", "max_age=99999999999"} {
		if _, err := ParseRequirement(bad); !errors.Is(err, ErrBadRequirement) {
			t.Errorf("ParseRequirement(%q): got %v, want ErrBadRequirement", bad, err)
		}
	}
}
