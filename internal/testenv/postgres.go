package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// postgresBinary is where Debian's postgresql package puts the server: in a
// directory per major version, not on PATH.
const postgresBinary = "/usr/lib/postgresql/*/bin/postgres"

// postgresStartTimeout bounds initdb plus the server's start.
const postgresStartTimeout = 30 * time.Second

// Postgres is a PostgreSQL server the test started on loopback. Its superuser
// signs in with a password (scram-sha-256), over TCP only.
type Postgres struct {
	// Addr is host:port on 127.0.0.1.
	Addr string
	// User and Password are the superuser's.
	User     string
	Password string
	bin      string // the directory of postgres, initdb and psql
}

// StartPostgres runs initdb and postgres as the postgres OS user (the server
// refuses to run as root) in a fresh directory owned by that user, listening on
// a free port on 127.0.0.1 with its unix socket in that directory. The server is
// stopped by its PID and the directory removed when the test ends.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	return startPostgres(t, nil)
}

// PostgresTLS starts a server like StartPostgres that accepts TCP connections
// only over TLS (hostssl), with a certificate for serverName (and no IP
// address) signed by a fresh CA whose PEM file is caFile.
func PostgresTLS(t testing.TB) (pg *Postgres, caFile, serverName string) {
	t.Helper()
	serverName = "postgres.keygate.test"
	pki := NewPKI(t, serverName)
	return startPostgres(t, &pki), pki.CAFile, serverName
}

func startPostgres(t testing.TB, pki *PKI) *Postgres {
	t.Helper()
	server := Require(t, postgresBinary, "postgresql")
	cred, err := postgresCredential()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	dir := postgresDir(t, cred)
	p := &Postgres{User: "keygate", Password: randomHex(t), bin: filepath.Dir(server)}
	p.initdb(t, dir, cred)
	port := FreePort(t)
	p.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	logFile, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	defer logFile.Close()
	args := []string{"-D", filepath.Join(dir, "data"), "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200"}
	if pki != nil {
		args = append(args, postgresTLS(t, dir, *pki, cred)...)
	}
	cmd := exec.Command(server, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	Start(t, cmd)
	if err := p.waitReady(); err != nil {
		out, _ := os.ReadFile(logFile.Name())
		t.Fatalf("testenv: postgres on %s: %v\n%s", p.Addr, err, tail(out))
	}
	return p
}

// NewDatabase creates an empty database with a fresh name and returns its name.
func (p *Postgres) NewDatabase(t testing.TB) string {
	t.Helper()
	name := "db_" + randomHex(t)[:16]
	if out, err := p.psql("postgres", "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testenv: creating database: %v\n%s", err, tail(out))
	}
	return name
}

// Exec runs sql in database as the superuser and returns psql's unaligned,
// tuples-only output.
func (p *Postgres) Exec(t testing.TB, database, sql string) string {
	t.Helper()
	out, err := p.psql(database, sql)
	if err != nil {
		t.Fatalf("testenv: psql %q: %v\n%s", sql, err, tail(out))
	}
	return strings.TrimSpace(string(out))
}

func (p *Postgres) psql(database, sql string) ([]byte, error) {
	host, port, _ := net.SplitHostPort(p.Addr)
	cmd := exec.Command(filepath.Join(p.bin, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
		"-h", host, "-p", port, "-U", p.User, "-d", database, "-c", sql)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+p.Password, "PGCONNECT_TIMEOUT=15")
	return cmd.CombinedOutput()
}

// initdb creates the cluster in dir/data with the superuser and its password.
func (p *Postgres) initdb(t testing.TB, dir string, cred *syscall.Credential) {
	t.Helper()
	pwfile := filepath.Join(dir, "pwfile")
	writeOwned(t, pwfile, []byte(p.Password+"\n"), cred)
	cmd := exec.Command(filepath.Join(p.bin, "initdb"), "-D", filepath.Join(dir, "data"),
		"-U", p.User, "--pwfile", pwfile, "--auth", "scram-sha-256", "-E", "UTF8",
		"--locale", "C", "--no-sync")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testenv: initdb: %v\n%s", err, tail(out))
	}
}

// postgresTLS puts the certificate and key where the server (as the postgres
// user) may read them, allows TCP clients only over TLS, and returns the
// server's TLS flags.
func postgresTLS(t testing.TB, dir string, pki PKI, cred *syscall.Credential) []string {
	t.Helper()
	for _, f := range []struct{ from, to string }{{pki.CertFile, "server.crt"}, {pki.KeyFile, "server.key"}} {
		b, err := os.ReadFile(f.from)
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		writeOwned(t, filepath.Join(dir, f.to), b, cred)
	}
	hba := "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n"
	writeOwned(t, filepath.Join(dir, "data", "pg_hba.conf"), []byte(hba), cred)
	return []string{"-c", "ssl=on", "-c", "ssl_cert_file=" + filepath.Join(dir, "server.crt"),
		"-c", "ssl_key_file=" + filepath.Join(dir, "server.key")}
}

// writeOwned writes a file of mode 0600 that the user of cred owns.
func writeOwned(t testing.TB, path string, data []byte, cred *syscall.Credential) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
		t.Fatalf("testenv: %v", err)
	}
}

// waitReady polls with psql until the server answers a query.
func (p *Postgres) waitReady() error {
	deadline := time.Now().Add(postgresStartTimeout)
	for {
		out, err := p.psql("postgres", "SELECT 1")
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %v: %s", postgresStartTimeout, err, tail(out))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// postgresCredential is the uid and gid of the postgres OS user.
func postgresCredential() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("looking up the postgres user: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// postgresDir makes a directory the postgres user owns, outside t.TempDir
// (whose parents that user cannot enter), removed when the test ends.
func postgresDir(t testing.TB, cred *syscall.Credential) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "keygate-postgres-")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) }) // registered first, so it runs after the server stops
	if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return dir
}

func randomHex(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return hex.EncodeToString(b)
}
