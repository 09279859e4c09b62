package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

func (b *pgBackend) serverKey(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	if k, err := b.serverKeyOf(ctx, name); !errors.Is(err, ErrNotFound) {
		return k, err
	}
	// Of racing creations one inserts; the others find its row afterwards.
	if _, err := b.exec(ctx, `INSERT INTO server_keys (name, key) VALUES ($1, $2)
		ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
		return nil, err
	}
	return b.serverKeyOf(ctx, name)
}

func (b *pgBackend) serverKeyOf(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var k []byte
	err := b.pool.QueryRow(ctx, `SELECT key FROM server_keys WHERE name = $1`, name).Scan(&k)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	return k, err
}
