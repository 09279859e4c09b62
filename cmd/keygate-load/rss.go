package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// rssInterval is how often a running load samples the server's resident memory.
const rssInterval = 100 * time.Millisecond

// errNoRSS reports a /proc/PID/status without a VmRSS line.
var errNoRSS = errors.New("no VmRSS in /proc status")

// readRSS returns the resident set size of process pid in bytes (VmRSS).
func readRSS(pid int) (uint64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("reading rss: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:"))
		if !ok {
			continue
		}
		kb, ok := bytes.CutSuffix(bytes.TrimSpace(rest), []byte(" kB"))
		if !ok {
			break
		}
		n, err := strconv.ParseUint(string(bytes.TrimSpace(kb)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("reading rss: %w", err)
		}
		return n << 10, nil
	}
	return 0, errNoRSS
}

// rssSampler records the largest resident set size of a process while it runs.
type rssSampler struct {
	stop chan struct{}
	done chan uint64
}

// sampleRSS samples pid's RSS every rssInterval until peak is called.
func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan uint64, 1)}
	go func() {
		tick := time.NewTicker(rssInterval)
		defer tick.Stop()
		var peak uint64
		for {
			if v, err := readRSS(pid); err == nil {
				peak = max(peak, v)
			}
			select {
			case <-s.stop:
				s.done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// peak stops the sampling and returns the largest RSS seen, 0 when none could be read.
func (s *rssSampler) peak() uint64 {
	close(s.stop)
	return <-s.done
}
