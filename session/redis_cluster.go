package session

import (
	"context"
	"errors"
	"net"

	"github.com/redis/go-redis/v9"
)

// clusterReload is a go-redis hook that has the cluster client reload its
// map of slots after a command fails. go-redis reloads the map on MOVED and
// then only every minute: after a primary dies and its replica takes over,
// commands would go on dialling the dead primary for up to a minute. The
// reloads are coalesced by go-redis (one at a time, 200 ms apart).
type clusterReload struct{ client *redis.ClusterClient }

var _ redis.Hook = clusterReload{}

// DialHook implements redis.Hook.
func (h clusterReload) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return next(ctx, network, addr)
	}
}

// ProcessHook implements redis.Hook.
func (h clusterReload) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.failed(ctx, err)
		return err
	}
}

// ProcessPipelineHook implements redis.Hook.
func (h clusterReload) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.failed(ctx, err)
		return err
	}
}

// failed asks for a reload after an error that is not an answer.
func (h clusterReload) failed(ctx context.Context, err error) {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) {
		return
	}
	h.client.ReloadState(ctx)
}

// watchCluster installs clusterReload on a cluster client.
func watchCluster(client redis.UniversalClient) {
	if cc, ok := client.(*redis.ClusterClient); ok {
		cc.AddHook(clusterReload{cc})
	}
}
