package testenv

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// caddyStartTimeout bounds how long a started Caddy may take to listen.
const caddyStartTimeout = 15 * time.Second

// CaddyTLS is a certificate that Caddy serves for every site, instead of
// obtaining one.
type CaddyTLS struct {
	CertFile string // PEM certificate chain
	KeyFile  string // PEM private key
}

// Caddy runs the Caddyfile at path, with env (KEY=VALUE) filling its {$VAR}
// placeholders, and waits until every listener accepts connections.
//
// The file is converted by Caddy's own Caddyfile adapter and run as it comes out,
// with changes to transport only, made to the adapted JSON: every listener
// without a host is bound to 127.0.0.1, certificates are read from tls (so
// nothing is obtained from the network) and the HTTP-to-HTTPS redirect listener
// on port 80 is off. Caddy's data and config directories are temporary. Caddy is
// stopped by its PID when the test ends, and its log is shown if the test failed.
func Caddy(t testing.TB, path string, env []string, tls CaddyTLS) {
	t.Helper()
	bin := Require(t, "caddy", "caddy")
	dir := t.TempDir()
	env = append(os.Environ(), append([]string{
		"HOME=" + dir,
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
	}, env...)...)

	adapt := exec.Command(bin, "adapt", "--config", path, "--adapter", "caddyfile")
	adapt.Env = env
	adapted, err := adapt.Output()
	if err != nil {
		t.Fatalf("testenv: caddy adapt %s: %v\n%s", path, err, tail(exitStderr(err)))
	}
	config, listen, err := caddyForTest(adapted, tls, filepath.Join(dir, "data", "caddy"))
	if err != nil {
		t.Fatalf("testenv: adapting caddy config of %s for the test: %v", path, err)
	}
	configFile := filepath.Join(dir, "caddy.json")
	writeFile(t, configFile, string(config))

	logFile := filepath.Join(dir, "caddy.log")
	out, err := os.Create(logFile)
	if err != nil {
		t.Fatalf("testenv: creating caddy log: %v", err)
	}
	defer out.Close()
	run := exec.Command(bin, "run", "--config", configFile)
	run.Env, run.Dir = env, dir
	run.Stdout, run.Stderr = out, out
	Start(t, run)
	t.Cleanup(func() {
		if t.Failed() {
			text, _ := os.ReadFile(logFile)
			t.Logf("caddy log (tail):\n%s", tail(text))
		}
	})
	for _, addr := range listen {
		if !waitListening(addr, caddyStartTimeout) {
			text, _ := os.ReadFile(logFile)
			t.Fatalf("testenv: caddy not listening on %s after %v\n%s", addr, caddyStartTimeout, tail(text))
		}
	}
}

// caddyForTest applies Caddy's transport changes (see Caddy) to an adapted JSON
// config and returns it with the addresses its servers listen on.
func caddyForTest(adapted []byte, tls CaddyTLS, storage string) ([]byte, []string, error) {
	var config map[string]any
	if err := json.Unmarshal(adapted, &config); err != nil {
		return nil, nil, fmt.Errorf("decoding adapted config: %w", err)
	}
	servers := object(object(object(config, "apps"), "http"), "servers")
	if len(servers) == 0 {
		return nil, nil, fmt.Errorf("adapted config has no apps.http.servers")
	}
	var listen []string
	for name, raw := range servers {
		srv, ok := raw.(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("server %s is not an object", name)
		}
		addrs, _ := srv["listen"].([]any)
		for i, a := range addrs {
			addr, _ := a.(string)
			if strings.HasPrefix(addr, ":") {
				addr = "127.0.0.1" + addr
			}
			addrs[i] = addr
			listen = append(listen, addr)
		}
		object(srv, "automatic_https")["disable_redirects"] = true
	}
	if tls.CertFile != "" {
		object(object(object(config, "apps"), "tls"), "certificates")["load_files"] = []any{
			map[string]any{"certificate": tls.CertFile, "key": tls.KeyFile},
		}
	}
	config["storage"] = map[string]any{"module": "file_system", "root": storage}
	out, err := json.MarshalIndent(config, "", "\t")
	return out, listen, err
}

// object returns m[key] as an object, creating an empty one when it is missing or
// of another type.
func object(m map[string]any, key string) map[string]any {
	if o, ok := m[key].(map[string]any); ok {
		return o
	}
	o := map[string]any{}
	m[key] = o
	return o
}

// exitStderr is the standard error captured by exec's Output in err, if any.
func exitStderr(err error) []byte {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.Stderr
	}
	return nil
}
