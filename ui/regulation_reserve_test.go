package ui

import (
	"context"
	"errors"
	"testing"
	"time"
)

// reserveAsync runs reserve in its own goroutine.
func reserveAsync(r *regulator, user, ip string) chan error {
	done := make(chan error, 1)
	go func() {
		_, err := r.reserve(context.Background(), user, ip)
		done <- err
	}()
	return done
}

// stillWaiting reports whether done has no answer yet after a short look.
func stillWaiting(done chan error) bool {
	select {
	case err := <-done:
		done <- err
		return false
	case <-time.After(20 * time.Millisecond):
		return true
	}
}

func TestReserveBoundsGuessesInFlight(t *testing.T) {
	c := newTestClock()
	r := testRegulator(c) // 3 failures within 1m ban for 10m
	var held []*reservation
	for i := range 3 {
		v, err := r.reserve(context.Background(), "alice", "192.0.2.1")
		if err != nil {
			t.Fatalf("reservation %d: %v", i+1, err)
		}
		held = append(held, v)
	}
	fourth := reserveAsync(r, "alice", "198.51.100.1")
	if !stillWaiting(fourth) {
		t.Fatalf("fourth guess for alice with 3 in flight: answered %v, want it to wait", <-fourth)
	}
	for _, v := range held {
		v.fail()
	}
	if err := <-fourth; !errors.Is(err, errRegulated) {
		t.Errorf("fourth guess after 3 failures: got %v, want errRegulated", err)
	}
}

func TestReserveSuccessFreesPlace(t *testing.T) {
	c := newTestClock()
	r := testRegulator(c)
	var held []*reservation
	for range 3 {
		v, err := r.reserve(context.Background(), "alice", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, v)
	}
	next := reserveAsync(r, "alice", "192.0.2.1")
	held[0].succeed()
	if err := <-next; err != nil {
		t.Errorf("guess after one in flight succeeded: got %v, want a reservation", err)
	}
	held[1].cancel()
	held[2].fail()
	if r.banned("alice", "192.0.2.1") {
		t.Errorf("banned after one failure and one cancelled guess, want not banned")
	}
}

func TestReserveWaitBounded(t *testing.T) {
	c := newTestClock()
	r := testRegulator(c)
	for range 3 {
		if _, err := r.reserve(context.Background(), "alice", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	wait, stop := context.WithTimeoutCause(context.Background(), 30*time.Millisecond, errBusy)
	defer stop()
	if _, err := r.reserve(wait, "alice", "192.0.2.2"); !errors.Is(err, errBusy) {
		t.Errorf("guess waiting past its check context: got %v, want errBusy", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.reserve(ctx, "alice", "192.0.2.2"); !errors.Is(err, context.Canceled) {
		t.Errorf("guess of a cancelled request: got %v, want context.Canceled", err)
	}
}

func TestReserveDisabled(t *testing.T) {
	c := newTestClock()
	r := newRegulator(regulationOf(-1, time.Minute, time.Minute), c.now)
	for range 10 {
		v, err := r.reserve(context.Background(), "alice", "192.0.2.1")
		if err != nil {
			t.Fatalf("reserve with regulation disabled: %v", err)
		}
		v.fail()
	}
	if got := r.size(); got != 0 {
		t.Errorf("size = %d with regulation disabled, want 0", got)
	}
}

func TestReserveBoundsWaiters(t *testing.T) {
	c := newTestClock()
	r := testRegulator(c)
	for range 3 {
		if _, err := r.reserve(context.Background(), "alice", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var waiting []chan error
	for range maxKeyWaiters {
		done := make(chan error, 1)
		go func() {
			_, err := r.reserve(ctx, "alice", "192.0.2.2")
			done <- err
		}()
		waiting = append(waiting, done)
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.waitersOf(userKey("alice")) < maxKeyWaiters && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if _, err := r.reserve(context.Background(), "alice", "192.0.2.3"); !errors.Is(err, errBusy) {
		t.Errorf("guess with %d already waiting: got %v, want errBusy at once", maxKeyWaiters, err)
	}
	cancel()
	for _, done := range waiting {
		<-done
	}
	if got := r.waitersOf(userKey("alice")); got != 0 {
		t.Errorf("waiters after every wait ended: %d, want 0", got)
	}
}

// waitersOf returns how many guesses wait for key.
func (r *regulator) waitersOf(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if el, ok := r.byKey[key]; ok {
		return el.Value.(*regulated).waiters
	}
	return 0
}
