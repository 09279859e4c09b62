package testenv

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// probeLua is a Lua action using what deploy/haproxy/keygate.lua relies on: it
// asks the server at its argument with core.httpclient(), passing the request's
// path, and answers with txn:reply the server's status and every value of its
// X-Answer header, read as HAProxy hands them over (lower-case names, values
// indexed from 0).
const probeLua = `core.register_action("probe", { "http-req" }, function(txn, address)
	local answer = core.httpclient():get({
		url = "http://" .. address .. "/",
		headers = { ["X-Asked"] = { txn.f:path() } },
		timeout = 2000,
	})
	local values, list = answer.headers["x-answer"] or {}, {}
	for i = 0, #values do
		list[#list + 1] = values[i]
	end
	txn:done(txn:reply({ status = answer.status, headers = { ["x-got"] = { table.concat(list, "|") } } }))
end, 1)
`

// probeConfig runs probeLua (%[1]s) on every request to %[2]s, asking %[3]s.
const probeConfig = `global
    lua-load %[1]s
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend web
    bind %[2]s
    http-request lua.probe %[3]s
`

func TestHAProxyLuaHTTPClient(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["X-Answer"] = []string{"first", r.Header.Get("X-Asked")}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(server.Close)
	lua := filepath.Join(t.TempDir(), "probe.lua")
	if err := os.WriteFile(lua, []byte(probeLua), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	HAProxy(t, fmt.Sprintf(probeConfig, lua, addr, strings.TrimPrefix(server.URL, "http://")), addr)

	resp, err := http.Get("http://" + addr + "/some/path")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("got status %d, want the server's 401", resp.StatusCode)
	}
	if got, want := resp.Header.Get("X-Got"), "first|/some/path"; got != want {
		t.Errorf("got X-Got %q, want %q (the server's X-Answer values in order)", got, want)
	}
}
