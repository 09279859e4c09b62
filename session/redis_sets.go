package session

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisSetPrefix namespaces sets apart from keys.
const redisSetPrefix = "set:"

// addMemberLua adds a member (ARGV[2]) to a sorted set scored by expiry
// (ARGV[1], Unix ms), drops the members expired by now (ARGV[3]) and keeps the
// set itself at least as long as the new member (ARGV[4] ms). One key, so it
// runs on Redis Cluster too.
const addMemberLua = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[4]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return 1
`

func (s *RedisStore) setKey(set string) string {
	return s.prefix + redisSetPrefix + set
}

// AddMember implements Store with a sorted set scored by each member's expiry.
func (s *RedisStore) AddMember(ctx context.Context, set, member string, ttl time.Duration) error {
	if err := checkMember(set, member, ttl); err != nil {
		return err
	}
	now := time.Now()
	ms := max(ttl.Milliseconds(), 1)
	args := []any{now.UnixMilli() + ms, member, now.UnixMilli(), ms}
	keys := []string{s.setKey(set)}
	_, err := s.write(ctx, keys[0], func(c redis.Cmdable) redis.Cmder {
		if _, ok := c.(redis.Pipeliner); ok {
			return s.addMember.Eval(ctx, c, keys, args...) // a pipeline cannot fall back from EVALSHA
		}
		return s.addMember.Run(ctx, c, keys, args...)
	})
	if err != nil {
		return fmt.Errorf("redis add member: %w", err)
	}
	return nil
}

// Members implements Store.
func (s *RedisStore) Members(ctx context.Context, set string) ([]string, error) {
	min := "(" + strconv.FormatInt(time.Now().UnixMilli(), 10)
	members, err := s.client.ZRangeByScore(ctx, s.setKey(set), &redis.ZRangeBy{Min: min, Max: "+inf"}).Result()
	if err != nil {
		return nil, fmt.Errorf("redis members: %w", err)
	}
	return members, nil
}

// RemoveMembers implements Store.
func (s *RedisStore) RemoveMembers(ctx context.Context, set string, members ...string) error {
	if len(members) == 0 {
		return nil
	}
	args := make([]any, len(members))
	for i, m := range members {
		args[i] = m
	}
	k := s.setKey(set)
	if _, err := s.write(ctx, k, func(c redis.Cmdable) redis.Cmder { return c.ZRem(ctx, k, args...) }); err != nil {
		return fmt.Errorf("redis remove members: %w", err)
	}
	return nil
}
