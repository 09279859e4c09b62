package e2e

import (
	"encoding/json"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestFaultSIGTERM sends SIGTERM while 60 sign-ins are in flight or queued: every
// one is answered (signed in, refused by regulation, or 503 for those still
// waiting when the shutdown began) and the daemon exits 0.
func TestFaultSIGTERM(t *testing.T) {
	dir := t.TempDir()
	config, addr := writeDaemonConfig(t, dir, "")
	d := startDaemon(t, dir, config, addr)
	body, _ := json.Marshal(map[string]any{"username": alice.username, "password": alice.password})
	const n = 60
	statuses := make(chan int, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			status, _, err := postLogin(addr, body)
			if err != nil {
				errs <- err
				return
			}
			statuses <- status
		})
	}
	time.Sleep(300 * time.Millisecond)
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	exit := d.wait(t, 40*time.Second)
	wg.Wait()
	close(statuses)
	close(errs)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	dropped := 0
	for err := range errs {
		if dropped < 3 {
			t.Errorf("a sign-in got no answer: %v", err)
		}
		dropped++
	}
	t.Logf("SIGTERM with %d sign-ins in flight: answers by status %v, %d dropped, exit %v", n, counts, dropped, exit)
	for s := range counts {
		// 429: more sign-ins of one user than regulation lets wait (refused
		// as they arrive, before the signal); 503: still waiting when the
		// shutdown began.
		if s != http.StatusOK && s != http.StatusTooManyRequests && s != http.StatusServiceUnavailable {
			t.Errorf("%d sign-ins answered %d, want 200, 429 or 503", counts[s], s)
		}
	}
	if exit != nil {
		t.Errorf("keygate exited with %v after SIGTERM, want 0\n%s", exit, d.log)
	}
}
