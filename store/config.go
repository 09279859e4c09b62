package store

import (
	"fmt"
	"time"
)

// Config is the storage section of the config file.
type Config struct {
	// Path is the bbolt file. Empty means ./keygate-data/keygate.db.
	Path string `koanf:"path"`
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
