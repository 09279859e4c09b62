package directory

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// writeUsers writes content to a users file in a fresh directory.
func writeUsers(t testing.TB, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.yml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// newCheap returns a Directory on content whose dummy hash uses the cheap parameters.
func newCheap(t testing.TB, content string) *Directory {
	t.Helper()
	d, err := New(Config{File: writeUsers(t, content)}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h, err := newPHC(cheap)
	if err != nil {
		t.Fatal(err)
	}
	d.dummy = argon2idHash(h)
	return d
}

// countHashes makes d count its hashes.
func countHashes(d *Directory) *atomic.Int64 {
	var n atomic.Int64
	match := d.match
	d.match = func(h hash, password string) bool {
		n.Add(1)
		return match(h, password)
	}
	return &n
}

func testUsers(t testing.TB) string {
	hash := cheapHash(t, "secret")
	return fmt.Sprintf(`users:
  alice:
    display_name: Alice
    email: alice@example.com
    groups: [admins]
    password: %q
  dora:
    password: %q
    disabled: true
  pat: {}
`, hash, hash)
}

func TestAuthenticate(t *testing.T) {
	d := newCheap(t, testUsers(t))
	hashes := countHashes(d)
	alice := User{Username: "alice", DisplayName: "Alice", Email: "alice@example.com", Groups: []string{"admins"}, hasPassword: true}
	tests := []struct {
		name, username, password string
		want                     User
		wantErr                  error
	}{
		{"right password", "alice", "secret", alice, nil},
		{"capitals in username", "Alice", "secret", alice, nil},
		{"wrong password", "alice", "Secret", User{}, ErrInvalidCredentials},
		{"empty password", "alice", "", User{}, ErrInvalidCredentials},
		{"unknown user", "mallory", "secret", User{}, ErrInvalidCredentials},
		{"empty username", "", "secret", User{}, ErrInvalidCredentials},
		{"disabled user, right password", "dora", "secret", User{}, ErrInvalidCredentials},
		{"passkey-only user", "pat", "", User{}, ErrInvalidCredentials},
		{"passkey-only user, some password", "pat", "secret", User{}, ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := hashes.Load()
			got, err := d.Authenticate(context.Background(), tt.username, tt.password)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Authenticate error: got %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(User{})); diff != "" {
				t.Errorf("Authenticate user (-want +got):\n%s", diff)
			}
			if n := hashes.Load() - before; n != 1 {
				t.Errorf("hashes run: got %d, want 1", n)
			}
		})
	}
}

// TestAuthenticateDummyHash checks that a file without any password hash has
// every sign-in checked against the dummy hash, with the default parameters.
func TestAuthenticateDummyHash(t *testing.T) {
	d, err := New(Config{File: writeUsers(t, "users:\n  pat: {}\n")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	d.match = func(h hash, _ string) bool {
		got = append(got, h.class)
		return false
	}
	for _, name := range []string{"mallory", "pat"} {
		d.Authenticate(context.Background(), name, "secret")
	}
	want := []string{"argon2id m=65536,t=3,p=4", "argon2id m=65536,t=3,p=4"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hash classes checked (-want +got):\n%s", diff)
	}
}

func TestAuthenticateConcurrencyBound(t *testing.T) {
	d := newCheap(t, testUsers(t))
	var inFlight, peak atomic.Int64
	release := make(chan struct{})
	d.match = func(h hash, password string) bool {
		n := inFlight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release
		defer inFlight.Add(-1)
		return matchHash(h, password)
	}
	const callers = 50
	limit := min(int64(HashSlots()), callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			d.Authenticate(context.Background(), []string{"alice", "nobody"}[i%2], "secret")
		})
	}
	for inFlight.Load() < limit { // wait until every slot is taken
		runtime.Gosched()
	}
	time.Sleep(50 * time.Millisecond) // give an unbounded implementation time to overshoot
	if got := inFlight.Load(); got != limit {
		t.Errorf("hashes in flight with all slots taken: got %d, want %d", got, limit)
	}
	close(release)
	wg.Wait()
	if got := peak.Load(); got != limit {
		t.Errorf("peak hashes in flight: got %d, want %d", got, limit)
	}
}

