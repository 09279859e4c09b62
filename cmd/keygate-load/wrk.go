package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// The load comes from wrk, pinned with taskset to the generator's CPU set, so
// that the generator never takes CPU time from the servers it measures. A Lua
// script, written for each run, sets the request and writes wrk's figures into
// a file when the run is done: the counts, and the latency at a grid of
// percentiles (every 0.1% up to 99%, every 0.01% above), from which a
// histogram is rebuilt so that rounds pool as one run.

// wrkTimeout is wrk's per-request timeout; a slower answer counts as an error.
const wrkTimeout = 10 * time.Second

// errWrkOutput reports a figures file wrk's script did not write as expected.
var errWrkOutput = errors.New("unexpected wrk figures")

// wrkScript is the Lua script of one run. With a cookies file, each thread reads
// every line (a Cookie header value) in init, formats one request per cookie,
// and sends a random one each time; without, wrk sends its one static request.
var wrkScript = template.Must(template.New("run.lua").Parse(`-- written by keygate-load for one run
wrk.method = "GET"
wrk.path = {{printf "%q" .Path}}
wrk.headers = {}
{{range .Headers}}wrk.headers[{{printf "%q" .Name}}] = {{printf "%q" .Value}}
{{end}}local out = {{printf "%q" .Out}}
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
{{if .Cookies}}local reqs, n = {}, 0
function init(args)
  math.randomseed(os.time() * 1000 + id)
  for line in io.lines({{printf "%q" .Cookies}}) do
    local h = {}
    for k, v in pairs(wrk.headers) do h[k] = v end
    h["Cookie"] = line
    n = n + 1
    reqs[n] = wrk.format(nil, nil, h)
  end
end
function request()
  return reqs[math.random(n)]
end
{{end}}function done(summary, latency, requests)
  local f = assert(io.open(out, "w"))
  local e = summary.errors
  f:write(string.format("requests %d\nduration_us %d\nconnect %d\nread %d\nwrite %d\nstatus %d\ntimeout %d\nmin_us %d\nmax_us %d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, latency.min, latency.max))
  for i = 1, 990 do f:write(string.format("p %.2f %d\n", i / 10, latency:percentile(i / 10))) end
  for i = 9901, 10000 do f:write(string.format("p %.2f %d\n", i / 100, latency:percentile(i / 100))) end
  f:close()
end
`))

// header is one request header the script sets.
type header struct{ Name, Value string }

// wrkRun is one invocation of wrk.
type wrkRun struct {
	wrk      string // the wrk binary
	cpus     string // taskset CPU list of the generator; "" runs it unpinned
	threads  int
	conns    int
	duration time.Duration // whole seconds, at least one
	dir      string        // where the script and its figures go
}

// run sends t's request (or, with t.cookies, a random one of its cookies) for
// the run's duration and returns the figures. Statuses other than 2xx and 3xx
// count as unexpected; the caller checks beforehand that t's request gets the
// status it wants (for a 200 scenario, a lost session gets 401, see target).
func (w wrkRun) run(ctx context.Context, t target) (*result, error) {
	u, err := url.Parse(t.url)
	if err != nil {
		return nil, fmt.Errorf("wrk: %w", err)
	}
	f, err := os.CreateTemp(w.dir, "wrk-*.lua")
	if err != nil {
		return nil, fmt.Errorf("wrk: %w", err)
	}
	script, out := f.Name(), strings.TrimSuffix(f.Name(), ".lua")+".out"
	defer os.Remove(script)
	defer os.Remove(out)
	err = wrkScript.Execute(f, map[string]any{"Path": u.RequestURI(), "Headers": scriptHeaders(t), "Out": out, "Cookies": t.cookies})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("wrk script: %w", err)
	}
	args := []string{w.wrk, "-t", strconv.Itoa(w.threads), "-c", strconv.Itoa(max(w.conns, w.threads)),
		"-d", strconv.Itoa(int(max(w.duration/time.Second, 1))) + "s", "--timeout", strconv.Itoa(int(wrkTimeout/time.Second)) + "s",
		"-s", script, t.url}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	if w.cpus != "" {
		cmd = exec.CommandContext(ctx, "taskset", slices.Concat([]string{"-c", w.cpus}, args)...)
	}
	if stdout, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("wrk: %w\n%s", err, stdout)
	}
	data, err := os.Open(out)
	if err != nil {
		return nil, fmt.Errorf("wrk wrote no figures: %w", err)
	}
	defer data.Close()
	return parseWrk(data)
}

