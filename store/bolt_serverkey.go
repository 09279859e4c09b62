package store

import (
	"bytes"
	"context"

	"go.etcd.io/bbolt"
)

// bucketServerKeys holds the server's secret keys: name -> key. Created by the
// first key, so that a file written before keys existed needs no migration.
var bucketServerKeys = []byte("server_keys")

func (b *boltBackend) serverKey(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	var key []byte
	err := b.view(ctx, func(tx *bbolt.Tx) error {
		if bk := tx.Bucket(bucketServerKeys); bk != nil {
			key = bytes.Clone(bk.Get([]byte(name)))
		}
		return nil
	})
	if err != nil || key != nil {
		return key, err
	}
	err = b.update(ctx, func(tx *bbolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(bucketServerKeys)
		if err != nil {
			return err
		}
		if k := bk.Get([]byte(name)); k != nil { // created meanwhile
			key = bytes.Clone(k)
			return nil
		}
		key = bytes.Clone(fresh)
		return bk.Put([]byte(name), fresh)
	})
	return key, err
}
