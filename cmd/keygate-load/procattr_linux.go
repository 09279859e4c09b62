package main

import "syscall"

// childAttr puts a child in its own process group, so that a Ctrl-C at the
// terminal reaches only this tool, which then stops the child itself, and has
// the kernel send the child SIGTERM should this tool die without cleaning up.
// The kernel sends it when the thread that started the child exits, which is
// why main locks its goroutine to its thread and starts every child from it.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
