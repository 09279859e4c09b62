package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// wrkFigures returns a figures file as the Lua script writes it, with latency
// lat(p) microseconds at each percentile p of the grid.
func wrkFigures(counts string, lat func(p float64) int) string {
	var b strings.Builder
	b.WriteString(counts)
	for i := 1; i <= 990; i++ {
		fmt.Fprintf(&b, "p %.2f %d\n", float64(i)/10, lat(float64(i)/10))
	}
	for i := 9901; i <= 10000; i++ {
		fmt.Fprintf(&b, "p %.2f %d\n", float64(i)/100, lat(float64(i)/100))
	}
	return b.String()
}

const cleanCounts = "requests 10000\nduration_us 2000000\nconnect 0\nread 0\nwrite 0\nstatus 0\ntimeout 0\nmin_us 100\nmax_us 9000\n"

func TestParseWrkCountsAndQuantiles(t *testing.T) {
	// 1 ms up to p90, 2 ms up to p99, 9 ms above: p50 1 ms, p99 2 ms, p99.5 9 ms.
	lat := func(p float64) int {
		switch {
		case p <= 90:
			return 1000
		case p <= 99:
			return 2000
		}
		return 9000
	}
	res, err := parseWrk(strings.NewReader(wrkFigures(cleanCounts, lat)))
	if err != nil {
		t.Fatalf("parseWrk: %v", err)
	}
	got := map[string]any{
		"requests": res.requests, "answers": res.answers, "window": res.window, "clean": res.clean(),
		"total": res.hist.total, "rate": res.rate(),
	}
	want := map[string]any{
		"requests": uint64(10000), "answers": uint64(10000), "window": 2 * time.Second, "clean": true,
		"total": uint64(10000), "rate": 5000.0,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("figures (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, time.Millisecond}, {0.9, time.Millisecond}, {0.99, 2 * time.Millisecond}, {0.995, 9 * time.Millisecond}} {
		got := res.hist.quantile(c.q)
		if d := got - c.want; d < 0 || float64(d) > float64(c.want)/128 {
			t.Errorf("quantile(%v) = %v, want %v within 1/128", c.q, got, c.want)
		}
	}
}

func TestParseWrkBadStatusesAreUnexpected(t *testing.T) {
	counts := strings.Replace(strings.Replace(cleanCounts, "status 0", "status 40", 1), "timeout 0", "timeout 2", 1)
	res, err := parseWrk(strings.NewReader(wrkFigures(counts, func(float64) int { return 500 })))
	if err != nil {
		t.Fatalf("parseWrk: %v", err)
	}
	if res.requests != 9960 || res.unexpected != 40 || res.errors != 2 || res.clean() || res.problem == "" {
		t.Errorf("requests %d, unexpected %d, errors %d, clean %v, problem %q; want 9960, 40, 2, false and a problem",
			res.requests, res.unexpected, res.errors, res.clean(), res.problem)
	}
}

func TestParseWrkRefusesDamagedFigures(t *testing.T) {
	for name, text := range map[string]string{
		"no requests line":     strings.Replace(cleanCounts, "requests 10000\n", "", 1),
		"more bad than all":    strings.Replace(cleanCounts, "status 0", "status 10001", 1),
		"percentile above 100": cleanCounts + "p 100.5 7\n",
		"not a number":         cleanCounts + "read many\n",
		"stray line":           cleanCounts + "hello\n",
	} {
		if _, err := parseWrk(strings.NewReader(text)); !errors.Is(err, errWrkOutput) {
			t.Errorf("%s: err = %v, want errWrkOutput", name, err)
		}
	}
}

func TestParseCPUList(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int
	}{{"1", []int{1}}, {"0-3", []int{0, 1, 2, 3}}, {"3,0-1,1", []int{0, 1, 3}}} {
		got, err := parseCPUList(c.in)
		if err != nil || !cmp.Equal(got, c.want) {
			t.Errorf("parseCPUList(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "a", "3-1", "-1", "1,"} {
		if _, err := parseCPUList(in); !errors.Is(err, errCPUList) {
			t.Errorf("parseCPUList(%q): err = %v, want errCPUList", in, err)
		}
	}
}

func TestCheckCPUSets(t *testing.T) {
	for _, c := range []struct {
		server, load []int
		ok           bool
	}{
		{[]int{1}, []int{0}, true},
		{[]int{1}, []int{0, 1}, false}, // overlap
		{[]int{2}, []int{0}, false},    // no CPU 2 on a 2-CPU machine
	} {
		if err := checkCPUSets(c.server, c.load, 2); (err == nil) != c.ok {
			t.Errorf("checkCPUSets(%v, %v, 2) = %v, want ok %v", c.server, c.load, err, c.ok)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{7: "7", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
