package store

import (
	"context"
	"log/slog"
)

// Open opens the store cfg names. For the bbolt file (the default) it creates
// the file when missing; see ErrLocked. For PostgreSQL it connects, checks the
// server answers, and brings the schema up to date under an advisory lock, so
// that replicas starting together migrate once. The caller closes the store.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Store, error) {
	if cfg.Postgres.Enabled() {
		b, err := openPostgres(ctx, cfg.Postgres, logger.With("component", "store.postgres"))
		if err != nil {
			return nil, err
		}
		return newStore(b), nil
	}
	db, err := openFile(cfg)
	if err != nil {
		return nil, err
	}
	b, err := newBoltBackend(db)
	if err != nil {
		db.Close()
		return nil, err
	}
	return newStore(b), nil
}
