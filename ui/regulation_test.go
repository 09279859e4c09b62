package ui

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/keygate/keygate/store"
)

// clock is a settable time for tests.
// It is safe for concurrent use: server goroutines read it while a test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestClock() *clock { return &clock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }

func testRegulator(c *clock) *regulator {
	return newRegulator(store.RegulationConfig{MaxFailures: 3, Window: time.Minute, Ban: 10 * time.Minute}, c.now)
}

func TestRegulatorBansUserAfterMaxFailures(t *testing.T) {
	c := newTestClock()
	r := testRegulator(c)
	for i := 1; i <= 3; i++ {
		if r.banned("alice", fmt.Sprintf("192.0.2.%d", i)) {
			t.Fatalf("banned before failure %d, want not banned", i)
		}
		started := r.fail("alice", fmt.Sprintf("192.0.2.%d", i))
		if want := i == 3; started != want {
			t.Errorf("fail %d started ban = %v, want %v", i, started, want)
		}
	}
	if !r.banned("alice", "198.51.100.1") {
		t.Errorf("alice from a fresh address not banned after 3 failures, want banned")
	}
	if !r.banned("ALICE", "198.51.100.1") {
		t.Errorf("ALICE not banned, want the ban to ignore case")
	}
	if r.banned("bob", "198.51.100.1") {
		t.Errorf("bob banned, want only alice")
	}
	c.advance(10*time.Minute - time.Second)
	if !r.banned("alice", "198.51.100.1") {
		t.Errorf("alice not banned just before the ban ends")
	}
	c.advance(time.Second)
	if r.banned("alice", "198.51.100.1") {
		t.Errorf("alice banned after the ban ended")
	}
}

func TestRegulatorBansAddress(t *testing.T) {
	c := newTestClock()
	r := testRegulator(c)
	for i := range 3 {
		r.fail(fmt.Sprintf("user%d", i), "192.0.2.1")
	}
	if !r.banned("someone", "192.0.2.1") {
		t.Errorf("address not banned after 3 failures for different users, want banned")
	}
	if r.banned("someone", "192.0.2.2") {
		t.Errorf("other address banned, want not banned")
	}
}

func TestRegulatorWindow(t *testing.T) {
	c := newTestClock()
	r := testRegulator(c)
	r.fail("alice", "192.0.2.1")
	r.fail("alice", "192.0.2.1")
	c.advance(time.Minute)
	if r.fail("alice", "192.0.2.1") {
		t.Errorf("third failure after the window started a ban, want the count restarted")
	}
	if r.banned("alice", "192.0.2.1") {
		t.Errorf("banned after failures spread over two windows")
	}
}

func TestRegulatorSuccessResetsUserOnly(t *testing.T) {
	c := newTestClock()
	r := testRegulator(c)
	r.fail("alice", "192.0.2.1")
	r.fail("alice", "192.0.2.1")
	r.succeed("alice")
	if r.fail("alice", "192.0.2.2") {
		t.Errorf("failure after a success started a ban, want alice's count reset")
	}
	if !r.fail("bob", "192.0.2.1") {
		t.Errorf("third failure from 192.0.2.1 did not ban it, want the address count kept across alice's success")
	}
}

func TestRegulatorDisabled(t *testing.T) {
	c := newTestClock()
	r := newRegulator(store.RegulationConfig{MaxFailures: -1, Window: time.Minute, Ban: time.Minute}, c.now)
	for range 100 {
		r.fail("alice", "192.0.2.1")
	}
	if r.banned("alice", "192.0.2.1") {
		t.Errorf("banned with regulation disabled")
	}
	if got := r.size(); got != 0 {
		t.Errorf("size = %d with regulation disabled, want 0", got)
	}
}

func TestRegulatorBoundedMemory(t *testing.T) {
	c := newTestClock()
	r := testRegulator(c)
	r.limit = 10
	for i := range 3 {
		r.fail("victim", fmt.Sprintf("192.0.2.%d", i))
	}
	for i := range 50 {
		r.fail(fmt.Sprintf("spray%d", i), "198.51.100.1")
		if got := r.size(); got > r.limit {
			t.Fatalf("size = %d, want at most %d", got, r.limit)
		}
	}
	if r.banned("victim", "203.0.113.1") {
		t.Errorf("victim still remembered after 50 newer keys, want the least recently used evicted")
	}
}

func TestRegulatorDropsStaleRecords(t *testing.T) {
	c := newTestClock()
	r := testRegulator(c)
	for i := range 5 {
		r.fail(fmt.Sprintf("user%d", i), fmt.Sprintf("192.0.2.%d", i))
	}
	c.advance(time.Hour)
	r.fail("late", "198.51.100.1")
	if got := r.size(); got != 2 {
		t.Errorf("size = %d after the old records went stale, want 2", got)
	}
}
