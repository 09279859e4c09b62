package ui

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// holdSlot takes p's only slot and returns its holder.
func holdSlot(t *testing.T, p *hashPool) *poolCall {
	t.Helper()
	holder := startAcquire(p, "holder")
	if err := <-holder.done; err != nil {
		t.Fatalf("holder: %v", err)
	}
	return holder
}

// setDemand gives key's client demand as of now.
func setDemand(p *hashPool, key poolKey, demand float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.client(key).demand = demand
}

// queueCalls starts an acquire of each key in turn, each queued before the next.
func queueCalls(t *testing.T, p *hashPool, keys ...poolKey) []*poolCall {
	t.Helper()
	var calls []*poolCall
	for _, k := range keys {
		p.mu.Lock()
		before := len(p.waiting)
		p.mu.Unlock()
		calls = append(calls, startAcquireCtx(t.Context(), p, k))
		waitQueued(t, p, before+1)
	}
	return calls
}

func TestHashPoolKnownDeviceFirst(t *testing.T) {
	tests := []struct {
		name         string
		anonymous    []string // waiting before the device, in order
		anonDemand   float64  // of each anonymous client
		deviceDemand float64  // of the device
	}{
		{"after one quiet address", []string{"192.0.2.7"}, 0, 0},
		{"after many addresses of a botnet", []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"}, 0, 0},
		{"a busy device after quiet addresses", []string{"192.0.2.7", "192.0.2.8"}, 0, 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newHashPool(1, newTestClock().now)
			holder := holdSlot(t, p)
			var keys []poolKey
			for _, a := range tt.anonymous {
				setDemand(p, anonymousKey(a), tt.anonDemand)
				keys = append(keys, anonymousKey(a))
			}
			setDemand(p, deviceKey("laptop"), tt.deviceDemand)
			calls := queueCalls(t, p, append(keys, deviceKey("laptop"))...)
			holder.rel()
			got, err := granted(t, calls...)
			if err != nil || got.key != deviceKey("laptop") {
				t.Errorf("slot went to %s (err %v), want the known device before %d anonymous checks that came first", got.key, err, len(tt.anonymous))
			}
		})
	}
}

func TestHashPoolFairAmongDevices(t *testing.T) {
	tests := []struct {
		name    string
		queued  []string // device IDs, in order of arrival
		running string   // a device that holds a second slot; "" none
		want    string
	}{
		{"a quiet device before one that floods", []string{"flood", "flood", "flood", "flood", "quiet"}, "", "quiet"},
		{"a device without a hash running first", []string{"busy", "idle"}, "busy", "idle"},
		{"the first of equals", []string{"a", "b"}, "", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClock()
			p := newHashPool(2, c.now)
			holder := holdSlot(t, p)
			other := anonymousKey("other holder")
			if tt.running != "" {
				other = deviceKey(tt.running)
			}
			second := startAcquireCtx(t.Context(), p, other)
			if err := <-second.done; err != nil {
				t.Fatal(err)
			}
			var keys []poolKey
			for _, id := range tt.queued {
				keys = append(keys, deviceKey(id))
			}
			calls := queueCalls(t, p, keys...)
			c.advance(time.Second) // demands differ by what each sent
			holder.rel()
			got, err := granted(t, calls...)
			if err != nil || got.key != deviceKey(tt.want) {
				t.Errorf("slot went to %s (err %v), want device %s", got.key, err, tt.want)
			}
		})
	}
}

func TestHashPoolRoomOfKnownDevices(t *testing.T) {
	type waiter struct {
		key    poolKey
		demand float64
	}
	tests := []struct {
		name        string
		waiting     []waiter
		newcomer    waiter
		wantEvicted poolKey // zero: none evicted
		wantRefused bool    // the newcomer answered errBusy
	}{
		{
			name: "anonymous newcomer never evicts a known device of higher demand",
			waiting: []waiter{
				{deviceKey("laptop"), 100}, {anonymousKey("10.0.0.1"), 50}, {anonymousKey("10.0.0.2"), 40},
			},
			newcomer:    waiter{anonymousKey("192.0.2.7"), 0},
			wantEvicted: anonymousKey("10.0.0.1"),
		},
		{
			name: "anonymous newcomer of higher demand than every anonymous waiter is refused",
			waiting: []waiter{
				{deviceKey("laptop"), 100}, {anonymousKey("10.0.0.1"), 5}, {anonymousKey("10.0.0.2"), 5},
			},
			newcomer:    waiter{anonymousKey("10.0.0.3"), 50},
			wantRefused: true,
		},
		{
			name: "known newcomer waits in its own room while the anonymous room is full",
			waiting: []waiter{
				{anonymousKey("10.0.0.1"), 0}, {anonymousKey("10.0.0.2"), 0},
			},
			newcomer: waiter{deviceKey("laptop"), 50},
		},
		{
			name: "known newcomer with its room full evicts the known device of the highest demand",
			waiting: []waiter{
				{deviceKey("a"), 30}, {deviceKey("b"), 60}, {anonymousKey("10.0.0.1"), 0}, {anonymousKey("10.0.0.2"), 0},
			},
			newcomer:    waiter{deviceKey("c"), 0},
			wantEvicted: deviceKey("b"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newHashPool(1, newTestClock().now)
			p.queue, p.knownQueue = 2, 2
			holder := holdSlot(t, p)
			defer holder.rel()
			var keys []poolKey
			for _, w := range tt.waiting {
				setDemand(p, w.key, w.demand)
				keys = append(keys, w.key)
			}
			calls := queueCalls(t, p, keys...)
			setDemand(p, tt.newcomer.key, tt.newcomer.demand)
			newcomer := startAcquireCtx(t.Context(), p, tt.newcomer.key)
			if tt.wantRefused {
				select {
				case err := <-newcomer.done:
					if !errors.Is(err, errBusy) {
						t.Errorf("newcomer %s answered %v, want errBusy", tt.newcomer.key, err)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("newcomer %s still waits, want it refused", tt.newcomer.key)
				}
			} else {
				waitWaiting(t, p, tt.newcomer.key)
			}
			p.mu.Lock()
			var evicted []poolKey
			for _, k := range keys {
				if !waitingFor(p.waiting, k) {
					evicted = append(evicted, k)
				}
			}
			queued := waitingFor(p.waiting, tt.newcomer.key)
			p.mu.Unlock()
			if want := nonZero(tt.wantEvicted); !slices.Equal(evicted, want) {
				t.Errorf("evicted %v, want %v", evicted, want)
			}
			if queued == tt.wantRefused {
				t.Errorf("newcomer %s waiting: %v, want %v", tt.newcomer.key, queued, !tt.wantRefused)
			}
			for _, c := range calls {
				if slices.Contains(evicted, c.key) {
					if _, err := granted(t, c); !errors.Is(err, errBusy) {
						t.Errorf("evicted %s answered %v, want errBusy", c.key, err)
					}
				}
			}
		})
	}
}

// waitWaiting waits until a check of key waits in p.
func waitWaiting(t *testing.T, p *hashPool, key poolKey) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		p.mu.Lock()
		ok := waitingFor(p.waiting, key)
		p.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no check of %s waits", key)
		}
	}
}

// nonZero is k alone, or nothing when k is the zero key.
func nonZero(k poolKey) []poolKey {
	if k == (poolKey{}) {
		return nil
	}
	return []poolKey{k}
}

// waitingFor reports whether a check of key waits in ws.
func waitingFor(ws []*poolWaiter, key poolKey) bool {
	return slices.ContainsFunc(ws, func(w *poolWaiter) bool { return w.key == key })
}
