//go:build !linux

package directory

// lowerThreadPriority does nothing where the nice value is per process.
func lowerThreadPriority() {}
