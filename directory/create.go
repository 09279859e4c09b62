package directory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// defaultUsers is the users file written by CreateDefault.
const defaultUsers = `# Keygate users file. Keygate reloads it within seconds of a change.
#
# users:
#   alice:
#     display_name: Alice Liddell
#     email: alice@example.com
#     groups: [admins, dev]
#     password: "$argon2id$v=19$..."   # from keygate hash-password; omit for passkey-only
#     disabled: false
users:
  admin:
    display_name: Administrator
    groups: [admins]
`

// CreateDefault writes a users file with one passkey-only user, admin in
// group admins, if nothing exists at path. It creates missing parent
// directories with mode 0700 and the file with mode 0600, and reports whether
// it wrote the file. An existing file is left untouched.
func CreateDefault(path string) (created bool, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return false, fmt.Errorf("creating users directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("creating users file: %w", err)
	}
	if err := writeAndClose(f, defaultUsers); err != nil {
		os.Remove(path)
		return false, fmt.Errorf("writing users file: %w", err)
	}
	return true, nil
}

func writeAndClose(f *os.File, content string) error {
	_, err := f.WriteString(content)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}
