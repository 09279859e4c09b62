package store

import "time"

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
	// IPv6Prefix is the prefix length, in bits, that makes one IPv6 client for
	// regulation and for the share of password hashing. Zero means 64.
	IPv6Prefix int `koanf:"ipv6_prefix"`
}
