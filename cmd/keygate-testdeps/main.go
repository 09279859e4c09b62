package main

import (
	"fmt"
	"os"

	"github.com/keygate/keygate/internal/testenv"
)

func main() {
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	if err := testenv.InstallMissing(testenv.Programs, logf); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
