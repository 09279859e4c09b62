package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// The many-sessions scenarios send, each time, a random one of -sessions
// distinct valid sessions, so that Keygate's in-process cache (which keeps a
// session for one second) misses and reads the store as it does in production,
// where every visitor has a cookie of their own. The sessions belong to a second
// user. The daemons of the throughput scenarios have only the cheapest argon2id
// hashes Keygate accepts (m=8 KiB, t=1) in their users file, so that ten
// thousand sign-ins take seconds instead of the ten minutes the default 64 MiB
// hash would; the hash's cost is no part of what those scenarios measure. The baseline's map holds as many sessions, and the load
// sends a random one of them the same way.

// manyIdentity is the user of the many-sessions scenarios.
var manyIdentity = identity{user: "manyuser", groups: "dev", email: "many@example.test", name: "Many Sessions"}

// sessionWorkers is how many sign-ins of the many-sessions user run at once.
const sessionWorkers = 8

// cheapHash returns an argon2id hash of password in PHC form with the smallest
// cost Keygate accepts.
func cheapHash(password string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt) // never fails (crypto/rand)
	key := argon2.IDKey([]byte(password), salt, 1, 8, 1, 32)
	b64 := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=%d$m=8,t=1,p=1$%s$%s", argon2.Version, b64(salt), b64(key))
}

// createSessions signs the many-sessions user in n times and writes the n
// session cookies (name=value), one a line, to path.
func (kg *keygate) createSessions(ctx context.Context, n int, path string) error {
	cookies := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, sessionWorkers)
	for w := range sessionWorkers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
				if cookies[i], errs[w] = kg.signInAs(ctx, manyIdentity.user, kg.manyPassword, ""); errs[w] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("creating %d sessions: %w", n, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return writeLines(path, cookies)
}

// writeLines writes lines to a new file at path.
func writeLines(path string, lines []string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	w := bufio.NewWriter(f)
	for _, l := range lines {
		_, _ = w.WriteString(l + "\n")
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// readLines returns the lines of the file at path.
func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}

// manyTarget is t sending a random one of the cookies in file (first is the
// first of them, which the checks before and after a run send) as user.
func manyTarget(t target, file, first, user string) target {
	t.header = t.header.Clone()
	t.header.Set("Cookie", first)
	t.cookies, t.wantUser = file, user
	return t
}
