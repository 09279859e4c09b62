package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// credentialColumns are the columns of a credential, in the order scanCredential reads.
const credentialColumns = `id, description, aaguid, attachment, transports, discoverable,
	user_present, user_verified, backup_eligible, backup_state, sign_count, clone_warning,
	created_at, last_used_at, public_key, attestation_type, attestation_format,
	attestation_object, client_data_json, appid`

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (b *pgBackend) credentials(ctx context.Context, user string) ([]Credential, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return queryCredentials(ctx, b.pool, `SELECT `+credentialColumns+` FROM credentials
		WHERE user_name = $1 ORDER BY created_at, id`, user)
}

func queryCredentials(ctx context.Context, q querier, sql string, args ...any) ([]Credential, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	creds, err := pgx.CollectRows(rows, scanCredential)
	if len(creds) == 0 {
		creds = nil
	}
	return creds, err
}

func (b *pgBackend) credential(ctx context.Context, user string, id []byte) (Credential, error) {
	creds, err := b.queryOne(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE user_name = $1 AND id = $2`, user, id)
	return creds, err
}

// queryOne returns the one credential sql selects, or ErrNotFound.
func (b *pgBackend) queryOne(ctx context.Context, sql string, args ...any) (Credential, error) {
	if err := ctx.Err(); err != nil {
		return Credential{}, err
	}
	rows, err := b.pool.Query(ctx, sql, args...)
	if err != nil {
		return Credential{}, err
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCredential)
	if errors.Is(err, pgx.ErrNoRows) {
		return Credential{}, ErrNotFound
	}
	return c, duplicate(err)
}

func (b *pgBackend) addCredential(ctx context.Context, user string, c Credential) error {
	return b.inTx(ctx, func(tx pgx.Tx) error { return insertCredential(ctx, tx, user, c) })
}

// addFirstCredential serialises the first credentials of one user with a
// transaction-scoped advisory lock on the user's name: under READ COMMITTED,
// two transactions could otherwise both see no credential and both insert.
func (b *pgBackend) addFirstCredential(ctx context.Context, user string, c Credential) error {
	return b.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('keygate first credential ' || $1, 0))`, user); err != nil {
			return err
		}
		var has bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM credentials WHERE user_name = $1)`, user).Scan(&has); err != nil {
			return err
		}
		if has {
			return ErrHasCredential
		}
		return insertCredential(ctx, tx, user, c)
	})
}

// insertCredential adds c for user; the table's constraints refuse a
// duplicate ID or description.
func insertCredential(ctx context.Context, tx pgx.Tx, user string, c Credential) error {
	_, err := tx.Exec(ctx, `INSERT INTO credentials (user_name, description_key, `+credentialColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
		user, foldDescription(c.Description), c.ID, c.Description, nilIfEmpty(c.AAGUID), c.Attachment,
		nonNilStrings(c.Transports), c.Discoverable, c.UserPresent, c.UserVerified, c.BackupEligible,
		c.BackupState, int64(c.SignCount), c.CloneWarning, c.CreatedAt, nullTime(c.LastUsedAt),
		c.PublicKey, c.AttestationType, c.AttestationFormat, nilIfEmpty(c.AttestationObject),
		nilIfEmpty(c.ClientDataJSON), c.AppID)
	return duplicate(err)
}

func (b *pgBackend) renameCredential(ctx context.Context, user string, id []byte, d string) (Credential, error) {
	return b.queryOne(ctx, `UPDATE credentials SET description = $3, description_key = $4
		WHERE user_name = $1 AND id = $2 RETURNING `+credentialColumns, user, id, d, foldDescription(d))
}

func (b *pgBackend) deleteCredential(ctx context.Context, user string, id []byte) error {
	n, err := b.exec(ctx, `DELETE FROM credentials WHERE user_name = $1 AND id = $2`, user, id)
	if err == nil && n == 0 {
		return ErrNotFound
	}
	return err
}

func (b *pgBackend) deleteUserCredentials(ctx context.Context, user string) (int, error) {
	n, err := b.exec(ctx, `DELETE FROM credentials WHERE user_name = $1`, user)
	return int(n), err
}

// recordSignIn writes the sign-in only where the stored counter is still
// below the new one: the row lock and PostgreSQL's re-check of the WHERE
// clause on the latest row version make a racing sign-in with the same
// counter find nothing to update.
func (b *pgBackend) recordSignIn(ctx context.Context, user string, id []byte, in signIn) error {
	n, err := b.exec(ctx, `UPDATE credentials SET sign_count = $3, backup_state = $4, last_used_at = $5
		WHERE user_name = $1 AND id = $2 AND (sign_count < $3 OR ($3 = 0 AND sign_count = 0))`,
		user, id, int64(in.count), in.backupState, nullTime(in.usedAt))
	if err != nil || n == 1 {
		return err
	}
	if err := b.setCloneWarning(ctx, user, id, true); err != nil {
		return err
	}
	return ErrSignCount
}

func (b *pgBackend) setCloneWarning(ctx context.Context, user string, id []byte, on bool) error {
	n, err := b.exec(ctx, `UPDATE credentials SET clone_warning = $3 WHERE user_name = $1 AND id = $2`, user, id, on)
	if err == nil && n == 0 {
		return ErrNotFound
	}
	return err
}

func scanCredential(row pgx.CollectableRow) (Credential, error) {
	var (
		c        Credential
		count    int64
		lastUsed *time.Time
	)
	err := row.Scan(&c.ID, &c.Description, &c.AAGUID, &c.Attachment, &c.Transports, &c.Discoverable,
		&c.UserPresent, &c.UserVerified, &c.BackupEligible, &c.BackupState, &count, &c.CloneWarning,
		&c.CreatedAt, &lastUsed, &c.PublicKey, &c.AttestationType, &c.AttestationFormat,
		&c.AttestationObject, &c.ClientDataJSON, &c.AppID)
	c.SignCount = uint32(count) //nolint:gosec // the column's CHECK keeps it in range
	if lastUsed != nil {
		c.LastUsedAt = *lastUsed
	}
	if len(c.Transports) == 0 {
		c.Transports = nil
	}
	return c, err
}

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
