package session

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Enabled reports whether c selects the Redis store: its Address, Sentinel
// addresses or Cluster addresses are set.
func (c RedisConfig) Enabled() bool {
	return c.Address != "" || len(c.Sentinel.Addresses) > 0 || len(c.Cluster.Addresses) > 0
}

// mode names the deployment c selects: standalone, sentinel or cluster.
func (c RedisConfig) mode() string {
	switch {
	case len(c.Sentinel.Addresses) > 0:
		return "sentinel"
	case len(c.Cluster.Addresses) > 0:
		return "cluster"
	default:
		return "standalone"
	}
}

// validate reports every problem in c, naming keys under path. It never prints a password.
func (c RedisConfig) validate(path string) error {
	var p problems
	if !c.Enabled() {
		if set := c.setKeys(); len(set) > 0 {
			p.add(path, "%s set but no server; set %[2]s.address, %[2]s.sentinel.addresses or %[2]s.cluster.addresses, or remove the section",
				strings.Join(set, ", "), path)
		}
		return errors.Join(p...)
	}
	p.checkRedisMode(path, c)
	p.checkRedisAuth(path, c)
	p.checkRedisTLS(path+".tls", c.TLS)
	p.checkRedisWait(path, c)
	return errors.Join(p...)
}

// setKeys lists the keys of an otherwise unused Redis section that are not zero.
func (c RedisConfig) setKeys() []string {
	var set []string
	for _, k := range []struct {
		name string
		set  bool
	}{
		{"username", c.Username != ""},
		{"password", c.Password != ""},
		{"password_file", c.PasswordFile != ""},
		{"db", c.DB != 0},
		{"tls", c.TLS != (TLSConfig{})},
		{"sentinel.master", c.Sentinel.Master != ""},
		{"wait_replicas", c.WaitReplicas != 0},
		{"wait_timeout", c.WaitTimeout != 0},
	} {
		if k.set {
			set = append(set, k.name)
		}
	}
	return set
}

func (p *problems) checkRedisMode(path string, c RedisConfig) {
	var chosen []string
	if c.Address != "" {
		chosen = append(chosen, "address")
		p.checkHostPort(path+".address", c.Address)
	}
	if len(c.Sentinel.Addresses) > 0 {
		chosen = append(chosen, "sentinel.addresses")
		for i, a := range c.Sentinel.Addresses {
			p.checkHostPort(fmt.Sprintf("%s.sentinel.addresses[%d]", path, i), a)
		}
		if c.Sentinel.Master == "" {
			p.add(path+".sentinel.master", "is empty; Sentinel needs the name of the master to follow")
		}
	} else if c.Sentinel.Master != "" {
		p.add(path+".sentinel.master", "%q is set without %s.sentinel.addresses; list the Sentinels", c.Sentinel.Master, path)
	}
	if len(c.Cluster.Addresses) > 0 {
		chosen = append(chosen, "cluster.addresses")
		for i, a := range c.Cluster.Addresses {
			p.checkHostPort(fmt.Sprintf("%s.cluster.addresses[%d]", path, i), a)
		}
		if c.DB != 0 {
			p.add(path+".db", "%d is not allowed with a cluster, which has only database 0; remove it", c.DB)
		}
	}
	if len(chosen) > 1 {
		p.add(path, "%s are set together; set only one of address (standalone), sentinel.addresses or cluster.addresses", strings.Join(chosen, " and "))
	}
	if c.DB < 0 {
		p.add(path+".db", "%d is negative; use a database number from 0", c.DB)
	}
}

func (p *problems) checkHostPort(path, addr string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		p.add(path, "%q is not host:port; use one such as 127.0.0.1:6379", addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		p.add(path, "%q has port %q; use a port from 1 to 65535", addr, port)
	}
}

func (p *problems) checkRedisAuth(path string, c RedisConfig) {
	if c.Password != "" && c.PasswordFile != "" {
		p.add(path+".password_file", "%q is set together with %s.password; set only one", c.PasswordFile, path)
	}
	if c.PasswordFile != "" {
		if pw, err := readPasswordFile(c.PasswordFile); err != nil {
			p.add(path+".password_file", "%q cannot be read (%v); use a readable file holding the password", c.PasswordFile, fileCause(err))
		} else if pw == "" {
			p.add(path+".password_file", "%q is empty; write the password into it", c.PasswordFile)
		}
	}
	if c.Username != "" && c.Password == "" && c.PasswordFile == "" {
		p.add(path+".username", "%q is set without a password; set %s.password or %s.password_file", c.Username, path, path)
	}
}

func (p *problems) checkRedisTLS(path string, c TLSConfig) {
	if !c.Enabled {
		if c.ServerName != "" {
			p.add(path+".server_name", "%q is set but TLS is off; set %s.enabled: true", c.ServerName, path)
		}
		if c.CAFile != "" {
			p.add(path+".ca_file", "%q is set but TLS is off; set %s.enabled: true", c.CAFile, path)
		}
		return
	}
	if c.CAFile != "" {
		if _, err := loadCAFile(c.CAFile); err != nil {
			p.add(path+".ca_file", "%q cannot be used (%v); use a readable PEM file of CA certificates", c.CAFile, err)
		}
	}
}

func (p *problems) checkRedisWait(path string, c RedisConfig) {
	if c.WaitReplicas < -1 {
		p.add(path+".wait_replicas", "%d is not allowed; use -1 (no waiting), 0 (one replica) or a number of replicas", c.WaitReplicas)
	}
	if c.WaitTimeout < 0 || c.WaitTimeout > maxWaitTimeout {
		p.add(path+".wait_timeout", "%v is out of range; use a duration from 1ms to %v (0 means %v)", c.WaitTimeout, maxWaitTimeout, DefaultWaitTimeout)
	} else if c.WaitTimeout > 0 && c.WaitTimeout < time.Millisecond {
		p.add(path+".wait_timeout", "%v is below WAIT's resolution; use at least 1ms", c.WaitTimeout)
	}
	if c.WaitReplicas == -1 && c.WaitTimeout != 0 {
		p.add(path+".wait_timeout", "%v is set but wait_replicas is -1 (no waiting); remove one of them", c.WaitTimeout)
	}
}
