package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keygate/keygate/token"
)

// tokenColumns are the columns scanToken reads, in its order.
const tokenColumns = `id, user_name, name, hash, hosts, paths, methods, created_at, expires_at, last_used_at, last_used_ip`

// insertTokenSQL inserts one token with tokenArgs.
const insertTokenSQL = `INSERT INTO api_tokens (` + tokenColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

// tokenArgs are t's values for insertTokenSQL.
func tokenArgs(t token.Token) []any {
	return []any{t.ID, t.User, t.Name, t.Hash, t.Scope.Hosts, nonNilStrings(t.Scope.Paths), nonNilStrings(t.Scope.Methods),
		t.CreatedAt, t.ExpiresAt, nullTime(t.LastUsedAt), t.LastUsedIP}
}

func (b *pgBackend) addToken(ctx context.Context, t token.Token) error {
	_, err := b.exec(ctx, insertTokenSQL, tokenArgs(t)...)
	return duplicate(err)
}

// exportPgTokens reads every token in ID order, inside tx.
func exportPgTokens(ctx context.Context, tx pgx.Tx) ([]token.Token, error) {
	rows, err := tx.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (token.Token, error) { return scanToken(r) })
}

func (b *pgBackend) token(ctx context.Context, id string) (token.Token, error) {
	if err := ctx.Err(); err != nil {
		return token.Token{}, err
	}
	row := b.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1`, id)
	return scanToken(row)
}

func (b *pgBackend) tokens(ctx context.Context, user string) ([]token.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := b.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens
		WHERE $1 = '' OR user_name = $1 ORDER BY id`, user)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (token.Token, error) { return scanToken(r) })
}

func (b *pgBackend) deleteToken(ctx context.Context, user, id string) (token.Token, error) {
	if err := ctx.Err(); err != nil {
		return token.Token{}, err
	}
	row := b.pool.QueryRow(ctx, `DELETE FROM api_tokens WHERE id = $1 AND ($2 = '' OR user_name = $2)
		RETURNING `+tokenColumns, id, user)
	return scanToken(row)
}

func (b *pgBackend) touchToken(ctx context.Context, id string, at time.Time, ip string) error {
	n, err := b.exec(ctx, `UPDATE api_tokens SET last_used_at = $2, last_used_ip = $3 WHERE id = $1`, id, at, ip)
	if err == nil && n == 0 {
		return ErrNotFound
	}
	return err
}

// scanToken reads one row of tokenColumns; ErrNotFound for none.
func scanToken(row pgx.Row) (token.Token, error) {
	var t token.Token
	var lastUsed *time.Time
	err := row.Scan(&t.ID, &t.User, &t.Name, &t.Hash, &t.Scope.Hosts, &t.Scope.Paths, &t.Scope.Methods,
		&t.CreatedAt, &t.ExpiresAt, &lastUsed, &t.LastUsedIP)
	if errors.Is(err, pgx.ErrNoRows) {
		return token.Token{}, ErrNotFound
	}
	if err != nil {
		return token.Token{}, err
	}
	if lastUsed != nil {
		t.LastUsedAt = *lastUsed
	}
	t.Scope.Paths, t.Scope.Methods = emptyAsNil(t.Scope.Paths), emptyAsNil(t.Scope.Methods)
	return t, nil
}

// emptyAsNil reads an empty array back as nil, as the bbolt store keeps it.
func emptyAsNil(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return list
}
