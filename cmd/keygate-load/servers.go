package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// startRedis starts a redis-server on a free loopback port with persistence off
// and returns it with its host:port.
func (b *bench) startRedis(ctx context.Context) (*proc, string, error) {
	bin, err := require(ctx, b.logger, "redis-server", "redis-server")
	if err != nil {
		return nil, "", err
	}
	dir := filepath.Join(b.dir, "redis")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", fmt.Errorf("creating %s: %w", dir, err)
	}
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no")
	cmd.Dir = dir
	p, err := b.procs.start("redis-server", pinned(b.opts.serverCPUs, cmd), filepath.Join(dir, "redis.log"))
	if err != nil {
		return nil, "", err
	}
	return p, addr, p.waitTCP(ctx, addr, startTimeout)
}

// dbSize returns the number of keys in the Redis database 0 at addr (DBSIZE),
// speaking the protocol directly: one command does not call for a client library.
func dbSize(addr string) (int64, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return 0, fmt.Errorf("dbsize: %w", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("*1\r\n$6\r\nDBSIZE\r\n")); err != nil {
		return 0, fmt.Errorf("dbsize: %w", err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("dbsize: %w", err)
	}
	n, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), ":")
	if !ok {
		return 0, fmt.Errorf("dbsize: unexpected answer %q", line)
	}
	return strconv.ParseInt(n, 10, 64)
}

// nginxConf is a minimal nginx in front of Keygate's auth-request endpoint (or
// the baseline, which answers any path). A refusal stays a 401, which wrk counts
// as a bad status; a deployment would turn it into a redirect to sign in. The
// protected location answers 200 from nginx itself, but not with a `return` in
// it: return runs in the rewrite phase, before auth_request's access phase, and
// would answer without asking Keygate. try_files hands over to the named
// location after the access phase instead.
var nginxConf = template.Must(template.New("nginx.conf").Parse(`daemon off;
worker_processes 1;
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path {{.Dir}}/client_body;
  proxy_temp_path {{.Dir}}/proxy;
  fastcgi_temp_path {{.Dir}}/fastcgi;
  uwsgi_temp_path {{.Dir}}/uwsgi;
  scgi_temp_path {{.Dir}}/scgi;
  upstream keygate {
    server {{.Keygate}};
    keepalive {{.Keepalive}};
  }
  server {
    listen {{.Listen}};
    server_name {{.Host}};
    location = /internal/keygate {
      internal;
      proxy_pass http://keygate/api/authz/auth-request;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
      proxy_set_header X-Original-Method $request_method;
    }
    location / {
      auth_request /internal/keygate;
      auth_request_set $keygate_user $upstream_http_remote_user;
      auth_request_set $keygate_groups $upstream_http_remote_groups;
      auth_request_set $keygate_email $upstream_http_remote_email;
      auth_request_set $keygate_name $upstream_http_remote_name;
      try_files /nonexistent @app;
    }
    location @app {
      add_header Remote-User $keygate_user;
      add_header Remote-Groups $keygate_groups;
      add_header Remote-Email $keygate_email;
      add_header Remote-Name $keygate_name;
      return 200 "ok\n";
    }
  }
}
`))

// startNginx starts nginx named name on a free loopback port in front of the
// server at keygateAddr and returns it with the target a request to the app is.
func (b *bench) startNginx(ctx context.Context, name, keygateAddr, cookie string) (*proc, target, error) {
	bin, err := require(ctx, b.logger, "nginx", "nginx")
	if err != nil {
		return nil, target{}, err
	}
	dir := filepath.Join(b.dir, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, target{}, fmt.Errorf("creating %s: %w", dir, err)
	}
	port, err := freePort()
	if err != nil {
		return nil, target{}, err
	}
	listen := "127.0.0.1:" + strconv.Itoa(port)
	conf := filepath.Join(dir, "nginx.conf")
	if err := writeNginxConf(conf, dir, listen, keygateAddr, b.opts.connections); err != nil {
		return nil, target{}, err
	}
	cmd := exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf)
	p, err := b.procs.start(name, pinned(b.opts.serverCPUs, cmd), filepath.Join(dir, "nginx.out"))
	if err != nil {
		return nil, target{}, err
	}
	if err := p.waitTCP(ctx, listen, startTimeout); err != nil {
		return nil, target{}, err
	}
	h := http.Header{}
	h.Set("Accept", "application/json")
	h.Set("Cookie", cookie)
	return p, target{
		url:      "http://" + listen + appURI,
		host:     appHost + ":" + strconv.Itoa(port),
		header:   h,
		want:     http.StatusOK,
		wantUser: loadIdentity.user,
	}, nil
}

func writeNginxConf(path, dir, listen, keygateAddr string, keepalive int) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("writing nginx config: %w", err)
	}
	err = nginxConf.Execute(f, map[string]string{"Dir": dir, "Listen": listen, "Host": appHost, "Keygate": keygateAddr, "Keepalive": strconv.Itoa(keepalive)})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing nginx config: %w", err)
	}
	return nil
}
