package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// storeTables are the tables of the store's data, in the order load empties them.
var storeTables = []string{"credentials", "user_handles", "invites", "audit_events", "api_tokens"}

func (b *pgBackend) export(ctx context.Context) (Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{Credentials: map[string][]Credential{}, Handles: map[string][]byte{}}
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, b.pool, opts, func(tx pgx.Tx) error {
		if err := exportCredentials(ctx, tx, snap.Credentials); err != nil {
			return err
		}
		if err := exportHandles(ctx, tx, snap.Handles); err != nil {
			return err
		}
		var err error
		if snap.Invites, err = exportPgInvites(ctx, tx); err != nil {
			return err
		}
		snap.Audit, err = queryEvents(ctx, tx, `SELECT `+auditColumns+` FROM audit_events ORDER BY seq`)
		if err != nil {
			return err
		}
		snap.Tokens, err = exportPgTokens(ctx, tx)
		return err
	})
	return snap, err
}

func exportCredentials(ctx context.Context, tx pgx.Tx, out map[string][]Credential) error {
	rows, err := tx.Query(ctx, `SELECT user_name, `+credentialColumns+` FROM credentials ORDER BY user_name, created_at, id`)
	if err != nil {
		return err
	}
	_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) {
		var user string
		c, err := scanCredential(prefixed{row, &user})
		out[user] = append(out[user], c)
		return struct{}{}, err
	})
	return err
}

// prefixed scans a row whose first column (the user) goes to user and the
// rest to the destinations Scan is given.
type prefixed struct {
	pgx.CollectableRow
	user *string
}

func (p prefixed) Scan(dest ...any) error {
	return p.CollectableRow.Scan(append([]any{p.user}, dest...)...)
}

func exportHandles(ctx context.Context, tx pgx.Tx, out map[string][]byte) error {
	rows, err := tx.Query(ctx, `SELECT user_name, handle FROM user_handles`)
	if err != nil {
		return err
	}
	var user string
	var h []byte
	_, err = pgx.ForEachRow(rows, []any{&user, &h}, func() error {
		out[user] = h
		return nil
	})
	return err
}

func exportPgInvites(ctx context.Context, tx pgx.Tx) ([]StoredInvite, error) {
	rows, err := tx.Query(ctx, `SELECT token_hash, user_name, created_at, expires_at FROM invites ORDER BY token_hash`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (StoredInvite, error) {
		var si StoredInvite
		err := row.Scan(&si.TokenHash, &si.User, &si.CreatedAt, &si.ExpiresAt)
		return si, err
	})
}

func (b *pgBackend) load(ctx context.Context, snap Snapshot, replace bool) error {
	return b.inTx(ctx, func(tx pgx.Tx) error {
		if err := clearTables(ctx, tx, replace); err != nil {
			return err
		}
		for user, creds := range snap.Credentials {
			for _, c := range creds {
				if err := insertCredential(ctx, tx, user, c); err != nil {
					return fmt.Errorf("credential of %q: %w", user, err)
				}
			}
		}
		for user, h := range snap.Handles {
			if _, err := tx.Exec(ctx, `INSERT INTO user_handles (user_name, handle) VALUES ($1, $2)`, user, h); err != nil {
				return fmt.Errorf("handle of %q: %w", user, duplicate(err))
			}
		}
		for _, si := range snap.Invites {
			_, err := tx.Exec(ctx, `INSERT INTO invites (token_hash, user_name, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
				si.TokenHash, si.User, si.CreatedAt, si.ExpiresAt)
			if err != nil {
				return err
			}
		}
		for _, t := range snap.Tokens {
			if _, err := tx.Exec(ctx, insertTokenSQL, tokenArgs(t)...); err != nil {
				return fmt.Errorf("token %s: %w", t.ID, duplicate(err))
			}
		}
		return copyAudit(ctx, tx, snap.Audit)
	})
}

// clearTables empties the store's tables when replace, and otherwise fails
// with ErrNotEmpty unless they are empty already.
func clearTables(ctx context.Context, tx pgx.Tx, replace bool) error {
	for _, table := range storeTables {
		if replace {
			if _, err := tx.Exec(ctx, "DELETE FROM "+table); err != nil {
				return err
			}
			continue
		}
		var any bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+table+")").Scan(&any); err != nil {
			return err
		}
		if any {
			return fmt.Errorf("table %s has data: %w", table, ErrNotEmpty)
		}
	}
	return nil
}

// copyAudit appends events in their order with COPY.
func copyAudit(ctx context.Context, tx pgx.Tx, events []Event) error {
	rows := make([][]any, len(events))
	for i, e := range events {
		rows[i] = auditValues(e)
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"audit_events"},
		strings.Split(strings.ReplaceAll(auditColumns, " ", ""), ","), pgx.CopyFromRows(rows))
	return err
}
