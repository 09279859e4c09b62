package authz

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Config is what authz takes from the server section of the config file.
type Config struct {
	// TrustedProxies are the peers allowed to ask: CIDR prefixes ("10.0.0.0/8") or
	// single addresses ("192.0.2.7"), from server.trusted_proxies. A request to the
	// authz endpoints from any other direct peer is refused with 403. Empty means
	// loopback only: 127.0.0.0/8 and ::1/128.
	TrustedProxies []string `koanf:"trusted_proxies"`
}

// Validate reports every malformed entry at once, each naming its key path.
func (c Config) Validate() error {
	_, err := c.Prefixes()
	return err
}

// Prefixes returns TrustedProxies parsed, masked and with the default applied:
// the one parse that authz and the server's client-IP extractor should share.
func (c Config) Prefixes() ([]netip.Prefix, error) {
	list := c.TrustedProxies
	if len(list) == 0 {
		list = []string{"127.0.0.0/8", "::1/128"}
	}
	prefixes := make([]netip.Prefix, 0, len(list))
	var errs []error
	for i, s := range list {
		p, err := parsePrefix(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("server.trusted_proxies[%d]: %q %w", i, s, err))
			continue
		}
		prefixes = append(prefixes, p)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return prefixes, nil
}

// errNotPrefix is the reason a trusted_proxies entry is refused.
var errNotPrefix = errors.New("is not a CIDR prefix (10.0.0.0/8, fd00::/8) or a single IP address without a zone")

// parsePrefix parses a CIDR prefix or a single address (as a /32 or /128).
// IPv4-mapped IPv6 forms are refused: peers are compared unmapped.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Is4In6() {
			return netip.Prefix{}, errNotPrefix
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" || a.Is4In6() {
		return netip.Prefix{}, errNotPrefix
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
