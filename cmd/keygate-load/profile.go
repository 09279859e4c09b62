package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// With -profile DIR, Keygate is built with one more file, given to go build
// through -overlay so that no source file changes: it serves net/http/pprof on
// the loopback address in the environment variable pprofEnv. The last round of
// every Keygate forward-auth scenario measured directly then takes a CPU profile
// of the daemon for the whole measured window and writes it to
// DIR/SCENARIO.pprof. The shipped daemon has no profiling endpoint; the figures
// of a profiling run are of this build, whose idle RSS is a little larger.

// pprofEnv names the variable that holds the profiling build's pprof address.
const pprofEnv = "KEYGATE_LOAD_PPROF"

// pprofFile is the file the overlay adds to package main of cmd/keygate.
const pprofFile = `package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if addr := os.Getenv("` + pprofEnv + `"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
`

// buildArgs returns go build's extra arguments for the keygate binary: an
// overlay that adds the pprof endpoint when -profile is set, none otherwise.
func (b *bench) buildArgs(ctx context.Context) ([]string, error) {
	if b.opts.profileDir == "" {
		return nil, nil
	}
	out, err := exec.CommandContext(ctx, "go", "list", "-f", "{{.Dir}}", "github.com/keygate/keygate/cmd/keygate").Output()
	if err != nil {
		return nil, fmt.Errorf("finding cmd/keygate: %w", err)
	}
	src := filepath.Join(b.dir, "pprof.go")
	if err := os.WriteFile(src, []byte(pprofFile), 0o600); err != nil {
		return nil, fmt.Errorf("writing the pprof overlay: %w", err)
	}
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {
		filepath.Join(strings.TrimSpace(string(out)), "zz_keygate_load_pprof.go"): src,
	}})
	path := filepath.Join(b.dir, "overlay.json")
	if err := os.WriteFile(path, overlay, 0o600); err != nil {
		return nil, fmt.Errorf("writing the overlay: %w", err)
	}
	return []string{"-overlay", path}, nil
}

// profileJob is a CPU profile to take of one server during a measured run.
type profileJob struct {
	addr string // the server's pprof address
	path string // where the profile goes
}

// start begins a CPU profile lasting d (whole seconds, at least one) and
// returns a function that waits for it and writes it. A nil job does nothing.
func (p *profileJob) start(ctx context.Context, d time.Duration) func() error {
	if p == nil {
		return func() error { return nil }
	}
	done := make(chan error, 1)
	go func() { done <- p.take(ctx, max(d/time.Second, 1)) }()
	return func() error { return <-done }
}

func (p *profileJob) take(ctx context.Context, seconds time.Duration) error {
	url := "http://" + p.addr + "/debug/pprof/profile?seconds=" + strconv.Itoa(int(seconds))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile: status %d", resp.StatusCode)
	}
	if err := os.MkdirAll(filepath.Dir(p.path), 0o755); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	f, err := os.Create(p.path)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	_, err = io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	return nil
}
