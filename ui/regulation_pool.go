package ui

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

// Bounds of the hashing pool's queue.
const (
	// poolQueue is how many password checks of the anonymous class may wait
	// for a hashing slot.
	poolQueue = 128
	// poolKnownQueue is how many checks of the known-device class may wait,
	// in room of their own that no anonymous check can take.
	poolKnownQueue = 64
	// poolHalfLife is how fast a client's demand is forgotten: a client that
	// sends one sign-in a second settles at a demand of about 43.
	poolHalfLife = 30 * time.Second
)

// poolKey names a client of the hashing pool: an address (the anonymous
// class; see clientKey) or, for a sign-in that carries a valid device cookie
// of the user it signs in as, the device (the known-device class).
type poolKey struct {
	device bool   // the known-device class
	id     string // the address, or the device ID
}

// anonymousKey is the pool's key of the client at address addr (clientKey's form).
func anonymousKey(addr string) poolKey { return poolKey{id: addr} }

// deviceKey is the pool's key of the known device id.
func deviceKey(id string) poolKey { return poolKey{device: true, id: id} }

func (k poolKey) String() string {
	if k.device {
		return "device " + k.id
	}
	return k.id
}

// hashPool shares the password-hashing capacity among clients. At most slots
// hashes run at once; the others wait in a queue.
//
// Clients come in two classes. A sign-in that carries a valid device cookie
// for the user it signs in as (devices.known) belongs to the known-device
// class, keyed by its device ID; every other sign-in to the anonymous class,
// keyed by its address (an IPv4 address, or an IPv6 prefix). A free slot goes
// to a known device's check before any anonymous one, so that a returning user
// signs in while a botnet floods the portal from more addresses than there
// are slots. Each class has room of its own in the queue (poolKnownQueue and
// poolQueue): a newcomer only ever takes the place of a check of its own
// class, so the anonymous flood cannot evict a known device's check.
//
// Within a class a free slot goes to the waiting check whose client has the
// fewest hashes running, then the lowest demand (the sign-ins it sent
// recently, decaying with poolHalfLife), then the one that came first. So one
// client cannot hold more than its share while others wait, and a client that
// floods ranks behind one that sends a sign-in now and then. When a class's
// room is full, a newcomer takes the place of the waiting check of that class
// of the highest demand if its own client's demand is lower, and that check is
// refused (errBusy, 429); otherwise the newcomer is. A check waits until its
// context ends (checkWait after the sign-in began, or the client giving up).
//
// The known-device class is no way around regulation: a check reaches the
// pool only under a regulation reservation of its user and address, so one
// user's checks in the class never exceed regulation.max_failures at once,
// and a user whose wrong passwords reach the limit is banned and refused
// without a hash. An attacker can mint device cookies only for an account
// whose password they have; flooding from such devices soon bans that
// account, and takes at most its share of the class until then.
type hashPool struct {
	slots      int
	queue      int // room of the anonymous class
	knownQueue int // room of the known-device class
	now        func() time.Time

	mu           sync.Mutex
	running      int
	seq          uint64
	clients      map[poolKey]*poolClient
	waiting      []*poolWaiter
	knownWaiting int // of waiting, the known-device class's
}

// poolClient is what the pool knows of one client.
type poolClient struct {
	running int
	waiting int
	demand  float64   // decayed count of sign-ins sent, as of at
	at      time.Time // when demand was last brought up to date
}

// poolWaiter is one check waiting for a slot.
type poolWaiter struct {
	key    poolKey
	client *poolClient
	seq    uint64
	ready  chan struct{} // closed when granted a slot
	busy   bool          // refused: evicted from a full queue
}

func newHashPool(slots int, now func() time.Time) *hashPool {
	return &hashPool{slots: slots, queue: poolQueue, knownQueue: poolKnownQueue, now: now, clients: make(map[poolKey]*poolClient)}
}

// acquire waits for a hashing slot for client key and returns the function
// that gives it back. It fails with errBusy when the queue has no place for
// the check, or ctx's cause when ctx ends first.
func (p *hashPool) acquire(ctx context.Context, key poolKey) (func(), error) {
	w, err := p.enter(key)
	if err != nil {
		return nil, err
	}
	if w == nil {
		return p.releaser(key), nil
	}
	select {
	case <-w.ready:
		if w.busy {
			return nil, fmt.Errorf("hashing queue full, check of %s evicted: %w", key, errBusy)
		}
		return p.releaser(key), nil
	case <-ctx.Done():
		if p.abandon(w) {
			return nil, fmt.Errorf("waiting to hash for %s: %w", key, context.Cause(ctx))
		}
		<-w.ready // granted meanwhile
		if !w.busy {
			p.releaser(key)()
		}
		return nil, fmt.Errorf("waiting to hash for %s: %w", key, ctx.Err())
	}
}

