package session

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	// redisKeyPrefix namespaces every key Keygate writes to Redis.
	redisKeyPrefix = "keygate:"
	// redisPingTimeout bounds the connection check in NewRedisStore.
	redisPingTimeout = 5 * time.Second
	// RedisTimeout bounds every call of a RedisStore, retries included, whatever
	// the caller's context allows: a Redis that hangs costs a request at most
	// this long, then the caller fails closed (a 5xx). Forward-auth checks use a
	// shorter deadline of their own (authz).
	RedisTimeout = time.Second
	// redisIOTimeout bounds one read or write on a connection; a timed-out
	// connection is dropped and the call retried on another while time remains.
	redisIOTimeout = 500 * time.Millisecond
	// redisRetries is how often a call is retried after a network error, within RedisTimeout.
	redisRetries = 1
	// redisBuffer and redisPipelineBuffer size each connection's read and write
	// buffers, plain and pipelined.
	redisBuffer         = 4 << 10
	redisPipelineBuffer = 16 << 10
)

// RedisStore is the Store for several Keygate instances: a standalone Redis, a
// Sentinel-managed master or a Redis Cluster, reached over a connection pool.
// Every key is prefixed with "keygate:". It needs Redis 6.2 or later (GETDEL).
type RedisStore struct {
	client    redis.UniversalClient
	prefix    string
	addMember *redis.Script // see addMemberLua
	ack       *replicaAck   // nil: writes do not wait for replicas

	opts     *redis.UniversalOptions
	mode     string // standalone, sentinel or cluster
	logger   *slog.Logger
	failures failures // see ObserveFailures

	trackMu sync.Mutex
	tracker *redisTracker // nil until vouch starts it; guarded by trackMu
	closed  bool          // Close began; guarded by trackMu

	closeOnce sync.Once
	closeErr  error
}

var _ Store = (*RedisStore)(nil)

// NewRedisStore validates cfg, connects, and checks the connection with a PING, so
// a wrong address, password or certificate fails at start rather than on the first
// sign-in.
func NewRedisStore(cfg RedisConfig, logger *slog.Logger) (*RedisStore, error) {
	return newRedisStore(cfg, logger, redisKeyPrefix)
}

func newRedisStore(cfg RedisConfig, logger *slog.Logger, prefix string) (*RedisStore, error) {
	if !cfg.Enabled() {
		return nil, errors.New("session: no redis address, sentinel or cluster configured")
	}
	if err := cfg.validate("session.redis"); err != nil {
		return nil, err
	}
	opts, err := redisOptions(cfg)
	if err != nil {
		return nil, err
	}
	client := redis.NewUniversalClient(opts)
	watchCluster(client)
	ctx, cancel := context.WithTimeout(context.Background(), redisPingTimeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("connecting to redis %s: %w", strings.Join(opts.Addrs, ","), err)
	}
	logger = logger.With("component", "session.redis")
	s := &RedisStore{
		client: client, prefix: prefix, addMember: redis.NewScript(addMemberLua), ack: newReplicaAck(cfg, logger),
		opts: opts, mode: cfg.mode(), logger: logger,
	}
	client.AddHook(failureHook{&s.failures})
	s.seedReplicas(ctx)
	logger.Info("connected to redis", "mode", cfg.mode(), "addresses", opts.Addrs, "tls", cfg.TLS.Enabled,
		"wait_replicas", s.waitingFor())
	return s, nil
}

