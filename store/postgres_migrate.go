package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationFiles are the schema's versions: NNNN_name.sql, applied in order,
// each once, each in its own transaction. A released version is never edited;
// a change is a new file. Changes are additive (new tables, columns with
// defaults), so that replicas of the previous version keep working during a
// rolling upgrade.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the pg_advisory_lock key under which one process at a time
// migrates: "keygate" in ASCII.
const migrationLock int64 = 0x6b657967617465

// migration is one schema version.
type migration struct {
	version int
	name    string
	sql     string
}

// migrate applies the migrations the database lacks, holding the advisory lock
// on one connection for the whole run, so that replicas starting together wait
// for each other and each version is applied once.
func migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	all, err := migrations()
	if err != nil {
		return err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("taking the migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock) //nolint:errcheck // the session ends the lock anyway
	applied, err := appliedVersions(ctx, conn.Conn())
	if err != nil {
		return err
	}
	for _, m := range all {
		if slices.Contains(applied, m.version) {
			continue
		}
		if err := apply(ctx, conn.Conn(), m); err != nil {
			return err
		}
		logger.Info("applied schema migration", "version", m.version, "name", m.name)
	}
	if latest := all[len(all)-1].version; len(applied) > 0 && slices.Max(applied) > latest {
		logger.Warn("database schema is newer than this keygate; run the same version on every replica",
			"schema_version", slices.Max(applied), "known_version", latest)
	}
	return nil
}

// appliedVersions creates the schema_migrations table when missing and lists
// the versions recorded in it.
func appliedVersions(ctx context.Context, conn *pgx.Conn) ([]int, error) {
	_, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`)
	if err != nil {
		return nil, fmt.Errorf("creating schema_migrations: %w", err)
	}
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int])
}

// apply runs one migration and records it, in one transaction.
func apply(ctx context.Context, conn *pgx.Conn, m migration) error {
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name)
		return err
	})
	if err != nil {
		return fmt.Errorf("applying migration %04d_%s: %w", m.version, m.name, err)
	}
	return nil
}

// migrations reads the embedded files in version order.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("migration file %s is not NNNN_name.sql", e.Name())
		}
		sql, err := fs.ReadFile(migrationFiles, "migrations/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(sql)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration versions are not 1, 2, 3...: found %d at position %d", m.version, i+1)
		}
	}
	return out, nil
}
