package webauthn

import (
	"context"
	"testing"

	"github.com/descope/virtualwebauthn"
)

// BenchmarkLogin measures one second-factor sign-in on the relying party's
// side: BeginLogin (the user's credentials read from the bbolt file, a fresh
// challenge, the state encoded) and FinishLogin (the assertion parsed and
// verified, its signature checked, the counter and last use written in a bbolt
// transaction). The authenticator's signing is left out of the timing.
func BenchmarkLogin(b *testing.B) {
	for _, kt := range []struct {
		name string
		typ  virtualwebauthn.KeyType
	}{{"ES256", virtualwebauthn.KeyTypeEC2}, {"RS256", virtualwebauthn.KeyTypeRSA}} {
		b.Run(kt.name, func(b *testing.B) {
			e := newEnv(b, nil)
			d := newDevice(kt.typ)
			e.mustRegister("alice", d, "Key")
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				opts, state, err := e.rp.BeginLogin(ctx, "alice")
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				resp := e.assert(opts, d)
				b.StartTimer()
				if _, err := e.rp.FinishLogin(ctx, "alice", state, resp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
