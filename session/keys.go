package session

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
	"go.etcd.io/bbolt"
)

var (
	_ keyLister = (*BoltStore)(nil)
	_ keyLister = (*RedisStore)(nil)
)

// Keys lists the live keys under prefix: a cursor over the sessions bucket.
func (s *BoltStore) Keys(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var keys []string
	p := []byte(prefix)
	err := s.view(func(tx *bbolt.Tx) error {
		c := tx.Bucket(boltBucket).Cursor()
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			if _, ok := s.live(v); ok {
				keys = append(keys, string(k))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bolt keys: %w", err)
	}
	return keys, nil
}

// redisScanBatch is the COUNT hint of one SCAN step.
const redisScanBatch = 500

// Keys lists the keys under prefix with SCAN, on every primary of a cluster.
// It is for admin commands: it takes as long as the keyspace needs, not
// RedisTimeout.
func (s *RedisStore) Keys(ctx context.Context, prefix string) ([]string, error) {
	var (
		keys []string
		mu   sync.Mutex
	)
	scan := func(ctx context.Context, c redis.Cmdable) error {
		it := c.Scan(ctx, 0, escapeGlob(s.prefix+prefix)+"*", redisScanBatch).Iterator()
		var found []string
		for it.Next(ctx) {
			found = append(found, strings.TrimPrefix(it.Val(), s.prefix))
		}
		if err := it.Err(); err != nil {
			return err
		}
		mu.Lock()
		keys = append(keys, found...)
		mu.Unlock()
		return nil
	}
	var err error
	if cc, ok := s.client.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	} else {
		err = scan(ctx, s.client)
	}
	if err != nil {
		return nil, fmt.Errorf("redis keys: %w", err)
	}
	return keys, nil
}

// escapeGlob escapes the characters SCAN's MATCH treats as a pattern.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
