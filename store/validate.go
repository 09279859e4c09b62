package store

import (
	"errors"
	"fmt"
	"net"
	"strconv"
)

// Validate reports every problem of the storage section at once, each line
// naming its key: path and postgres set together, and in postgres a missing or
// malformed address, database or username, or TLS keys without TLS. It reads
// storage.postgres.tls.ca_file to check it, and writes nothing.
func (c Config) Validate() error {
	if !c.Postgres.Enabled() {
		return nil
	}
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("storage.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.Path != "" {
		add("postgres", "storage.path %q and storage.postgres are both set; set only one: path for the bbolt file, postgres for PostgreSQL", c.Path)
	}
	p := c.Postgres
	switch host, port, err := net.SplitHostPort(p.Address); {
	case p.Address == "":
		add("postgres.address", "is empty; set the server's host:port, e.g. db.example.com:5432")
	case err != nil || host == "":
		add("postgres.address", "%q is not host:port; use one such as db.example.com:5432", p.Address)
	case !validPort(port):
		add("postgres.address", "%q has port %q; use a port from 1 to 65535", p.Address, port)
	}
	if p.Database == "" {
		add("postgres.database", "is empty; name the database Keygate keeps its data in")
	}
	if p.Username == "" {
		add("postgres.username", "is empty; name the role Keygate signs in as")
	}
	errs = append(errs, p.TLS.validate()...)
	return errors.Join(errs...)
}

func (t PostgresTLS) validate() []error {
	var errs []error
	if !t.Enabled {
		for _, kv := range [][2]string{{"server_name", t.ServerName}, {"ca_file", t.CAFile}} {
			if kv[1] != "" {
				errs = append(errs, fmt.Errorf("storage.postgres.tls.%s: %q is set but TLS is off; set storage.postgres.tls.enabled: true", kv[0], kv[1]))
			}
		}
		return errs
	}
	if t.CAFile != "" {
		if _, err := loadCAFile(t.CAFile); err != nil {
			errs = append(errs, fmt.Errorf("storage.postgres.tls.ca_file: %q cannot be used (%v); use a readable PEM file of CA certificates", t.CAFile, err))
		}
	}
	return errs
}

func validPort(port string) bool {
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}
