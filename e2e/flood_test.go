package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.etcd.io/bbolt"

	"github.com/keygate/keygate/internal/testenv"
)

// floodRequests is how many anonymous requests each proxy sends in the flood.
const floodRequests = 200

// TestFloodCreatesNoSession sends a flood of anonymous requests, half of them
// with a made-up session cookie, through each proxy, then signs in once through
// each: the session store then holds exactly the sessions of those sign-ins.
// With Redis the store is also counted right after the flood.
func TestFloodCreatesNoSession(t *testing.T) {
	stores := []struct {
		name  string
		redis bool
	}{
		{"embedded", false},
		{"redis", true},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			var opts stackOptions
			var rdb *redis.Client
			if st.redis {
				opts.redis = testenv.Redis(t)
				rdb = redis.NewClient(&redis.Options{Addr: opts.redis})
				t.Cleanup(func() { rdb.Close() })
			}
			s := newStack(t, opts)
			var initial int64 // the embedded store starts empty
			if rdb != nil {
				initial = dbSize(t, rdb)
			}
			for _, p := range s.proxies {
				t.Run(p.name, func(t *testing.T) {
					if rdb == nil {
						flood(t, s, p)
					} else {
						before := dbSize(t, rdb)
						flood(t, s, p)
						if got := dbSize(t, rdb); got != before {
							t.Errorf("redis holds %d keys after the flood, want %d as before it", got, before)
						}
					}
					c := newClient(t, p, s.pki)
					signIn(t, c, alice, "")
					do(t, c, request{url: appURL + "/private"}).upstream(t)
				})
			}
			want := initial + int64(len(s.proxies))
			if rdb != nil {
				want++ // the set of alice's sessions, one key for all of them
				if got := dbSize(t, rdb); got != want {
					t.Errorf("redis holds %d keys after %d sign-ins, want %d", got, len(s.proxies), want)
				}
				return
			}
			s.keygate.Stop(t)
			if got := boltSessions(t, filepath.Join(s.dataDir, "keygate.db")); got != want {
				t.Errorf("the embedded store holds %d sessions after %d sign-ins, want %d", got, len(s.proxies), want)
			}
		})
	}
}

// flood sends floodRequests anonymous requests through p, eight at a time, and
// checks that each is sent to sign in without a cookie.
func flood(t *testing.T, s *stack, p proxy) {
	t.Helper()
	c := newClient(t, p, s.pki)
	jobs := make(chan int)
	errs := make(chan error, floodRequests)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				errs <- floodOne(c, i)
			}
		}()
	}
	for i := range floodRequests {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			if failed < 5 {
				t.Error(err)
			}
			failed++
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d flood requests were not sent to sign in", failed, floodRequests)
	}
}

// floodOne sends anonymous request i; odd ones carry a made-up session cookie.
func floodOne(c *http.Client, i int) error {
	r := request{url: fmt.Sprintf("%s/private/%d?a=1&b=2", appURL, i)}
	if i%2 == 1 {
		r.header = http.Header{"Cookie": {"keygate_session=" + randomHex()}}
	}
	ans, err := send(c, r)
	switch {
	case err != nil:
		return err
	case ans.status != http.StatusFound:
		return fmt.Errorf("flood request %d: got status %d, want 302", i, ans.status)
	case len(ans.header.Values("Set-Cookie")) != 0:
		return fmt.Errorf("flood request %d: got Set-Cookie %q, want none", i, ans.header.Values("Set-Cookie"))
	}
	return nil
}

func randomHex() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func dbSize(t *testing.T, rdb *redis.Client) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := rdb.DBSize(ctx).Result()
	if err != nil {
		t.Fatalf("redis DBSIZE: %v", err)
	}
	return n
}

// boltSessions counts the entries of the embedded session store in the bbolt
// file at path, which Keygate must have closed.
func boltSessions(t *testing.T, path string) int64 {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	defer db.Close()
	var n int64
	err = db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("sessions"))
		if b == nil {
			return fmt.Errorf("no sessions bucket")
		}
		n = int64(b.Stats().KeyN)
		return nil
	})
	if err != nil {
		t.Fatalf("counting sessions in %s: %v", path, err)
	}
	return n
}
