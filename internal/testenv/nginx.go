package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// nginxStartTimeout bounds how long a started nginx may take to listen.
const nginxStartTimeout = 10 * time.Second

// nginxMain is the minimal main configuration around a site file: one worker, in
// the foreground, with its pid, logs and temporary files in %[1]s.
const nginxMain = `daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log notice;

events {
    worker_connections 256;
}

http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/tmp/client_body;
    proxy_temp_path %[1]s/tmp/proxy;
    fastcgi_temp_path %[1]s/tmp/fastcgi;
    uwsgi_temp_path %[1]s/tmp/uwsgi;
    scgi_temp_path %[1]s/tmp/scgi;
    include %[1]s/site.conf;
}
`

// Nginx runs nginx with site, the text of a configuration for the http {} context,
// and waits until every address in listen accepts connections. The main
// configuration keeps the pid, logs and temporary files in a temporary directory.
// The configuration is checked with "nginx -t" first, so that a mistake fails the
// test with nginx's own words. nginx is stopped by its PID when the test ends, and
// its error log is shown if the test failed.
func Nginx(t testing.TB, site string, listen ...string) {
	t.Helper()
	bin := Require(t, "nginx", "nginx")
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	conf := filepath.Join(dir, "nginx.conf")
	writeFile(t, conf, fmt.Sprintf(nginxMain, dir))
	writeFile(t, filepath.Join(dir, "site.conf"), site)
	errorLog := filepath.Join(dir, "error.log")
	args := []string{"-p", dir, "-c", conf, "-e", errorLog}

	if out, err := exec.Command(bin, append([]string{"-t", "-q"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("testenv: nginx -t: %v\n%s", err, tail(out))
	}
	Start(t, exec.Command(bin, args...))
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := os.ReadFile(errorLog)
			t.Logf("nginx error log (tail):\n%s", tail(out))
		}
	})
	for _, addr := range listen {
		if !waitListening(addr, nginxStartTimeout) {
			out, _ := os.ReadFile(errorLog)
			t.Fatalf("testenv: nginx not listening on %s after %v\n%s", addr, nginxStartTimeout, tail(out))
		}
	}
}

func writeFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatalf("testenv: writing %s: %v", path, err)
	}
}
