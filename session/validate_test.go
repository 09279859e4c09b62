package session

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// errorPaths returns the key path each line of a joined validation error names.
func errorPaths(err error) []string {
	if err == nil {
		return nil
	}
	var paths []string
	for line := range strings.SplitSeq(err.Error(), "\n") {
		path, _, _ := strings.Cut(line, ": ")
		paths = append(paths, path)
	}
	return paths
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	notPEM := filepath.Join(dir, "not.pem")
	passwordFile := filepath.Join(dir, "password")
	emptyFile := filepath.Join(dir, "empty")
	writeFile(t, caFile, selfSignedPEM(t))
	writeFile(t, notPEM, "hello")
	writeFile(t, passwordFile, "pw\n")
	writeFile(t, emptyFile, "\n")

	tests := []struct {
		name   string
		change func(c *Config)
		want   []string
	}{
		{"valid", func(c *Config) {}, nil},
		{"embedded default", func(c *Config) {
			*c = Config{Domain: "localhost", PortalURL: "http://localhost:9091"}
		}, nil},
		{"cookies only", func(c *Config) { c.Domain, c.PortalURL = "", "" }, nil},
		{"upper-case domain and host", func(c *Config) {
			c.Domain, c.PortalURL = "EXAMPLE.COM", "https://AUTH.Example.com:8443/kg"
		}, nil},
		{"http portal on a loopback address", func(c *Config) {
			c.Cookies[1].PortalURL, c.Cookies[1].DefaultRedirectURL = "http://localhost", "http://app.localhost:8080/x?y=1"
		}, nil},
		{"no domain", func(c *Config) { *c = Config{} }, []string{"session.domain"}},
		{"portal without domain", func(c *Config) { *c = Config{PortalURL: "https://auth.example.com"} }, []string{"session.domain", "session.domain"}},
		{"domain without portal", func(c *Config) { c.PortalURL = "" }, []string{"session.portal_url"}},
		{"domain with leading dot", func(c *Config) { c.Domain = ".example.com" }, []string{"session.domain"}},
		{"IP domain", func(c *Config) { c.Domain = "127.0.0.1" }, []string{"session.domain"}},
		{"single-label domain", func(c *Config) { c.Domain, c.PortalURL = "com", "https://example.com" }, []string{"session.domain"}},
		{"domain with bad characters", func(c *Config) { c.Domain = "exa_mple.com" }, []string{"session.domain"}},
		{"relative portal", func(c *Config) { c.PortalURL = "auth.example.com" }, []string{"session.portal_url"}},
		{"ftp portal", func(c *Config) { c.PortalURL = "ftp://auth.example.com" }, []string{"session.portal_url"}},
		{"http portal", func(c *Config) { c.PortalURL = "http://auth.example.com" }, []string{"session.portal_url"}},
		{"portal outside domain", func(c *Config) { c.Cookies[0].PortalURL = "https://badexample.org" }, []string{"session.cookies[0].portal_url"}},
		{"portal with query", func(c *Config) { c.PortalURL = "https://auth.example.com/?a=b" }, []string{"session.portal_url"}},
		{"portal with user", func(c *Config) { c.PortalURL = "https://u:p@auth.example.com" }, []string{"session.portal_url"}},
		{"redirect outside domain", func(c *Config) { c.DefaultRedirectURL = "https://example.net/" }, []string{"session.default_redirect_url"}},
		{"http redirect", func(c *Config) { c.DefaultRedirectURL = "http://www.example.com/" }, []string{"session.default_redirect_url"}},
		{"duplicate domain", func(c *Config) {
			c.Cookies[0] = CookieConfig{Domain: "example.COM", PortalURL: "https://auth.example.com"}
		}, []string{"session.cookies[0].domain"}},
		{"nested domain", func(c *Config) {
			c.Cookies = append(c.Cookies, CookieConfig{Domain: "a.example.com", PortalURL: "https://a.example.com"})
		}, []string{"session.cookies[2].domain"}},
		{"same_site", func(c *Config) { c.SameSite = "Lax" }, []string{"session.same_site"}},
		{"same_site none with http portal", func(c *Config) { c.SameSite = "none" }, []string{"session.same_site"}},
		{"cookie name", func(c *Config) { c.Name = "key gate" }, []string{"session.name"}},
		{"__Host- cookie name", func(c *Config) { c.Name = "__Host-kg" }, []string{"session.name"}},
		{"__Secure- cookie name with http portal", func(c *Config) { c.Name = "__Secure-kg" }, []string{"session.name"}},
		{"negative durations", func(c *Config) {
			c.Expiration, c.Inactivity, c.RememberMe = -1, -time.Second, -time.Hour
		}, []string{"session.expiration", "session.inactivity", "session.remember_me"}},
		{"remember-me shorter than expiration", func(c *Config) { c.RememberMe = time.Hour }, []string{"session.remember_me"}},
		{"remember-me disabled", func(c *Config) { c.RememberMe = 0 }, nil},
		{"redis standalone", func(c *Config) {
			c.Redis = RedisConfig{Address: "127.0.0.1:6379", Username: "kg", PasswordFile: passwordFile, DB: 2,
				TLS: TLSConfig{Enabled: true, ServerName: "redis", CAFile: caFile}}
		}, nil},
		{"redis sentinel", func(c *Config) {
			c.Redis = RedisConfig{Sentinel: SentinelConfig{Master: "m", Addresses: []string{"[::1]:26379", "s:26379"}}}
		}, nil},
		{"redis cluster", func(c *Config) { c.Redis.Cluster.Addresses = []string{"a:1", "b:2"} }, nil},
		{"redis keys without a server", func(c *Config) { c.Redis = RedisConfig{Password: "x", DB: 1} }, []string{"session.redis"}},
		{"redis sentinel and cluster", func(c *Config) {
			c.Redis = RedisConfig{Sentinel: SentinelConfig{Master: "m", Addresses: []string{"a:1"}}, Cluster: ClusterConfig{Addresses: []string{"b:2"}}}
		}, []string{"session.redis"}},
		{"redis address and sentinel", func(c *Config) {
			c.Redis = RedisConfig{Address: "a:1", Sentinel: SentinelConfig{Master: "m", Addresses: []string{"a:1"}}}
		}, []string{"session.redis"}},
		{"redis sentinel without master", func(c *Config) { c.Redis.Sentinel.Addresses = []string{"a:1"} }, []string{"session.redis.sentinel.master"}},
		{"redis master without sentinels", func(c *Config) { c.Redis = RedisConfig{Address: "a:1", Sentinel: SentinelConfig{Master: "m"}} }, []string{"session.redis.sentinel.master"}},
		{"redis bad addresses", func(c *Config) {
			c.Redis = RedisConfig{Cluster: ClusterConfig{Addresses: []string{"a:1", "b", ":1", "c:0", "d:x"}}}
		}, []string{"session.redis.cluster.addresses[1]", "session.redis.cluster.addresses[2]", "session.redis.cluster.addresses[3]", "session.redis.cluster.addresses[4]"}},
		{"redis cluster with db", func(c *Config) { c.Redis = RedisConfig{Cluster: ClusterConfig{Addresses: []string{"a:1"}}, DB: 1} }, []string{"session.redis.db"}},
		{"redis negative db", func(c *Config) { c.Redis = RedisConfig{Address: "a:1", DB: -1} }, []string{"session.redis.db"}},
		{"redis password and password_file", func(c *Config) {
			c.Redis = RedisConfig{Address: "a:1", Password: "x", PasswordFile: passwordFile}
		}, []string{"session.redis.password_file"}},
		{"redis password_file missing", func(c *Config) {
			c.Redis = RedisConfig{Address: "a:1", PasswordFile: filepath.Join(dir, "missing")}
		}, []string{"session.redis.password_file"}},
		{"redis password_file empty", func(c *Config) { c.Redis = RedisConfig{Address: "a:1", PasswordFile: emptyFile} }, []string{"session.redis.password_file"}},
		{"redis username without password", func(c *Config) { c.Redis = RedisConfig{Address: "a:1", Username: "u"} }, []string{"session.redis.username"}},
		{"redis tls settings with tls off", func(c *Config) {
			c.Redis = RedisConfig{Address: "a:1", TLS: TLSConfig{ServerName: "r", CAFile: caFile}}
		}, []string{"session.redis.tls.server_name", "session.redis.tls.ca_file"}},
		{"redis ca_file missing", func(c *Config) {
			c.Redis = RedisConfig{Address: "a:1", TLS: TLSConfig{Enabled: true, CAFile: filepath.Join(dir, "missing")}}
		}, []string{"session.redis.tls.ca_file"}},
		{"redis ca_file not PEM", func(c *Config) {
			c.Redis = RedisConfig{Address: "a:1", TLS: TLSConfig{Enabled: true, CAFile: notPEM}}
		}, []string{"session.redis.tls.ca_file"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			tc.change(&cfg)
			err := cfg.Validate()
			if diff := cmp.Diff(tc.want, errorPaths(err)); diff != "" {
				t.Errorf("Validate() = %v\nkey paths (-want +got):\n%s", err, diff)
			}
		})
	}
}

