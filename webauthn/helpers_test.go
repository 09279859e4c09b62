package webauthn

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/keygate/keygate/store"
)

const (
	testRPID   = "example.com"
	testOrigin = "https://auth.example.com"
)

// testClock is the relying party's clock in tests.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

// env is a relying party over a real store in a temporary bbolt file, and the
// browser side that talks to it.
type env struct {
	t     testing.TB
	rp    *RP
	store *store.Store
	clock *testClock
	// browser is the relying party as the virtual browser sees it (origin, RP ID).
	browser virtualwebauthn.RelyingParty
}

func testConfig() Config {
	return Config{RPID: testRPID, Origins: []string{testOrigin}}
}

// newEnv builds an env; configure, when not nil, edits the config first.
func newEnv(t testing.TB, configure func(*Config)) *env {
	t.Helper()
	cfg := testConfig()
	if configure != nil {
		configure(&cfg)
	}
	st, err := store.Open(context.Background(), store.Config{Path: filepath.Join(t.TempDir(), "keygate.db")}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rp, err := New(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	clock := &testClock{t: time.Now()}
	rp.now = clock.now
	return &env{
		t: t, rp: rp, store: st, clock: clock,
		browser: virtualwebauthn.RelyingParty{ID: testRPID, Name: "Keygate", Origin: testOrigin},
	}
}

// device is one virtual authenticator holding one credential.
type device struct {
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
}

// newDevice makes an authenticator with a credential of keyType. It reports
// credProps.rk = true at registration, like a passkey.
func newDevice(keyType virtualwebauthn.KeyType) *device {
	return &device{
		auth: virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{
			Transports: []virtualwebauthn.Transport{virtualwebauthn.TransportUSB},
		}),
		cred: virtualwebauthn.NewCredential(keyType),
	}
}

// attest asks the relying party for registration options and returns the
// authenticator's answer to them, with the state.
func (e *env) attest(user string, d *device, description string) ([]byte, []byte) {
	e.t.Helper()
	opts, state, err := e.rp.BeginRegistration(context.Background(), User{Name: user}, description)
	if err != nil {
		e.t.Fatalf("BeginRegistration: %v", err)
	}
	parsed, err := virtualwebauthn.ParseAttestationOptions(string(opts.PublicKey))
	if err != nil {
		e.t.Fatalf("ParseAttestationOptions: %v", err)
	}
	d.auth.Options.UserHandle = []byte(parsed.UserID)
	d.auth.Options.ClientExtensionResults = map[string]any{"credProps": map[string]any{"rk": true}}
	resp := virtualwebauthn.CreateAttestationResponse(e.browser, d.auth, d.cred, *parsed)
	d.auth.Options.ClientExtensionResults = nil
	return state, []byte(resp)
}

// register runs a whole registration.
func (e *env) register(user string, d *device, description string) (Summary, error) {
	e.t.Helper()
	state, resp := e.attest(user, d, description)
	return e.rp.FinishRegistration(context.Background(), user, state, resp, "")
}

// mustRegister registers or fails the test. The clock then moves on a second,
// so that credentials are listed in the order they were registered.
func (e *env) mustRegister(user string, d *device, description string) Summary {
	e.t.Helper()
	s, err := e.register(user, d, description)
	if err != nil {
		e.t.Fatalf("registering %q for %s: %v", description, user, err)
	}
	e.clock.t = e.clock.t.Add(time.Second)
	return s
}

// assert signs the options with the device's credential.
func (e *env) assert(opts Options, d *device) []byte {
	e.t.Helper()
	parsed, err := virtualwebauthn.ParseAssertionOptions(string(opts.PublicKey))
	if err != nil {
		e.t.Fatalf("ParseAssertionOptions: %v", err)
	}
	return []byte(virtualwebauthn.CreateAssertionResponse(e.browser, d.auth, d.cred, *parsed))
}

// login runs a whole second-factor sign-in.
func (e *env) login(user string, d *device) (Assertion, error) {
	e.t.Helper()
	ctx := context.Background()
	opts, state, err := e.rp.BeginLogin(ctx, user)
	if err != nil {
		e.t.Fatalf("BeginLogin: %v", err)
	}
	return e.rp.FinishLogin(ctx, user, state, e.assert(opts, d))
}

// passkey runs a whole passkey sign-in.
func (e *env) passkey(d *device) (string, Assertion, error) {
	e.t.Helper()
	ctx := context.Background()
	opts, state, err := e.rp.BeginPasskeyLogin(ctx, false)
	if err != nil {
		e.t.Fatalf("BeginPasskeyLogin: %v", err)
	}
	return e.rp.FinishPasskeyLogin(ctx, state, e.assert(opts, d))
}

// wantCode fails unless err is a refusal with code (or nil when code is "").
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("got error %v, want none", err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want code %s", err, code)
	}
	if e.Code != code {
		t.Fatalf("got code %s (%v), want %s", e.Code, err, code)
	}
}

// asError returns err as a refusal of this package, if it is one.
func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
