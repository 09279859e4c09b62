package store

import (
	"fmt"
	"time"
)

// Config is the storage section of the config file: the bbolt file (Path) or
// PostgreSQL (Postgres), not both.
type Config struct {
	// Path is the bbolt file. Empty means ./keygate-data/keygate.db, unless
	// Postgres is set.
	Path string `koanf:"path"`
	// Postgres selects PostgreSQL when any of its keys is set.
	Postgres PostgresConfig `koanf:"postgres"`
}

// PostgresConfig reaches the PostgreSQL database that holds the store's data.
type PostgresConfig struct {
	// Address is host:port of the server. Required when the section is used.
	Address string `koanf:"address"`
	// Database is the database name. Required.
	Database string `koanf:"database"`
	// Username is the role Keygate signs in as. Required.
	Username string `koanf:"username"`
	// Password is the role's password. Empty means none (trust or peer auth).
	Password string `koanf:"password"`
	// PasswordFile holds the password instead; config reads it into Password.
	PasswordFile string `koanf:"password_file"`
	// TLS secures the connection. Zero means plain TCP.
	TLS PostgresTLS `koanf:"tls"`
}

// PostgresTLS is the storage.postgres.tls section.
type PostgresTLS struct {
	// Enabled turns TLS on, with the server's certificate verified (verify-full).
	Enabled bool `koanf:"enabled"`
	// ServerName is the name checked in the certificate. Empty means the host of Address.
	ServerName string `koanf:"server_name"`
	// CAFile is a PEM file of the CAs to trust. Empty means the system's roots.
	CAFile string `koanf:"ca_file"`
}

// Enabled reports whether c selects PostgreSQL: any key of it is set.
func (c PostgresConfig) Enabled() bool {
	return c != (PostgresConfig{})
}

// RegulationConfig is the regulation section: how failed sign-ins are limited.
type RegulationConfig struct {
	// MaxFailures is how many failures within Window lead to a ban. Zero means 5;
	// a negative value disables regulation.
	MaxFailures int `koanf:"max_failures"`
	// Window is the span over which failures are counted. Zero means 2m.
	Window time.Duration `koanf:"window"`
	// Ban is how long a user or address is refused. Zero means 10m.
	Ban time.Duration `koanf:"ban"`
	// IPv6Prefix is the prefix length, in bits, that makes one IPv6 client for
	// regulation and for the share of password hashing. Zero means 64.
	IPv6Prefix int `koanf:"ipv6_prefix"`
	// DeviceLifetime is how long the known-device cookie set at each sign-in
	// lasts; a password sign-in that carries it for its own user is served
	// before anonymous ones when hashing capacity is short. Zero means 8760h
	// (a year); a negative value turns known devices off.
	DeviceLifetime time.Duration `koanf:"device_lifetime"`
}

// DefaultAuditRetention is how long audit events are kept when
// AuditConfig.Retention is zero: 90 days.
const DefaultAuditRetention = 2160 * time.Hour

// AuditConfig is the audit section: how long the audit trail keeps events.
type AuditConfig struct {
	// Retention is how long an event is kept. Zero means DefaultAuditRetention.
	Retention time.Duration `koanf:"retention"`
}

// Validate rejects a negative retention.
func (c AuditConfig) Validate() error {
	if c.Retention < 0 {
		return fmt.Errorf("audit.retention: %v is negative; use a positive duration such as 2160h", c.Retention)
	}
	return nil
}

// RetentionOrDefault is Retention, or DefaultAuditRetention when zero.
func (c AuditConfig) RetentionOrDefault() time.Duration {
	if c.Retention == 0 {
		return DefaultAuditRetention
	}
	return c.Retention
}