// redisOptions translates cfg, reading the password and CA files it names.
func redisOptions(cfg RedisConfig) (*redis.UniversalOptions, error) {
	opts := &redis.UniversalOptions{
		Username:              cfg.Username,
		Password:              cfg.Password,
		DB:                    cfg.DB,
		ContextTimeoutEnabled: true,
		DisableIdentity:       true,
		DialTimeout:           RedisTimeout,
		ReadTimeout:           redisIOTimeout,
		WriteTimeout:          redisIOTimeout,
		PoolTimeout:           RedisTimeout,
		MaxRetries:            redisRetries,
		// A session record is under 1 KiB: the default 32 KiB buffers each way
		// (128 KiB for pipelines) per connection cost megabytes of heap for
		// nothing; a larger reply is read in several fills.
		ReadBufferSize:          redisBuffer,
		WriteBufferSize:         redisBuffer,
		PipelineReadBufferSize:  redisPipelineBuffer,
		PipelineWriteBufferSize: redisPipelineBuffer,
	}
	switch cfg.mode() {
	case "sentinel":
		opts.Addrs = cfg.Sentinel.Addresses
		opts.MasterName = cfg.Sentinel.Master
	case "cluster":
		opts.Addrs = cfg.Cluster.Addresses
		opts.IsClusterMode = true
	default:
		opts.Addrs = []string{cfg.Address}
	}
	if cfg.PasswordFile != "" {
		password, err := readPasswordFile(cfg.PasswordFile)
		if err != nil {
			return nil, err
		}
		opts.Password = password
	}
	if cfg.TLS.Enabled {
		tlsConfig, err := redisTLS(cfg.TLS)
		if err != nil {
			return nil, err
		}
		opts.TLSConfig = tlsConfig
	}
	return opts, nil
}

// readPasswordFile returns the file's content without its trailing line break.
func readPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading session.redis.password_file: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

func redisTLS(cfg TLSConfig) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.ServerName}
	if cfg.CAFile == "" {
		return tc, nil
	}
	pool, err := loadCAFile(cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("session.redis.tls.ca_file %s: %w", cfg.CAFile, err)
	}
	tc.RootCAs = pool
	return tc, nil
}

// loadCAFile reads a PEM bundle of certificates. Its errors do not repeat path.
func loadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fileCause(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("no PEM certificate in it")
	}
	return pool, nil
}

// fileCause strips the operation and path from a file error: "no such file or directory".
func fileCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// bounded returns ctx with RedisTimeout as its deadline unless it has an earlier one.
func bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, RedisTimeout)
}

// Get implements Store.
func (s *RedisStore) Get(ctx context.Context, key string) ([]byte, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	v, err := s.client.Get(ctx, s.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("redis get: %w", err)
	}
	return v, nil
}

// Set implements Store with SET and EX, or PX for a ttl that is not whole seconds.
func (s *RedisStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return err
	}
	k := s.prefix + key
	_, err := s.write(ctx, k, func(c redis.Cmdable) redis.Cmder { return c.Set(ctx, k, value, ttl) })
	if err != nil {
		return fmt.Errorf("redis set: %w", err)
	}
	return nil
}

// Delete implements Store.
func (s *RedisStore) Delete(ctx context.Context, key string) error {
	k := s.prefix + key
	if _, err := s.write(ctx, k, func(c redis.Cmdable) redis.Cmder { return c.Del(ctx, k) }); err != nil {
		return fmt.Errorf("redis delete: %w", err)
	}
	return nil
}

// Take implements Store with GETDEL.
func (s *RedisStore) Take(ctx context.Context, key string) ([]byte, error) {
	k := s.prefix + key
	cmd, err := s.write(ctx, k, func(c redis.Cmdable) redis.Cmder { return c.GetDel(ctx, k) })
	var v []byte
	if err == nil {
		v, err = cmd.(*redis.StringCmd).Bytes()
	}
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("redis take: %w", err)
	}
	return v, nil
}

// waitingFor is how many replicas writes wait for at most: 0 when off.
func (s *RedisStore) waitingFor() int {
	if s.ack == nil {
		return 0
	}
	return s.ack.want
}

// Close closes the connection pool. It is safe to call more than once.
func (s *RedisStore) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		s.trackMu.Lock()
		if s.tracker != nil {
			errs = append(errs, s.tracker.close())
		}
		s.closed = true
		s.trackMu.Unlock()
		s.closeErr = errors.Join(append(errs, s.client.Close())...)
	})
	return s.closeErr
}

// vouch starts a redisTracker for c on a standalone or Sentinel-managed Redis.
// On a Cluster, each primary tracks its own keys, which one subscription
// cannot follow: sessions are cached for CacheTTL only there.
func (s *RedisStore) vouch(c *sessionCache) vouchFunc {
	s.trackMu.Lock()
	defer s.trackMu.Unlock()
	if s.mode == "cluster" || s.tracker != nil || s.closed {
		return nil
	}
	s.tracker = startTracker(s.client, s.opts, s.prefix, c, s.logger.With("part", "tracker"))
	return s.tracker.vouched
}

var _ cacheVoucher = (*RedisStore)(nil)