// enter records a sign-in of client key and grants it a slot (nil waiter),
// queues it, or refuses it.
func (p *hashPool) enter(key poolKey) (*poolWaiter, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.client(key)
	c.demand++
	if p.running < p.slots && len(p.waiting) == 0 {
		p.running++
		c.running++
		return nil, nil
	}
	if p.roomFull(key.device) && !p.evictFor(c, key.device) {
		p.forget(key, c)
		return nil, fmt.Errorf("hashing queue full, check of %s refused: %w", key, errBusy)
	}
	p.seq++
	w := &poolWaiter{key: key, client: c, seq: p.seq, ready: make(chan struct{})}
	p.add(w)
	return w, nil
}

// roomFull reports whether the queue's room of a class (known devices when
// device) is taken.
func (p *hashPool) roomFull(device bool) bool {
	if device {
		return p.knownWaiting >= p.knownQueue
	}
	return len(p.waiting)-p.knownWaiting >= p.queue
}

// add puts w in the queue.
func (p *hashPool) add(w *poolWaiter) {
	w.client.waiting++
	if w.key.device {
		p.knownWaiting++
	}
	p.waiting = append(p.waiting, w)
}

// remove takes the waiting check at index i out of the queue.
func (p *hashPool) remove(i int) *poolWaiter {
	w := p.waiting[i]
	p.waiting = slices.Delete(p.waiting, i, i+1)
	w.client.waiting--
	if w.key.device {
		p.knownWaiting--
	}
	return w
}

// client returns key's record, created if needed, its demand decayed to now.
func (p *hashPool) client(key poolKey) *poolClient {
	now := p.now()
	c, ok := p.clients[key]
	if !ok {
		if len(p.clients) >= maxRegulated {
			p.prune(now)
		}
		c = &poolClient{at: now}
		p.clients[key] = c
	}
	c.demand, c.at = c.demandAt(now), now
	return c
}

// demandAt is c's demand decayed to now.
func (c *poolClient) demandAt(now time.Time) float64 {
	return c.demand * math.Exp2(-now.Sub(c.at).Seconds()/poolHalfLife.Seconds())
}

// evictFor refuses the waiting check of the class (known devices when device)
// of the highest demand, the latest among equals, when its client's demand is
// above c's, and reports whether it did. A check of the other class is never
// refused.
func (p *hashPool) evictFor(c *poolClient, device bool) bool {
	now := p.now()
	worst := -1
	for i, w := range p.waiting {
		if w.key.device != device {
			continue
		}
		if worst < 0 || w.client.demandAt(now) >= p.waiting[worst].client.demandAt(now) {
			worst = i
		}
	}
	if worst < 0 || p.waiting[worst].client.demandAt(now) <= c.demand {
		return false
	}
	w := p.remove(worst)
	w.busy = true
	close(w.ready)
	return true
}

// abandon takes w out of the queue and reports whether it was still there.
func (p *hashPool) abandon(w *poolWaiter) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := slices.Index(p.waiting, w)
	if i < 0 {
		return false
	}
	p.remove(i)
	p.forget(w.key, w.client)
	return true
}

// releaser returns the function that gives key's slot back, once.
func (p *hashPool) releaser(key poolKey) func() {
	var once sync.Once
	return func() { once.Do(func() { p.release(key) }) }
}

// release gives a slot of client key back and grants the free slots.
func (p *hashPool) release(key poolKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running--
	if c, ok := p.clients[key]; ok {
		c.running--
		p.forget(key, c)
	}
	for p.running < p.slots && len(p.waiting) > 0 {
		p.grant(p.next())
	}
}

// next is the index of the waiting check that gets the next slot.
func (p *hashPool) next() int {
	now, best := p.now(), 0
	for i, w := range p.waiting[1:] {
		if before(w, p.waiting[best], now) {
			best = i + 1
		}
	}
	return best
}

// before reports whether a ranks before b at now: a known device's check
// before an anonymous one, then fewer hashes running for its client, then
// lower demand, then earlier.
func before(a, b *poolWaiter, now time.Time) bool {
	if a.key.device != b.key.device {
		return a.key.device
	}
	if a.client.running != b.client.running {
		return a.client.running < b.client.running
	}
	if da, db := a.client.demandAt(now), b.client.demandAt(now); da != db {
		return da < db
	}
	return a.seq < b.seq
}

// grant gives the waiting check at index i a slot.
func (p *hashPool) grant(i int) {
	w := p.remove(i)
	w.client.running++
	p.running++
	close(w.ready)
}

// forget drops c, key's record, when it holds nothing and its demand has
// faded below one sign-in.
func (p *hashPool) forget(key poolKey, c *poolClient) {
	if c.running == 0 && c.waiting == 0 && c.demand < 1 {
		delete(p.clients, key)
	}
}

// prune drops the idle clients whose demand has faded below one sign-in and,
// while still at the limit, any idle client.
func (p *hashPool) prune(now time.Time) {
	for key, c := range p.clients {
		if c.running == 0 && c.waiting == 0 && c.demandAt(now) < 1 {
			delete(p.clients, key)
		}
	}
	for key, c := range p.clients {
		if len(p.clients) < maxRegulated {
			return
		}
		if c.running == 0 && c.waiting == 0 {
			delete(p.clients, key)
		}
	}
}
