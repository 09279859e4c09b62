package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheckTimeout bounds `keygate healthcheck`'s one request.
const healthcheckTimeout = 5 * time.Second

// healthcheck runs `keygate healthcheck [--ready] [--config FILE]`: one GET of
// /api/health (or /api/ready) on server.address, exit 0 on 200 and 1 otherwise,
// for a container HEALTHCHECK in an image without a shell.
func healthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, path := adminFlags("healthcheck", stderr)
	ready := fs.Bool("ready", false, "ask /api/ready (every store answers) instead of /api/health")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	cfg, err := loadConfig(*path, stderr)
	if err != nil {
		return err
	}
	endpoint := "/api/health"
	if *ready {
		endpoint = "/api/ready"
	}
	url := "http://" + dialable(cfg.Server.Address) + endpoint
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("healthcheck: %s answered %s %s", url, resp.Status, body)
	}
	fmt.Fprintf(stdout, "ok: %s\n", url)
	return nil
}

// dialable turns a listen address into one to connect to: an empty or
// unspecified host becomes loopback.
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}
