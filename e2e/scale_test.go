package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
)

// Bounds on what a fault may cost, measured on this 2-core machine and
// written down in docs/scale-out.md with a margin: the failures (5xx, no
// answer) after a replica dies and after the Redis primary dies must end
// within these.
const (
	replicaKillWindow = 3 * time.Second
	redisKillWindow   = 8 * time.Second
)

// TestScaleOut runs three replicas on one PostgreSQL database behind HAProxy
// (round robin for the portal and the checks alike), with sessions and
// ceremonies on Redis: first Sentinel-managed (1 primary, 1 replica, 3
// Sentinels), then a Cluster of 3 primaries with a replica each. Sign-ins and
// a key registration go through steps served by different replicas; under
// load a replica, then the Redis primary, is killed: nobody signed in is
// signed out, nothing is let through wrongly, no credential or acknowledged
// session is lost, and the failures stay within the windows above.
func TestScaleOut(t *testing.T) {
	pg := testenv.StartPostgres(t)
	t.Run("Sentinel", func(t *testing.T) {
		ha := testenv.RedisSentinelHA(t, 1, 3)
		redis := fmt.Sprintf("{sentinel: {master: %s, addresses: [%s]}}", ha.Master, strings.Join(ha.SentinelAddrs(), ", "))
		rs := startReplicaSet(t, 3, pg, redis)
		s := signInsAcrossReplicas(t, rs)
		revokeEverywhere(t, rs)
		codesLimitedTogether(t, rs)
		failuresBanTogether(t, rs)
		faultsUnderLoad(t, rs, s, "the Redis primary", func(string) { ha.Primary.Kill(t) })
	})
	t.Run("Cluster", func(t *testing.T) {
		primaries, _ := testenv.RedisClusterHA(t, 3)
		var addrs []string
		for _, p := range primaries {
			addrs = append(addrs, p.Addr)
		}
		rs := startReplicaSet(t, 3, pg, fmt.Sprintf("{cluster: {addresses: [%s]}}", strings.Join(addrs, ", ")))
		s := signInsAcrossReplicas(t, rs)
		listedOnEveryPrimary(t, rs)
		codesLimitedTogether(t, rs)
		failuresBanTogether(t, rs)
		faultsUnderLoad(t, rs, s, "the Redis primary holding alice's session", func(cookie string) {
			owner(t, primaries, "keygate:s:"+hashOf(t, cookie)).Kill(t)
		})
	})
}

// signedIn is what signInsAcrossReplicas leaves: sessions and keys.
type signedIn struct {
	alice, bob     string // session cookies
	aliceKey, bobs *testenv.Passkey
}

// signInsAcrossReplicas signs alice in with her password, enrolls a passkey
// for bob from an invite and signs him in with it, and registers a key for
// alice after a one-time code: each ceremony's steps served by different
// replicas, and the session honoured by every replica.
func signInsAcrossReplicas(t *testing.T, rs *replicaSet) signedIn {
	t.Helper()
	a := newLBClient(rs.lb)
	a.mustPost(t, "/api/login/password", map[string]any{"username": alice.username, "password": alice.password}, http.StatusOK)
	var served []string
	for range 6 {
		status, by := forwardCheck(rs.lb, a.session(), "/private")
		if status != http.StatusOK {
			t.Fatalf("alice's check through the balancer = %d (by %s), want 200", status, by)
		}
		served = append(served, by)
	}
	if distinct(served) != len(rs.replicas) {
		t.Errorf("6 checks were served by %q, want every one of %d replicas", served, len(rs.replicas))
	}

	bobDev := newPasskeyDevice()
	link := lastLine(rs.replicas[0].cli(t, "invite", bob.username))
	_, token, _ := strings.Cut(link, "token=")
	b := newLBClient(rs.lb)
	opts := b.mustPost(t, "/api/enroll/options", map[string]any{"token": token, "description": "bob's key"}, http.StatusOK)
	cred, err := bobDev.Attest(opts)
	if err != nil {
		t.Fatal(err)
	}
	b.mustPost(t, "/api/enroll", map[string]any{"token": token, "credential": cred, "description": "bob's key"}, http.StatusOK)
	wantSpread(t, "bob's enrollment", b.served)

	bp := newLBClient(rs.lb)
	opts = bp.mustPost(t, "/api/login/passkey/options", map[string]any{"conditional": false}, http.StatusOK)
	if cred, err = bobDev.Assert(opts); err != nil {
		t.Fatal(err)
	}
	bp.mustPost(t, "/api/login/passkey", map[string]any{"credential": cred}, http.StatusOK)
	wantSpread(t, "bob's passkey sign-in", bp.served)

	aliceDev := newPasskeyDevice()
	a.served = nil
	a.mustPost(t, "/api/identity/code", map[string]any{}, http.StatusOK)
	a.mustPost(t, "/api/identity/verify", map[string]any{"code": rs.notifiedCode(t, alice.username)}, http.StatusOK)
	opts = a.mustPost(t, "/api/webauthn/credentials/options", map[string]any{"description": "alice's key"}, http.StatusOK)
	if cred, err = aliceDev.Attest(opts); err != nil {
		t.Fatal(err)
	}
	a.mustPost(t, "/api/webauthn/credentials", map[string]any{"credential": cred, "description": "alice's key"}, http.StatusCreated)
	wantSpread(t, "alice's key registration", a.served)
	return signedIn{alice: a.session(), bob: bp.session(), aliceKey: aliceDev, bobs: bobDev}
}

