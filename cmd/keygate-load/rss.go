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
	m, err := readMem(pid)
	return m.rss, err
}

// memory is a process's resident set (VmRSS) and the part of it that is
// anonymous memory (RssAnon: heap, stacks), in bytes; the rest is mostly pages
// of files mapped in, the executable's and, on the embedded store, bbolt's.
type memory struct{ rss, anon uint64 }

// readMem returns the resident memory of process pid.
func readMem(pid int) (memory, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return memory{}, fmt.Errorf("reading rss: %w", err)
	}
	var m memory
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		for _, f := range []struct {
			prefix string
			into   *uint64
		}{{"VmRSS:", &m.rss}, {"RssAnon:", &m.anon}} {
			rest, ok := bytes.CutPrefix(sc.Bytes(), []byte(f.prefix))
			if !ok {
				continue
			}
			kb, ok := bytes.CutSuffix(bytes.TrimSpace(rest), []byte(" kB"))
			if !ok {
				return memory{}, errNoRSS
			}
			n, err := strconv.ParseUint(string(bytes.TrimSpace(kb)), 10, 64)
			if err != nil {
				return memory{}, fmt.Errorf("reading rss: %w", err)
			}
			*f.into = n << 10
		}
	}
	if m.rss == 0 {
		return memory{}, errNoRSS
	}
	return m, nil
}

// rssSampler records the largest resident set size of a process while it runs.
type rssSampler struct {
	stop chan struct{}
	done chan memory
}

// sampleRSS samples pid's RSS every rssInterval until peak is called.
func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan memory, 1)}
	go func() {
		tick := time.NewTicker(rssInterval)
		defer tick.Stop()
		var peak memory
		for {
			if v, err := readMem(pid); err == nil && v.rss > peak.rss {
				peak = v
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
func (s *rssSampler) peak() uint64 { return s.peakMem().rss }

// peakMem stops the sampling and returns the sample with the largest RSS.
func (s *rssSampler) peakMem() memory {
	close(s.stop)
	return <-s.done
}
