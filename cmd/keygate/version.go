package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is stamped by `task build` and `task release`:
// -ldflags "-X main.version=$(git describe --tags --always --dirty)". Empty in
// a plain `go build`; versionString then falls back to the module's version.
var version = ""

// versionString is the stamped version, else the module version the Go
// toolchain recorded (a tag for `go install ...@v1.2.3`, "(devel)" otherwise).
func versionString() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}

// printVersion runs `keygate version`: the version, then what the build recorded.
func printVersion(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return errUsage
	}
	fmt.Fprintf(stdout, "keygate %s\n", versionString())
	fmt.Fprintf(stdout, "go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision", "vcs.time", "vcs.modified", "CGO_ENABLED":
			fmt.Fprintf(stdout, "%s: %s\n", s.Key, s.Value)
		}
	}
	return nil
}
