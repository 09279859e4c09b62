package session

import "time"

// Config is the session section of the config file.
type Config struct {
	// Name is the cookie name. Empty means "keygate_session".
	Name string `koanf:"name"`
	// Domain is the primary cookie domain; sessions are valid for it and every subdomain.
	// Required unless Cookies lists at least one domain.
	Domain string `koanf:"domain"`
	// PortalURL is the absolute URL of the sign-in portal for Domain. Required with Domain.
	PortalURL string `koanf:"portal_url"`
	// DefaultRedirectURL is where a sign-in without rd lands. Empty means the portal itself.
	DefaultRedirectURL string `koanf:"default_redirect_url"`
	// SameSite is lax, strict or none. Empty means lax.
	SameSite string `koanf:"same_site"`
	// Expiration is the longest a session lives without remember-me. Zero means 12h.
	Expiration time.Duration `koanf:"expiration"`
	// Inactivity ends a session not used for this long (not applied to remember-me
	// sessions). Zero means 1h.
	Inactivity time.Duration `koanf:"inactivity"`
	// RememberMe is the lifetime of a "remember me" session. Zero disables remember-me.
	RememberMe time.Duration `koanf:"remember_me"`
	// Cookies lists further cookie domains, each with its own portal.
	Cookies []CookieConfig `koanf:"cookies"`
	// Redis, when its Address, Sentinel or Cluster addresses are set, selects the
	// Redis store; otherwise sessions live in the embedded store.
	Redis RedisConfig `koanf:"redis"`
}

// CookieConfig is one cookie domain and the portal that serves it.
type CookieConfig struct {
	Domain             string `koanf:"domain"`
	PortalURL          string `koanf:"portal_url"`
	DefaultRedirectURL string `koanf:"default_redirect_url"`
}

// RedisConfig selects and reaches the Redis store.
type RedisConfig struct {
	// Address is host:port of a standalone server. Empty (with no Sentinel or
	// Cluster addresses) means the embedded store is used.
	Address  string `koanf:"address"`
	Username string `koanf:"username"`
	// Password authenticates to Redis; PasswordFile reads it from a file instead.
	Password     string `koanf:"password"`
	PasswordFile string `koanf:"password_file"`
	// DB is the database number (standalone and Sentinel only).
	DB       int            `koanf:"db"`
	TLS      TLSConfig      `koanf:"tls"`
	Sentinel SentinelConfig `koanf:"sentinel"`
	Cluster  ClusterConfig  `koanf:"cluster"`
	// WaitReplicas is how many replicas must acknowledge each write (WAIT)
	// before Keygate goes on, so that a session or ceremony survives a
	// failover: as many as the primary has connected, at most this. Zero means
	// 1; -1 turns waiting off. A primary without replicas costs nothing.
	WaitReplicas int `koanf:"wait_replicas"`
	// WaitTimeout bounds that wait; a write not acknowledged in time is kept
	// (it is on the primary) and logged. Zero means 100ms; at most 400ms.
	WaitTimeout time.Duration `koanf:"wait_timeout"`
}

// TLSConfig turns on TLS to Redis.
type TLSConfig struct {
	Enabled bool `koanf:"enabled"`
	// ServerName overrides the name checked in the server certificate. Empty means the host of the address.
	ServerName string `koanf:"server_name"`
	// CAFile is a PEM bundle of roots to trust. Empty means the system roots.
	CAFile string `koanf:"ca_file"`
}

// SentinelConfig selects a Sentinel-managed master.
type SentinelConfig struct {
	Master    string   `koanf:"master"`
	Addresses []string `koanf:"addresses"`
}

// ClusterConfig selects a Redis Cluster.
type ClusterConfig struct {
	Addresses []string `koanf:"addresses"`
}
