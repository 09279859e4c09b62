package main

import (
	"os"
	"testing"
	"time"
)

func TestParseCPUTime(t *testing.T) {
	for _, tc := range []struct {
		stat string
		want time.Duration
		ok   bool
	}{
		{"1234 (keygate) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 100 0 0", 3 * time.Second, true},
		{"1234 (a (b) c) R 1 1234 1234 0 -1 0 0 0 0 0 7 3 0 0", 100 * time.Millisecond, true},
		{"1234 (keygate) S 1 2 3", 0, false},
		{"1234 keygate S 1 2 3 4 5 6 7 8 9 10 11 12 13", 0, false},
		{"1234 (keygate) S 1 1234 1234 0 -1 0 0 0 0 0 x 3 0 0", 0, false},
	} {
		got, err := parseCPUTime([]byte(tc.stat))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseCPUTime(%q) = %v, %v; want %v, ok %v", tc.stat, got, err, tc.want, tc.ok)
		}
	}
}

// TestCPUTimeCounts checks the figure moves with work this process does.
func TestCPUTimeCounts(t *testing.T) {
	before, err := cpuTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
	}
	after, err := cpuTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after-before < 100*time.Millisecond {
		t.Errorf("CPU time grew by %v over 300 ms of spinning, want at least 100ms", after-before)
	}
}
