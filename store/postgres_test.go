package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/keygate/keygate/internal/testenv"
)

// TestPostgresMigrationsOnce starts several stores on one empty database at
// once, as replicas do: each version is applied once and all of them work.
func TestPostgresMigrationsOnce(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db := pg.NewDatabase(t)
	ctx := context.Background()
	const n = 4
	var wg sync.WaitGroup
	stores := make([]*Store, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			stores[i], errs[i] = Open(ctx, postgresConfig(pg, db), slog.New(slog.DiscardHandler))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		defer stores[i].Close()
	}
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pg.Exec(t, db, "SELECT count(*) || ':' || max(version) FROM schema_migrations"), fmt.Sprintf("%d:%d", len(all), len(all)); got != want {
		t.Errorf("schema_migrations count:max got %s, want %s for %d files", got, want, len(all))
	}
	if err := stores[0].AddCredential(ctx, "alice", testCredential("a", "Key")); err != nil {
		t.Fatal(err)
	}
	if _, err := stores[n-1].Credential(ctx, "alice", []byte("a")); err != nil {
		t.Errorf("a credential added through one store, read through another: %v", err)
	}
}

// TestCopyBetweenBackends copies bbolt to PostgreSQL and back: each copy
// exports what the source exported.
func TestCopyBetweenBackends(t *testing.T) {
	pg := testenv.StartPostgres(t)
	ctx := context.Background()
	bolt, clk := openBolt(t)
	fill(t, bolt, clk)
	want := dump(t, bolt)
	pgStore, _ := openPostgresTest(pg)(t)
	if err := pgStore.Load(ctx, want, false); err != nil {
		t.Fatalf("bbolt into postgres: %v", err)
	}
	if diff := cmp.Diff(want, dump(t, pgStore)); diff != "" {
		t.Errorf("postgres copy (-bbolt +postgres):\n%s", diff)
	}
	back, _ := openBolt(t)
	if err := back.Load(ctx, dump(t, pgStore), false); err != nil {
		t.Fatalf("postgres into bbolt: %v", err)
	}
	if diff := cmp.Diff(want, dump(t, back)); diff != "" {
		t.Errorf("bbolt copy of the postgres copy (-first +second):\n%s", diff)
	}
}

func TestFoldDescriptionMatchesSameDescription(t *testing.T) {
	words := []string{"key", "KEY", "Kéy", "KÉY", "\u212aey", "straße", "STRASSE", "ǅ", "ǆ", "Ǆ", "σς", "ΣΣ", "İ", "i", "ı", "I"}
	for _, a := range words {
		for _, b := range words {
			if got, want := foldDescription(a) == foldDescription(b), sameDescription(a, b); got != want {
				t.Errorf("%q vs %q: fold keys equal %v, sameDescription %v", a, b, got, want)
			}
		}
	}
}

// TestPostgresReplicasRace runs the races of the conformance suite across
// two stores with their own pools on one database, as two replicas: one
// invite enrolls once, one counter value signs in once.
func TestPostgresReplicasRace(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db := pg.NewDatabase(t)
	ctx := context.Background()
	var replicas [2]*Store
	for i := range replicas {
		s, err := Open(ctx, postgresConfig(pg, db), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		replicas[i] = s
	}
	token, err := replicas[0].CreateInvite(ctx, "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const rounds = 10
	var enrolled, signedIn, refused atomic.Int32
	var wg sync.WaitGroup
	for r := range rounds {
		for i, s := range replicas {
			wg.Go(func() {
				c := testCredential(fmt.Sprintf("id-%d-%d", r, i), fmt.Sprintf("Key %d %d", r, i))
				if s.EnrollCredential(ctx, "alice", c, token) == nil {
					enrolled.Add(1)
				}
			})
		}
	}
	wg.Wait()
	if got := enrolled.Load(); got != 1 {
		t.Fatalf("enrollments with one invite on two replicas: %d succeeded, want 1", got)
	}
	creds, err := replicas[1].Credentials(ctx, "alice")
	if err != nil || len(creds) != 1 {
		t.Fatalf("alice's credentials: %d, %v; want 1", len(creds), err)
	}
	id := creds[0].ID
	for i, s := range replicas {
		wg.Go(func() {
			switch err := s.UpdateAfterLogin(ctx, "alice", id, 100, false, time.Now()); {
			case err == nil:
				signedIn.Add(1)
			case errors.Is(err, ErrSignCount):
				refused.Add(1)
			default:
				t.Errorf("replica %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if signedIn.Load() != 1 || refused.Load() != 1 {
		t.Errorf("sign-ins with counter 100 on two replicas: %d recorded, %d refused; want 1 and 1", signedIn.Load(), refused.Load())
	}
}

// TestPostgresTLS connects to a server that takes TCP clients only over TLS:
// with TLS and its CA the store opens; without TLS, with the system roots or
// with another server name it does not.
func TestPostgresTLS(t *testing.T) {
	pg, caFile, serverName := testenv.PostgresTLS(t)
	db := pg.NewDatabase(t)
	tests := []struct {
		name string
		tls  PostgresTLS
		ok   bool
	}{
		{"tls with the CA", PostgresTLS{Enabled: true, ServerName: serverName, CAFile: caFile}, true},
		{"no tls", PostgresTLS{}, false},
		{"system roots", PostgresTLS{Enabled: true, ServerName: serverName}, false},
		{"other name", PostgresTLS{Enabled: true, ServerName: "other.keygate.test", CAFile: caFile}, false},
		{"address host as name", PostgresTLS{Enabled: true, CAFile: caFile}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := postgresConfig(pg, db)
			cfg.Postgres.TLS = tc.tls
			if err := cfg.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			s, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
			if err == nil {
				s.Close()
			}
			if (err == nil) != tc.ok {
				t.Errorf("Open: got %v, want success %v", err, tc.ok)
			}
		})
	}
}
