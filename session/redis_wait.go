package session

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	// DefaultWaitTimeout is how long a write waits for a replica's
	// acknowledgement when session.redis.wait_timeout is zero.
	DefaultWaitTimeout = 100 * time.Millisecond
	// maxWaitTimeout keeps the wait inside one read of a connection (redisIOTimeout).
	maxWaitTimeout = 400 * time.Millisecond
	// roleEvery is how often a primary is asked how many replicas it has.
	roleEvery = 2 * time.Second
)

// replicaAck makes every write wait, on the same connection, until the
// primary's replicas acknowledge it (WAIT), so that what Keygate wrote
// survives a failover that promotes one of them. It waits for as many
// replicas as the primary has connected, at most want: a primary left with
// none (its replica died, or was promoted) costs no timeout per write. It
// learns the count from ROLE, sent in the same pipeline as a write at most
// every roleEvery, and from short acknowledgements.
type replicaAck struct {
	want    int
	timeout time.Duration
	logger  *slog.Logger

	mu    sync.Mutex
	nodes map[string]*nodeReplicas // by primary address; "" outside a cluster
}

// nodeReplicas is what is known of one primary.
type nodeReplicas struct {
	replicas int
	checked  time.Time
	warned   time.Time
}

// newReplicaAck returns nil when cfg turns waiting off.
func newReplicaAck(cfg RedisConfig, logger *slog.Logger) *replicaAck {
	want := cfg.WaitReplicas
	switch {
	case want < 0:
		return nil
	case want == 0:
		want = 1
	}
	timeout := cfg.WaitTimeout
	if timeout == 0 {
		timeout = DefaultWaitTimeout
	}
	return &replicaAck{want: want, timeout: timeout, logger: logger, nodes: map[string]*nodeReplicas{}}
}

// plan returns how many replicas to wait for on node and whether to ask ROLE.
// A primary not seen yet is assumed to have want replicas until ROLE says.
func (a *replicaAck) plan(node string, now time.Time) (wait int, askRole bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n, ok := a.nodes[node]
	if !ok {
		n = &nodeReplicas{replicas: a.want}
		a.nodes[node] = n
	}
	return min(a.want, n.replicas), now.Sub(n.checked) >= roleEvery
}

// learn records what a write's pipeline told about node: the replicas that
// acknowledged (acked, when waited for) and those ROLE lists (role, or -1).
func (a *replicaAck) learn(node string, wait int, acked int64, role int, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n, ok := a.nodes[node]
	if !ok {
		n = &nodeReplicas{}
		a.nodes[node] = n
	}
	if role >= 0 {
		n.replicas, n.checked = role, now
	}
	if wait > 0 && acked < int64(wait) {
		n.replicas, n.checked = int(acked), now
		if now.Sub(n.warned) >= time.Minute {
			n.warned = now
			a.logger.Warn("redis write not acknowledged by replicas in time; a failover now could lose it",
				"primary", node, "acknowledged", acked, "wanted", wait, "timeout", a.timeout)
		}
	}
}

// roleReplicas reads the number of connected replicas from a ROLE reply, or
// 0 when the node is not a primary.
func roleReplicas(cmd *redis.Cmd) int {
	reply, err := cmd.Slice()
	if err != nil || len(reply) < 3 || reply[0] != "master" {
		return 0
	}
	list, _ := reply[2].([]any)
	return len(list)
}

// write runs one write command, built by fn on the Cmdable it is given, and
// when replicaAck is on, WAITs for the replicas in the same pipeline on the
// primary that holds key. fn's command is returned for its result.
func (s *RedisStore) write(ctx context.Context, key string, fn func(redis.Cmdable) redis.Cmder) (redis.Cmder, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	if s.ack == nil {
		return s.writeUnacknowledged(fn)
	}
	node, name := s.primaryFor(ctx, key)
	if node == nil {
		return s.writeUnacknowledged(fn)
	}
	now := time.Now()
	wait, askRole := s.ack.plan(name, now)
	pipe := node.Pipeline()
	cmd := fn(pipe)
	var waitCmd *redis.Cmd
	if wait > 0 {
		waitCmd = pipe.Do(ctx, "WAIT", wait, s.ack.timeout.Milliseconds())
	}
	var roleCmd *redis.Cmd
	if askRole {
		roleCmd = pipe.Do(ctx, "ROLE")
	}
	_, _ = pipe.Exec(ctx)
	if err := cmd.Err(); err != nil {
		if name != "" && !errors.Is(err, redis.Nil) {
			// A cluster primary that moved or died: the cluster client follows
			// redirects and refreshes its map; this write goes without the ack.
			return s.writeUnacknowledged(fn)
		}
		return cmd, err
	}
	role, acked := -1, int64(0)
	if roleCmd != nil && roleCmd.Err() == nil {
		role = roleReplicas(roleCmd)
	}
	if waitCmd != nil {
		acked, _ = waitCmd.Int64()
	}
	s.ack.learn(name, wait, acked, role, now)
	return cmd, nil
}

// writeUnacknowledged runs fn's command through the client, without WAIT.
func (s *RedisStore) writeUnacknowledged(fn func(redis.Cmdable) redis.Cmder) (redis.Cmder, error) {
	cmd := fn(s.client)
	return cmd, cmd.Err()
}

// seedReplicas asks a standalone or Sentinel-managed primary how many
// replicas it has, so that the first writes neither skip the wait nor time out.
func (s *RedisStore) seedReplicas(ctx context.Context) {
	if s.ack == nil {
		return
	}
	if _, ok := s.client.(*redis.ClusterClient); ok {
		return
	}
	if cmd := s.client.Do(ctx, "ROLE"); cmd.Err() == nil {
		s.ack.learn("", 0, 0, roleReplicas(cmd), time.Now())
	}
}

// primaryFor returns the client of the primary that holds key and its
// address ("" outside a cluster), or nil when a cluster cannot tell.
func (s *RedisStore) primaryFor(ctx context.Context, key string) (redis.Cmdable, string) {
	cc, ok := s.client.(*redis.ClusterClient)
	if !ok {
		return s.client, ""
	}
	node, err := cc.MasterForKey(ctx, key)
	if err != nil {
		return nil, ""
	}
	return node, node.Options().Addr
}
