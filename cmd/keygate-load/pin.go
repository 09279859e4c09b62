package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// Every server (the baseline, each Keygate, nginx, redis-server) runs pinned to
// the servers' CPU set with taskset, and the generators (wrk, and this tool's own
// sign-in clients) to the generator's, so that the load never takes CPU time from
// what it measures. A Go server sizes GOMAXPROCS from its CPU affinity, so a
// Keygate pinned to one CPU runs with GOMAXPROCS 1, as it would in a container
// of one CPU.

// errCPUList reports a -server-cpus or -load-cpus that is no CPU list.
var errCPUList = errors.New("not a CPU list")

// parseCPUList returns the CPUs of a taskset list such as "1", "0-3" or "0,2-3".
func parseCPUList(list string) ([]int, error) {
	var cpus []int
	for part := range strings.SplitSeq(list, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("%w: %q", errCPUList, list)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("%w: %q", errCPUList, list)
			}
		}
		for c := a; c <= b; c++ {
			if !slices.Contains(cpus, c) {
				cpus = append(cpus, c)
			}
		}
	}
	slices.Sort(cpus)
	return cpus, nil
}

// checkCPUSets refuses CPU sets that overlap, or that name a CPU this machine
// does not have.
func checkCPUSets(server, load []int, online int) error {
	for _, c := range slices.Concat(server, load) {
		if c >= online {
			return fmt.Errorf("%w: CPU %d, but this machine has CPUs 0-%d", errCPUList, c, online-1)
		}
	}
	for _, c := range server {
		if slices.Contains(load, c) {
			return fmt.Errorf("%w: CPU %d is in both -server-cpus and -load-cpus", errCPUList, c)
		}
	}
	return nil
}

// pinned returns cmd run through taskset on cpus; the process keeps the PID
// taskset started with, since taskset execs it. With cpus "" it returns cmd.
func pinned(cpus string, cmd *exec.Cmd) *exec.Cmd {
	if cpus == "" {
		return cmd
	}
	p := exec.Command("taskset", slices.Concat([]string{"-c", cpus, cmd.Path}, cmd.Args[1:])...)
	p.Dir, p.Env = cmd.Dir, cmd.Env
	return p
}

// pinSelf moves every thread of this process to cpus; threads started later
// inherit it.
func pinSelf(ctx context.Context, cpus string) error {
	out, err := exec.CommandContext(ctx, "taskset", "-a", "-p", "-c", cpus, strconv.Itoa(os.Getpid())).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset -a -p -c %s: %w: %s", cpus, err, out)
	}
	return nil
}
