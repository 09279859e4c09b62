package store

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// connectTimeout bounds each new connection to the server, so that a start
// against an unreachable server fails instead of hanging.
const connectTimeout = 5 * time.Second

// pgBackend keeps the store's data in PostgreSQL tables (see migrations/).
type pgBackend struct {
	pool *pgxpool.Pool
}

var _ backend = (*pgBackend)(nil)

// openPostgres connects, checks that the server answers and migrates the schema.
func openPostgres(ctx context.Context, cfg PostgresConfig, logger *slog.Logger) (*pgBackend, error) {
	pc, err := poolConfig(cfg)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connecting to postgres %s: %w", cfg.Address, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to postgres %s: %w", cfg.Address, err)
	}
	if err := migrate(ctx, pool, logger); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrating postgres schema: %w", err)
	}
	return &pgBackend{pool: pool}, nil
}

// poolConfig turns cfg into pgx's configuration. Nothing comes from PG*
// environment variables that cfg sets; TLS is exactly what cfg says.
func poolConfig(cfg PostgresConfig) (*pgxpool.Config, error) {
	password := cfg.Password
	if password == "" && cfg.PasswordFile != "" {
		b, err := os.ReadFile(cfg.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("reading storage.postgres.password_file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(cfg.Username, password),
		Host:     cfg.Address,
		Path:     "/" + cfg.Database,
		RawQuery: "sslmode=disable&application_name=keygate",
	}
	pc, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("storage.postgres: %w", err)
	}
	if cfg.TLS.Enabled {
		if pc.ConnConfig.TLSConfig, err = tlsConfig(cfg); err != nil {
			return nil, err
		}
	}
	pc.ConnConfig.Fallbacks = nil
	pc.ConnConfig.ConnectTimeout = connectTimeout
	return pc, nil
}

// tlsConfig verifies the server's certificate for ServerName (or the host of
// Address) against CAFile (or the system's roots).
func tlsConfig(cfg PostgresConfig) (*tls.Config, error) {
	host, _, _ := net.SplitHostPort(cfg.Address)
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cmp.Or(cfg.TLS.ServerName, host)}
	if cfg.TLS.CAFile == "" {
		return tc, nil
	}
	pool, err := loadCAFile(cfg.TLS.CAFile)
	if err != nil {
		return nil, fmt.Errorf("storage.postgres.tls.ca_file: %w", err)
	}
	tc.RootCAs = pool
	return tc, nil
}

// loadCAFile reads a PEM file of CA certificates.
func loadCAFile(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, errors.New("no PEM certificate in it")
	}
	return pool, nil
}

func (b *pgBackend) name() string { return "postgres" }

func (b *pgBackend) close() error {
	b.pool.Close()
	return nil
}

// inTx runs fn in one transaction, committed only when fn returns nil.
func (b *pgBackend) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, b.pool, fn)
}

// exec runs one statement and returns how many rows it changed.
func (b *pgBackend) exec(ctx context.Context, sql string, args ...any) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	tag, err := b.pool.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

// The unique constraints whose violations the store reports as its own errors.
const (
	constraintCredentialID = "credentials_pkey"
	constraintDescription  = "credentials_description_unique"
	constraintHandle       = "user_handles_handle_unique"
)

// duplicate maps a unique violation to ErrDuplicateID, ErrDuplicateDescription
// or ErrDuplicate, and returns any other error as it is.
func duplicate(err error) error {
	pe, ok := errors.AsType[*pgconn.PgError](err)
	if !ok || pe.Code != "23505" {
		return err
	}
	switch pe.ConstraintName {
	case constraintCredentialID:
		return ErrDuplicateID
	case constraintDescription:
		return ErrDuplicateDescription
	default:
		return fmt.Errorf("%s: %w", pe.ConstraintName, ErrDuplicate)
	}
}

// nilIfEmpty stores an empty byte slice as NULL, so it reads back as nil,
// as the bbolt store's JSON does.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
