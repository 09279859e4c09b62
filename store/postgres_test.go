package store

import (
	"context"
	"log/slog"
	"sync"
	"testing"

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
	if got, want := pg.Exec(t, db, "SELECT count(*) || ':' || max(version) FROM schema_migrations"), "1:1"; got != want || len(all) != 1 {
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