// scriptHeaders returns t's headers in a stable order, Host first when t sets one.
func scriptHeaders(t target) []header {
	var hs []header
	if t.host != "" {
		hs = append(hs, header{"Host", t.host})
	}
	names := make([]string, 0, len(t.header))
	for name := range t.header {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		hs = append(hs, header{name, t.header.Get(name)})
	}
	return hs
}

// quantilePoint is the latency wrk reported at one percentile.
type quantilePoint struct {
	pct float64 // 0 < pct <= 100
	us  uint64
}

// parseWrk reads the figures file the script writes and rebuilds a result: the
// answers with a 2xx or 3xx status are the requests, the others unexpected,
// transport errors and timeouts the errors, and the histogram holds every
// answer's latency at the resolution of the percentile grid.
func parseWrk(r io.Reader) (*result, error) {
	counts := map[string]uint64{}
	var points []quantilePoint
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 3 && f[0] == "p":
			pct, err1 := strconv.ParseFloat(f[1], 64)
			us, err2 := strconv.ParseUint(f[2], 10, 64)
			if err1 != nil || err2 != nil || pct <= 0 || pct > 100 {
				return nil, fmt.Errorf("%w: %q", errWrkOutput, sc.Text())
			}
			points = append(points, quantilePoint{pct, us})
		case len(f) == 2:
			n, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: %q", errWrkOutput, sc.Text())
			}
			counts[f[0]] = n
		default:
			return nil, fmt.Errorf("%w: %q", errWrkOutput, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, k := range []string{"requests", "duration_us", "connect", "read", "write", "status", "timeout"} {
		if _, ok := counts[k]; !ok {
			return nil, fmt.Errorf("%w: no %s", errWrkOutput, k)
		}
	}
	res := &result{
		hist:       new(histogram),
		answers:    counts["requests"],
		window:     time.Duration(counts["duration_us"]) * time.Microsecond,
		unexpected: counts["status"],
		errors:     counts["connect"] + counts["read"] + counts["write"] + counts["timeout"],
	}
	if res.unexpected > res.answers {
		return nil, fmt.Errorf("%w: %d bad statuses of %d answers", errWrkOutput, res.unexpected, res.answers)
	}
	res.requests = res.answers - res.unexpected
	if !res.clean() {
		res.problem = fmt.Sprintf("wrk: %d answers with a status other than 2xx/3xx, %d connect, %d read, %d write errors, %d timeouts",
			counts["status"], counts["connect"], counts["read"], counts["write"], counts["timeout"])
	}
	fillHistogram(res.hist, points, res.answers)
	return res, nil
}

// fillHistogram records total latencies shaped by the percentile grid: the
// latency at each point stands for the answers between the previous point and it.
func fillHistogram(h *histogram, points []quantilePoint, total uint64) {
	slices.SortFunc(points, func(a, b quantilePoint) int {
		switch {
		case a.pct < b.pct:
			return -1
		case a.pct > b.pct:
			return 1
		}
		return 0
	})
	var given uint64
	for i, p := range points {
		upto := uint64(float64(total)*p.pct/100 + 0.5)
		if i == len(points)-1 {
			upto = total
		}
		if upto > given {
			h.recordN(time.Duration(p.us)*time.Microsecond, upto-given)
			given = upto
		}
	}
}

// wrkFiles returns the directory for wrk's scripts and figures under dir.
func wrkFiles(dir string) (string, error) {
	d := filepath.Join(dir, "wrk")
	if err := os.MkdirAll(d, 0o700); err != nil {
		return "", fmt.Errorf("creating %s: %w", d, err)
	}
	return d, nil
}
