//go:build !linux

package main

import (
	"log/slog"
	"net"
)

// peerCheckedListener relies on the socket file's mode (0600) where the kernel
// offers no peer credentials through the standard library.
type peerCheckedListener struct {
	*net.UnixListener
	logger *slog.Logger
}