func TestAuthenticateContextWhileWaiting(t *testing.T) {
	d := newCheap(t, testUsers(t))
	for range cap(d.sem) { // take every slot
		d.sem <- struct{}{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := d.Authenticate(ctx, "alice", "secret")
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Authenticate with a cancelled wait: got %v, want %v", err, context.Canceled)
	}
}

func TestLookup(t *testing.T) {
	d := newCheap(t, testUsers(t))
	got, ok := d.Lookup("dora")
	want := User{Username: "dora", DisplayName: "dora", Disabled: true, hasPassword: true}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(User{})); !ok || diff != "" {
		t.Errorf("Lookup(dora): ok %v, (-want +got):\n%s", ok, diff)
	}
	alice, _ := d.Lookup("alice")
	alice.Groups[0] = "changed"
	if again, _ := d.Lookup("alice"); again.Groups[0] != "admins" {
		t.Errorf("changing a returned user changed the directory: groups %v", again.Groups)
	}
	if _, ok := d.Lookup("nobody"); ok {
		t.Error("Lookup(nobody): got true, want false")
	}
}

func TestNewErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.yml")
	if _, err := New(Config{File: missing}, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("New on a missing file: got %v, want %v", err, os.ErrNotExist)
	}
	bad := writeUsers(t, "users:\n  alice:\n    password: nope\n")
	if _, err := New(Config{File: bad}, nil); !errors.Is(err, ErrInvalidFile) {
		t.Errorf("New on a bad file: got %v, want %v", err, ErrInvalidFile)
	}
	if _, err := New(Config{File: t.TempDir()}, nil); !errors.Is(err, ErrInvalidFile) {
		t.Errorf("New on a directory: got %v, want %v", err, ErrInvalidFile)
	}
}

// rewrite replaces the users file and moves its modification time on, so that
// the change is seen whatever the file system's time resolution.
func rewrite(t *testing.T, path, content string, step int) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	mtime := time.Now().Add(time.Duration(step) * time.Minute)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func TestReload(t *testing.T) {
	d := newCheap(t, "users:\n  alice: {}\n")
	steps := []struct {
		name, content string
		remove        bool
		want          []string // users that must exist
		wantNot       []string
	}{
		{name: "added user", content: "users:\n  alice: {}\n  bob: {}\n", want: []string{"alice", "bob"}},
		{name: "bad file keeps old", content: "users:\n  alice: {}\n  bob: {emial: x}\n", want: []string{"alice", "bob"}},
		{name: "removed file keeps old", remove: true, want: []string{"alice", "bob"}},
		{name: "removed user", content: "users:\n  bob: {}\n", want: []string{"bob"}, wantNot: []string{"alice"}},
	}
	for i, step := range steps {
		if step.remove {
			os.Remove(d.path)
		} else {
			rewrite(t, d.path, step.content, i+1)
		}
		d.reload()
		for _, name := range step.want {
			if _, ok := d.Lookup(name); !ok {
				t.Errorf("%s: Lookup(%s): got false, want true", step.name, name)
			}
		}
		for _, name := range step.wantNot {
			if _, ok := d.Lookup(name); ok {
				t.Errorf("%s: Lookup(%s): got true, want false", step.name, name)
			}
		}
	}
}

func TestWatch(t *testing.T) {
	d := newCheap(t, "users:\n  alice: {}\n")
	d.poll = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		d.Watch(ctx)
		close(stopped)
	}()
	rewrite(t, d.path, "users:\n  bob: {}\n", 1)
	deadline := time.Now().Add(10 * time.Second)
	for _, ok := d.Lookup("bob"); !ok; _, ok = d.Lookup("bob") {
		if time.Now().After(deadline) {
			t.Fatal("Watch did not load the changed file within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-stopped
}

// BenchmarkAuthenticate measures one sign-in's password check with the default
// parameters: as the daemon runs it, collecting the hash's memory when it ends;
// without that; and returning the memory to the operating system after every
// hash, which makes the next one fault it in again.
func BenchmarkAuthenticate(b *testing.B) {
	hash, err := HashPassword("secret")
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		reclaim func(r *reclaimer)
	}{
		{"collect", func(*reclaimer) {}},
		{"no collect", func(r *reclaimer) { r.collect = func() {} }},
		{"release every time", func(r *reclaimer) { r.collect, r.delay = debug.FreeOSMemory, time.Hour }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			d, err := New(Config{File: writeUsers(b, fmt.Sprintf("users:\n  alice:\n    password: %q\n", hash))}, nil)
			if err != nil {
				b.Fatal(err)
			}
			tc.reclaim(d.reclaim)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Authenticate(context.Background(), "alice", "secret"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
