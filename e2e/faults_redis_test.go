package e2e

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/keygate/keygate/internal/testenv"
)

// The bounds the Redis fault tests hold Keygate to (docs/security.md): a 200 only
// from a session cached less than session.CacheTTL before, every other answer a
// 5xx within faultBound, and every check passing again within recoverBound of
// Redis coming back, with nobody's help.
const (
	cacheWindow  = time.Second
	faultBound   = time.Second
	recoverBound = 2 * time.Second
)

// redisGate stands between Keygate and Redis: stop closes every connection and
// refuses new ones, as a stopped Redis does; start accepts again on the same port.
type redisGate struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        map[net.Conn]struct{}
}

func newRedisGate(t *testing.T, target string) *redisGate {
	g := &redisGate{addr: loopback(t), target: target, conns: map[net.Conn]struct{}{}}
	g.start(t)
	t.Cleanup(g.stop)
	return g
}

func (g *redisGate) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", g.addr)
	if err != nil {
		t.Fatalf("listening on %s again: %v", g.addr, err)
	}
	g.mu.Lock()
	g.ln = ln
	g.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go g.pipe(c)
		}
	}()
}

func (g *redisGate) pipe(c net.Conn) {
	up, err := net.Dial("tcp", g.target)
	if err != nil {
		c.Close()
		return
	}
	g.mu.Lock()
	g.conns[c], g.conns[up] = struct{}{}, struct{}{}
	g.mu.Unlock()
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
	c.Close()
}

func (g *redisGate) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ln != nil {
		g.ln.Close()
		g.ln = nil
	}
	for c := range g.conns {
		c.Close()
		delete(g.conns, c)
	}
}

// outcome is one forward-auth check of the load.
type outcome struct {
	start   time.Time
	status  int
	latency time.Duration
	err     error
}

// TestFaultRedis runs forward-auth checks of a signed-in session from 8 workers
// while Redis is stopped, then hung (CLIENT PAUSE), for 3 s each.
func TestFaultRedis(t *testing.T) {
	faults := []struct {
		name   string
		inject func(t *testing.T, g *redisGate, rdb *redis.Client)
		// lift ends the fault and returns the span within which Redis began
		// answering again; on, the span within which the fault took effect.
		lift func(t *testing.T, g *redisGate, on span) span
	}{
		{"stopped",
			func(t *testing.T, g *redisGate, _ *redis.Client) { g.stop() },
			func(t *testing.T, g *redisGate, _ span) span {
				from := time.Now()
				g.start(t)
				return span{from, time.Now()}
			}},
		{"hung",
			func(t *testing.T, _ *redisGate, rdb *redis.Client) {
				if err := rdb.Do(context.Background(), "CLIENT", "PAUSE", "3000", "ALL").Err(); err != nil {
					t.Fatalf("CLIENT PAUSE: %v", err)
				}
			},
			// The pause ends by itself 3 s after Redis took it, somewhere in on.
			func(t *testing.T, _ *redisGate, on span) span {
				time.Sleep(time.Until(on.to.Add(3 * time.Second)))
				return span{on.from.Add(3 * time.Second), on.to.Add(3 * time.Second)}
			}},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			target := testenv.Redis(t)
			rdb := redis.NewClient(&redis.Options{Addr: target})
			t.Cleanup(func() { rdb.Close() })
			gate := newRedisGate(t, target)
			dir := t.TempDir()
			config, addr := writeDaemonConfig(t, dir, gate.addr)
			startDaemon(t, dir, config, addr)
			cookie := directLogin(t, addr, alice)

			stopLoad := make(chan struct{})
			results := make(chan outcome, 1<<20)
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					for {
						select {
						case <-stopLoad:
							return
						default:
						}
						start := time.Now()
						status, err := authCheck(addr, cookie)
						results <- outcome{start, status, time.Since(start), err}
					}
				})
			}
			time.Sleep(time.Second)
			on := span{from: time.Now()}
			f.inject(t, gate, rdb)
			on.to = time.Now()
			time.Sleep(3 * time.Second)
			off := f.lift(t, gate, on)
			time.Sleep(recoverBound + time.Second)
			close(stopLoad)
			wg.Wait()
			close(results)
			judge(t, results, on, off)
		})
	}
}

// span is a stretch of time known to hold an instant the test cannot see
// exactly: when Redis took a fault, or when it answered again.
type span struct{ from, to time.Time }

// judge checks every outcome against the bounds and logs the figures. The fault
// took effect within on and ended within off. A 200 is wrong when the check
// began more than the cache window after the fault surely took effect and
// before it could have ended; a 5xx is wrong when the check ended before the
// fault could have begun, or began later than recoverBound after it surely
// ended.
func judge(t *testing.T, results <-chan outcome, on, off span) {
	t.Helper()
	var total, underFault, ok200, late200, fivexx, others, transport, notRecovered int
	var max5xx, maxAll time.Duration
	for o := range results {
		total++
		maxAll = max(maxAll, o.latency)
		if o.err != nil {
			transport++
			if transport <= 3 {
				t.Errorf("check at %v: %v", o.start.Sub(on.from), o.err)
			}
			continue
		}
		end := o.start.Add(o.latency)
		if !end.Before(on.from) && o.start.Before(off.to.Add(recoverBound)) {
			underFault++
		}
		switch {
		case o.status == 200:
			ok200++
			if o.start.After(on.to.Add(cacheWindow)) && o.start.Before(off.from) {
				late200++
			}
		case o.status >= 500:
			fivexx++
			max5xx = max(max5xx, o.latency)
			if end.Before(on.from) || o.start.After(off.to.Add(recoverBound)) {
				notRecovered++
				if notRecovered <= 3 {
					t.Logf("5xx outside the fault: began %v after the fault began (lifted %v-%v), took %v",
						o.start.Sub(on.from), off.from.Sub(on.from), off.to.Sub(on.from), o.latency)
				}
			}
		default:
			others++
		}
	}
	t.Logf("%d checks, %d under fault: %d answered 200, %d 5xx (slowest %v), %d other, %d transport errors; "+
		"200s outside the %v cache window: %d; slowest answer %v; 5xx before the fault or %v after it lifted: %d",
		total, underFault, ok200, fivexx, max5xx.Round(time.Millisecond), others, transport,
		cacheWindow, late200, maxAll.Round(time.Millisecond), recoverBound, notRecovered)
	if late200 > 0 {
		t.Errorf("%d checks answered 200 more than %v into the fault, from no cache", late200, cacheWindow)
	}
	if max5xx > faultBound || maxAll > faultBound {
		t.Errorf("slowest 5xx %v, slowest answer %v; want both within %v", max5xx, maxAll, faultBound)
	}
	if others > 0 {
		t.Errorf("%d checks answered neither 200 nor 5xx", others)
	}
	if notRecovered > 0 {
		t.Errorf("%d checks failed outside the fault (before it, or %v after it lifted)", notRecovered, recoverBound)
	}
	if fivexx == 0 {
		t.Error("no check failed during the fault: it was not injected")
	}
}
