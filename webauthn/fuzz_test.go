package webauthn

import (
	"context"
	"errors"
	"testing"

	"github.com/descope/virtualwebauthn"
)

// The fuzz targets feed arbitrary browser JSON to the Finish entry points with a
// valid state: they must refuse it (or accept a genuine answer), never panic,
// and never fail with anything but a refusal of this package or a store error.

func FuzzFinishRegistration(f *testing.F) {
	e := newEnv(f, nil)
	_, seed := e.attest("alice", newDevice(virtualwebauthn.KeyTypeEC2), "Key")
	addSeeds(f, seed)
	f.Fuzz(func(t *testing.T, body []byte) {
		e.t = t
		opts, state, err := e.rp.BeginRegistration(context.Background(), User{Name: "alice"}, "")
		if err != nil || opts.PublicKey == nil {
			t.Fatal(err)
		}
		_, err = e.rp.FinishRegistration(context.Background(), "alice", state, body, "")
		checkFuzzError(t, err)
	})
}

func FuzzFinishLogin(f *testing.F) {
	e := newEnv(f, nil)
	d := newDevice(virtualwebauthn.KeyTypeEC2)
	e.mustRegister("alice", d, "Key")
	opts, _, _ := e.rp.BeginLogin(context.Background(), "alice")
	addSeeds(f, e.assert(opts, d))
	f.Fuzz(func(t *testing.T, body []byte) {
		e.t = t
		_, state, err := e.rp.BeginLogin(context.Background(), "alice")
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.rp.FinishLogin(context.Background(), "alice", state, body)
		checkFuzzError(t, err)
	})
}

func FuzzFinishPasskeyLogin(f *testing.F) {
	e := newEnv(f, nil)
	d := newDevice(virtualwebauthn.KeyTypeEC2)
	e.mustRegister("alice", d, "Key")
	opts, _, _ := e.rp.BeginPasskeyLogin(context.Background(), true)
	addSeeds(f, e.assert(opts, d))
	f.Fuzz(func(t *testing.T, body []byte) {
		e.t = t
		_, state, err := e.rp.BeginPasskeyLogin(context.Background(), false)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = e.rp.FinishPasskeyLogin(context.Background(), state, body)
		checkFuzzError(t, err)
	})
}

// FuzzState feeds arbitrary ceremony state (which only a faulty caller could
// corrupt) to FinishLogin.
func FuzzState(f *testing.F) {
	e := newEnv(f, nil)
	d := newDevice(virtualwebauthn.KeyTypeEC2)
	e.mustRegister("alice", d, "Key")
	opts, state, _ := e.rp.BeginLogin(context.Background(), "alice")
	body := e.assert(opts, d)
	addSeeds(f, state)
	f.Fuzz(func(t *testing.T, state []byte) {
		_, err := e.rp.FinishLogin(context.Background(), "alice", state, body)
		checkFuzzError(t, err)
	})
}

func addSeeds(f *testing.F, genuine []byte) {
	f.Add(genuine)
	for _, s := range []string{"", "{", "null", "[]", `{"id":"","type":"public-key"}`,
		`{"id":"AA","rawId":"AA","type":"public-key","response":{}}`,
		`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"","signature":"","userHandle":"AA"}}`} {
		f.Add([]byte(s))
	}
}

func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if err != nil && !errors.As(err, &e) {
		t.Fatalf("got %v, want a refusal (*Error)", err)
	}
}
