package authz

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigPrefixes(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []string
		wantErr []string // each must appear in the error
	}{
		{name: "empty means loopback", in: nil, want: []string{"127.0.0.0/8", "::1/128"}},
		{name: "prefixes and addresses", in: []string{"10.0.0.0/8", "192.0.2.7", "fd00::/8", "2001:db8::1", " 172.16.0.0/12 "},
			want: []string{"10.0.0.0/8", "192.0.2.7/32", "fd00::/8", "2001:db8::1/128", "172.16.0.0/12"}},
		{name: "host bits are masked", in: []string{"10.1.2.3/8"}, want: []string{"10.0.0.0/8"}},
		{name: "everyone", in: []string{"0.0.0.0/0"}, want: []string{"0.0.0.0/0"}},
		{name: "every bad entry reported", in: []string{"10.0.0.0/8", "10.0.0.0/33", "localhost", "fe80::1%eth0", "::ffff:10.0.0.1", ""},
			wantErr: []string{
				`server.trusted_proxies[1]: "10.0.0.0/33" is not a CIDR prefix`,
				`server.trusted_proxies[2]: "localhost" is not`,
				`server.trusted_proxies[3]: "fe80::1%eth0" is not`,
				`server.trusted_proxies[4]: "::ffff:10.0.0.1" is not`,
				`server.trusted_proxies[5]: "" is not`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{TrustedProxies: tt.in}
			got, err := cfg.Prefixes()
			if verr := cfg.Validate(); (verr == nil) != (err == nil) {
				t.Errorf("Validate() = %v, Prefixes() error %v: want both or neither", verr, err)
			}
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("got no error, want %q", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("got error %q, want it to contain %q", err, w)
					}
				}
				if n := strings.Count(err.Error(), "\n") + 1; n != len(tt.wantErr) {
					t.Errorf("got %d error lines, want %d", n, len(tt.wantErr))
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			var want []netip.Prefix
			for _, s := range tt.want {
				want = append(want, netip.MustParsePrefix(s))
			}
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("prefixes (-want +got):\n%s", diff)
			}
		})
	}
}
