//go:build !linux

package main

import "syscall"

// childAttr leaves the child's attributes as they are: without Linux's parent
// death signal, only the tool's own clean-up stops its children.
func childAttr() *syscall.SysProcAttr { return nil }
