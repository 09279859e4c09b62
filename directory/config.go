package directory

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// DefaultFile is the users file read when Config.File is empty.
const DefaultFile = "./keygate-data/users.yml"

// Config is the users section of the config file.
type Config struct {
	// File is the path of the users file. Empty means ./keygate-data/users.yml.
	File string `koanf:"file"`
}

// Path returns File, or DefaultFile when File is empty.
func (c Config) Path() string {
	if c.File == "" {
		return DefaultFile
	}
	return c.File
}

// Validate reports a users.file that cannot name a regular file. It does not
// touch the file system: the file may be created later by CreateDefault.
func (c Config) Validate() error {
	var errs []error
	if strings.ContainsRune(c.File, 0) {
		errs = append(errs, fmt.Errorf("users.file: %q contains a NUL byte; want a file path", c.File))
	}
	if strings.HasSuffix(c.File, "/") || strings.HasSuffix(c.File, string(os.PathSeparator)) {
		errs = append(errs, fmt.Errorf("users.file: %q names a directory; want a file path such as %s", c.File, DefaultFile))
	}
	return errors.Join(errs...)
}