// wantSpread wants a ceremony's calls served by more than one replica.
func wantSpread(t *testing.T, what string, served []string) {
	t.Helper()
	if distinct(served) < 2 {
		t.Errorf("%s: every step served by %q, want them on different replicas", what, served)
	}
	t.Logf("%s: steps served by %s", what, strings.Join(served, ", "))
}

// codesLimitedTogether asks for identity codes for bob through the balancer:
// the replicas share one count, so the fourth within ten minutes is refused
// whichever replica it reaches.
func codesLimitedTogether(t *testing.T, rs *replicaSet) {
	t.Helper()
	c := newLBClient(rs.lb)
	c.mustPost(t, "/api/login/password", map[string]any{"username": bob.username, "password": bob.password}, http.StatusOK)
	c.served = nil
	for range 3 {
		c.mustPost(t, "/api/identity/code", map[string]any{}, http.StatusOK)
	}
	c.mustPost(t, "/api/identity/code", map[string]any{}, http.StatusTooManyRequests)
	wantSpread(t, "bob's four code requests", c.served)
}

// failuresBanTogether makes five wrong guesses of dora's password from one
// address, through the balancer and so on every replica: the replicas count
// together, so the fifth bans, and dora's right password is refused after it
// on whichever replica it reaches.
func failuresBanTogether(t *testing.T, rs *replicaSet) {
	t.Helper()
	c := newLBClient(rs.lb)
	c.xff = "192.0.2.77"
	wrong := map[string]any{"username": dora.username, "password": "not-" + dora.password}
	for range 5 {
		c.mustPost(t, "/api/login/password", wrong, http.StatusUnauthorized)
	}
	wantSpread(t, "five wrong guesses", c.served)
	right := map[string]any{"username": dora.username, "password": dora.password}
	for range len(rs.replicas) {
		c.mustPost(t, "/api/login/password", right, http.StatusUnauthorized)
	}
}

