package store

import (
	"context"
	"fmt"

	"go.etcd.io/bbolt"
)

// The buckets the store owns in the bbolt file. The session package owns its own.
var (
	bucketCredentials   = []byte("credentials")    // user -> bucket of credential ID -> JSON
	bucketCredentialIDs = []byte("credential_ids") // credential ID -> user
	bucketHandles       = []byte("user_handles")   // user -> handle
	bucketHandleUsers   = []byte("handle_users")   // handle -> user
	bucketInvites       = []byte("invites")        // SHA-256(token) -> JSON
	bucketAudit         = []byte("audit")          // big-endian sequence -> JSON
)

// storeBuckets are every bucket of the store, in creation order.
var storeBuckets = [][]byte{
	bucketCredentials, bucketCredentialIDs, bucketHandles,
	bucketHandleUsers, bucketInvites, bucketAudit,
}

// boltBackend keeps the store's data in buckets of the bbolt file.
type boltBackend struct {
	db *bbolt.DB
}

var _ backend = (*boltBackend)(nil)

// newBoltBackend creates the store's buckets in db when missing.
func newBoltBackend(db *bbolt.DB) (*boltBackend, error) {
	err := db.Update(func(tx *bbolt.Tx) error {
		for _, name := range storeBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("creating bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &boltBackend{db: db}, nil
}

func (b *boltBackend) name() string { return "bbolt" }

func (b *boltBackend) close() error { return b.db.Close() }

// view runs fn in a read-only transaction unless ctx is already done.
func (b *boltBackend) view(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.db.View(fn)
}

// update runs fn in one read-write transaction unless ctx is already done.
// When fn fails nothing it wrote is kept.
func (b *boltBackend) update(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.db.Update(fn)
}
