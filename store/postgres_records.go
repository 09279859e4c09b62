package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

func (b *pgBackend) userHandle(ctx context.Context, user string, fresh []byte) ([]byte, error) {
	if h, err := b.handleOf(ctx, user); !errors.Is(err, ErrNotFound) {
		return h, err
	}
	// Of racing creations one inserts; the others find its row afterwards.
	_, err := b.exec(ctx, `INSERT INTO user_handles (user_name, handle) VALUES ($1, $2)
		ON CONFLICT (user_name) DO NOTHING`, user, fresh)
	if err != nil {
		return nil, duplicate(err)
	}
	return b.handleOf(ctx, user)
}

func (b *pgBackend) handleOf(ctx context.Context, user string) ([]byte, error) {
	var h []byte
	err := b.pool.QueryRow(ctx, `SELECT handle FROM user_handles WHERE user_name = $1`, user).Scan(&h)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	return h, err
}

func (b *pgBackend) userByHandle(ctx context.Context, handle []byte) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var user string
	err := b.pool.QueryRow(ctx, `SELECT user_name FROM user_handles WHERE handle = $1`, handle).Scan(&user)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrNotFound
	}
	return user, err
}

func (b *pgBackend) putInvite(ctx context.Context, key []byte, inv invite) error {
	return b.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM invites WHERE expires_at <= $1`, inv.CreatedAt); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO invites (token_hash, user_name, created_at, expires_at)
			VALUES ($1, $2, $3, $4)`, key, inv.User, inv.CreatedAt, inv.ExpiresAt)
		return duplicate(err)
	})
}

func (b *pgBackend) peekInvite(ctx context.Context, key []byte, now time.Time) (invite, error) {
	if err := ctx.Err(); err != nil {
		return invite{}, err
	}
	var inv invite
	err := b.pool.QueryRow(ctx, `SELECT user_name, created_at, expires_at FROM invites
		WHERE token_hash = $1 AND expires_at > $2`, key, now).Scan(&inv.User, &inv.CreatedAt, &inv.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return invite{}, ErrNotFound
	}
	return inv, err
}

// enrollCredential deletes the invite and inserts the credential in one
// transaction. A racing enrollment with the same invite waits on the row's
// lock, then finds it gone and deletes nothing; a refused insert rolls the
// deletion back.
func (b *pgBackend) enrollCredential(ctx context.Context, user string, c Credential, key []byte, now time.Time) error {
	return b.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM invites WHERE token_hash = $1 AND user_name = $2 AND expires_at > $3`,
			key, user, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return ErrNoInvite
		}
		return insertCredential(ctx, tx, user, c)
	})
}

func (b *pgBackend) appendAudit(ctx context.Context, e Event, limit int) error {
	return b.inTx(ctx, func(tx pgx.Tx) error {
		var seq int64
		err := tx.QueryRow(ctx, `INSERT INTO audit_events (time, user_name, action, credential_id, ip)
			VALUES ($1, $2, $3, $4, $5) RETURNING seq`,
			e.Time, e.User, e.Action, nilIfEmpty(e.CredentialID), e.IP).Scan(&seq)
		if err != nil || limit <= 0 {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM audit_events WHERE seq <= $1`, seq-int64(limit))
		return err
	})
}

func (b *pgBackend) auditEvents(ctx context.Context, user string, limit int) ([]Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var max *int
	if limit > 0 {
		max = &limit
	}
	events, err := queryEvents(ctx, b.pool, `SELECT time, user_name, action, credential_id, ip FROM audit_events
		WHERE $1 = '' OR user_name = $1 ORDER BY seq DESC LIMIT $2`, user, max)
	slices.Reverse(events)
	return events, err
}

func queryEvents(ctx context.Context, q querier, sql string, args ...any) ([]Event, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Event, error) {
		var e Event
		err := row.Scan(&e.Time, &e.User, &e.Action, &e.CredentialID, &e.IP)
		return e, err
	})
	if len(events) == 0 {
		events = nil
	}
	return events, err
}