// revokeEverywhere signs dora in, lists her session through one replica and
// revokes her there: every replica refuses her within session.CacheTTL (1 s)
// of the command's return, though each had her session cached. (On Sentinel,
// where Redis tells each replica of the deletion, it takes milliseconds; the
// log shows it, the bound is the guarantee.)
func revokeEverywhere(t *testing.T, rs *replicaSet) {
	t.Helper()
	d := newLBClient(rs.lb)
	d.mustPost(t, "/api/login/password", map[string]any{"username": dora.username, "password": dora.password}, http.StatusOK)
	var rows []struct {
		User, IP string
	}
	if err := json.Unmarshal([]byte(rs.replicas[1].cli(t, "sessions", "list", dora.username, "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].User != dora.username || rows[0].IP != "127.0.0.1" {
		t.Errorf("sessions list dora = %+v, want her one session from 127.0.0.1", rows)
	}
	for _, r := range rs.replicas {
		if status, _ := forwardCheck(r.addr, d.session(), "/private"); status != http.StatusOK {
			t.Fatalf("dora's check on %s = %d, want 200", r.name, status)
		}
	}
	rs.replicas[2].cli(t, "sessions", "revoke", dora.username)
	revoked := time.Now()
	for _, r := range rs.replicas {
		for {
			sent := time.Since(revoked) // a check sent later than 1 s must be refused
			status, _ := forwardCheck(r.addr, d.session(), "/private")
			if status == http.StatusUnauthorized {
				t.Logf("dora refused on %s from %v after `sessions revoke` returned", r.name, sent.Round(time.Millisecond))
				break
			}
			if sent > time.Second {
				t.Fatalf("dora's revoked session answered %d on %s to a check sent %v after the revocation", status, r.name, sent)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// faultsUnderLoad kills replica k2, then (by killRedis) a Redis primary,
// under load, and judges what the load saw.
func faultsUnderLoad(t *testing.T, rs *replicaSet, s signedIn, what string, killRedis func(aliceCookie string)) {
	t.Helper()
	l := startScaleLoad(rs.lb, s.alice, s.bob, s.bobs)
	time.Sleep(1500 * time.Millisecond)
	starts := []time.Time{time.Now()}
	if err := rs.replicas[1].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("killing replica k2: %v", err)
	}
	time.Sleep(2500 * time.Millisecond)
	starts = append(starts, time.Now())
	killRedis(s.alice)
	recovered := waitRecovered(rs.lb, 20*time.Second)
	time.Sleep(2 * time.Second)
	l.finish()

	before, ws := l.windows(starts)
	t.Logf("%d checks and %d sign-ins; %d failures before the faults", l.checks, l.signIns, before)
	t.Logf("replica killed: %d failures, the last %v after the kill", ws[0].failures, ws[0].last.Round(time.Millisecond))
	t.Logf("%s killed: %d failures, the last %v after the kill; every store read answers again %v after it",
		what, ws[1].failures, ws[1].last.Round(time.Millisecond), recovered.Sub(starts[1]).Round(time.Millisecond))
	for _, w := range l.wrong {
		t.Errorf("under faults: %s", w)
	}
	if before > 0 {
		t.Errorf("%d failures before any fault", before)
	}
	if ws[0].last > replicaKillWindow || ws[1].last > redisKillWindow {
		t.Errorf("failures lasted %v after the replica's death and %v after Redis's, want at most %v and %v",
			ws[0].last, ws[1].last, replicaKillWindow, redisKillWindow)
	}
	if l.signIns == 0 {
		t.Error("no sign-in succeeded under load: the test exercised nothing")
	}
	nothingLost(t, rs, s, l.acked)
}

// waitRecovered polls until 30 checks in a row with forged cookies, each a
// store read on a random key (so on every Redis primary, in a cluster),
// answer 401 rather than fail, and returns when that run began. Signed-in
// sessions are no test of it: each replica answers them from its cache.
func waitRecovered(lb string, limit time.Duration) time.Time {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		began, ok := time.Now(), true
		for range 30 {
			var raw [32]byte
			_, _ = rand.Read(raw[:])
			if status, _ := forwardCheck(lb, base64.RawURLEncoding.EncodeToString(raw[:]), "/private"); status != http.StatusUnauthorized {
				ok = false
				break
			}
		}
		if ok {
			return began
		}
		time.Sleep(20 * time.Millisecond)
	}
	return deadline
}

// nothingLost wants every acknowledged session honoured, and both keys
// listed and signing in, after the faults.
func nothingLost(t *testing.T, rs *replicaSet, s signedIn, acked []string) {
	t.Helper()
	lost := 0
	for _, cookie := range append(acked, s.alice, s.bob) {
		if status, by := forwardCheck(rs.lb, cookie, "/private"); status != http.StatusOK {
			lost++
			if lost <= 5 {
				t.Errorf("an acknowledged session answers %d on %s after the faults, want 200", status, by)
			}
		}
	}
	t.Logf("%d acknowledged sessions checked after the faults, %d lost", len(acked)+2, lost)
	live := rs.replicas[0]
	for user, key := range map[string]string{alice.username: "alice's key", bob.username: "bob's key"} {
		if out := live.cli(t, "credentials", "list", user); !strings.Contains(out, key) {
			t.Errorf("credentials of %s after the faults lack %q:\n%s", user, key, out)
		}
	}
	c := newLBClient(rs.lb)
	opts := c.mustPost(t, "/api/login/passkey/options", map[string]any{"conditional": false}, http.StatusOK)
	cred, err := s.aliceKey.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	c.mustPost(t, "/api/login/passkey", map[string]any{"credential": cred}, http.StatusOK)
}

// listedOnEveryPrimary lists everyone's sessions, which a cluster spreads
// over its primaries: alice's and bob's are all there.
func listedOnEveryPrimary(t *testing.T, rs *replicaSet) {
	t.Helper()
	var rows []struct{ User string }
	if err := json.Unmarshal([]byte(rs.replicas[0].cli(t, "sessions", "list", "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range rows {
		count[r.User]++
	}
	if count[alice.username] != 1 || count[bob.username] != 2 {
		t.Errorf("sessions list on a cluster: %v, want alice 1 and bob 2 (enrollment, passkey)", count)
	}
}

// owner is the primary that holds key.
func owner(t *testing.T, primaries []*testenv.RedisServer, key string) *testenv.RedisServer {
	t.Helper()
	slot := strings.TrimSpace(primaries[0].CLI(t, "CLUSTER", "KEYSLOT", key))
	for _, p := range primaries {
		if strings.TrimSpace(p.CLI(t, "CLUSTER", "COUNTKEYSINSLOT", slot)) != "0" {
			return p
		}
	}
	t.Fatalf("no primary holds %s (slot %s)", key, slot)
	return nil
}
