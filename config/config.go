package config

import (
	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/notify"
	"github.com/keygate/keygate/policy"
	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/store"
	"github.com/keygate/keygate/ui"
	"github.com/keygate/keygate/webauthn"
)

// Config is the whole configuration: one field per section of the file, each the
// Config type of the component that owns the section.
type Config struct {
	Server        Server                 `koanf:"server"`
	Log           Log                    `koanf:"log"`
	Storage       store.Config           `koanf:"storage"`
	Users         directory.Config       `koanf:"users"`
	Session       session.Config         `koanf:"session"`
	WebAuthn      webauthn.Config        `koanf:"webauthn"`
	Identity      ui.IdentityConfig      `koanf:"identity"`
	Notifier      notify.Config          `koanf:"notifier"`
	Regulation    store.RegulationConfig `koanf:"regulation"`
	Audit         store.AuditConfig      `koanf:"audit"`
	AccessControl policy.Config          `koanf:"access_control"`

	// File is the config file that was loaded. Empty means the embedded default.
	File string `koanf:"-"`
}

// Server is the server section: where the daemon listens and whom it trusts.
type Server struct {
	// Address is the host:port the daemon listens on. Load sets 127.0.0.1:9091
	// when no layer sets it; an empty value is an error.
	Address string `koanf:"address"`
	// TrustedProxies are the CIDR prefixes (or single addresses) of the proxies
	// whose X-Forwarded-* and X-Original-* headers are honoured. Empty means
	// loopback only (127.0.0.0/8 and ::1/128), which is also Load's default.
	TrustedProxies []string `koanf:"trusted_proxies"`
	// MetricsAddress is the host:port that serves Prometheus metrics on
	// /metrics, apart from the portal. Empty means no metrics are collected
	// or served.
	MetricsAddress string `koanf:"metrics_address"`
}

// Log is the log section.
type Log struct {
	// Level is debug, info, warn or error. Empty means info.
	Level string `koanf:"level"`
	// Format is text or json. Empty means text.
	Format string `koanf:"format"`
}