// TestValidateMessages checks the full text of the errors against
// testdata/validate.golden; go test -run TestValidateMessages -update rewrites it.
func TestValidateMessages(t *testing.T) {
	cfg := Config{
		Name:               "__Secure-kg",
		Domain:             ".example.com",
		PortalURL:          "http://auth.example.com?x",
		DefaultRedirectURL: "https://evil.example.net",
		SameSite:           "none",
		Expiration:         -time.Hour,
		RememberMe:         time.Hour,
		Cookies: []CookieConfig{
			{Domain: "example.org", PortalURL: "https://login.example.org"},
			{Domain: "a.example.org", PortalURL: "https://www.example.net"},
			{Domain: "localhost", PortalURL: "http://localhost:9091"},
			{Domain: "internal", PortalURL: "https://internal"},
		},
		Redis: RedisConfig{
			Password: "hunter2", PasswordFile: "/nonexistent/password", Username: "kg",
			Sentinel: SentinelConfig{Addresses: []string{"s1:26379"}},
			Cluster:  ClusterConfig{Addresses: []string{"c1"}},
			DB:       1,
			TLS:      TLSConfig{CAFile: "/nonexistent/ca.pem"},
		},
	}
	got := cfg.Validate().Error() + "\n"
	if strings.Contains(got, "hunter2") {
		t.Errorf("the errors print the Redis password:\n%s", got)
	}
	golden := filepath.Join("testdata", "validate.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("Validate() errors (-want +got):\n%s", diff)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// selfSignedPEM returns a fresh self-signed certificate in PEM.
func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "keygate test CA"},
		NotBefore:    time.Now(),
		NotAfter:     time.Now().Add(time.Hour),
		IsCA:         true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
