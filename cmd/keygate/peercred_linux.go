package main

import (
	"log/slog"
	"net"
	"os"
	"syscall"
)

// peerCheckedListener accepts admin connections only from the daemon's own user
// or root, by the peer credentials the kernel reports for the socket.
type peerCheckedListener struct {
	*net.UnixListener
	logger *slog.Logger
}

// Accept returns the next connection whose peer is allowed, closing the others.
func (l peerCheckedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.AcceptUnix()
		if err != nil {
			return nil, err
		}
		uid, ok := peerUID(c)
		if ok && (uid == 0 || uid == uint32(os.Getuid())) {
			return c, nil
		}
		l.logger.Warn("admin socket: refused a connection from another user", "uid", uid)
		c.Close()
	}
}

func peerUID(c *net.UnixConn) (uint32, bool) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, false
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil || credErr != nil {
		return 0, false
	}
	return cred.Uid, true
}
