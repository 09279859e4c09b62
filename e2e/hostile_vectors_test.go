package e2e

import (
	"fmt"
	"strings"
)

// hostilePaths are the targets each host form is tried with: one per kind of
// rule in keygateConfig.
var hostilePaths = []string{"/secret/x", "/mfa/x", "/admin/x", "/private/x", "/public/x"}

// hostForm is a way to name the host of a request in HTTP/1.1.
type hostForm struct {
	name string
	// build returns the request target and the header lines for path.
	build func(path string) (string, []string)
	plain bool // a browser's way: what the policy allows must pass
}

func originForm(name string, plain bool, headers ...string) hostForm {
	return hostForm{name, func(path string) (string, []string) { return path, headers }, plain}
}

func absoluteForm(name, prefix string, plain bool, headers ...string) hostForm {
	return hostForm{name, func(path string) (string, []string) { return prefix + path, headers }, plain}
}

// hostForms: absolute form against Host, repeated and joined Host, ports,
// trailing dots, case, and malformed values.
var hostForms = []hostForm{
	originForm("Host", true, "Host: app.example.com"),
	originForm("Host upper case", true, "Host: APP.Example.COM"),
	originForm("Host trailing dot", false, "Host: app.example.com."),
	originForm("Host port 443", true, "Host: app.example.com:443"),
	originForm("Host other port", false, "Host: app.example.com:8443"),
	originForm("Host port 0", false, "Host: app.example.com:0"),
	originForm("Host port overflow", false, "Host: app.example.com:99999"),
	originForm("Host empty port", false, "Host: app.example.com:"),
	originForm("Host two ports", false, "Host: app.example.com:443:443"),
	originForm("Host bypass host", false, "Host: public.example.com"),
	originForm("Host portal", false, "Host: auth.example.com"),
	originForm("no Host", false),
	originForm("empty Host", false, "Host: "),
	originForm("repeated Host app first", false, "Host: app.example.com", "Host: public.example.com"),
	originForm("repeated Host app last", false, "Host: public.example.com", "Host: app.example.com"),
	originForm("repeated Host same", false, "Host: app.example.com", "Host: app.example.com"),
	originForm("joined Host app first", false, "Host: app.example.com,public.example.com"),
	originForm("joined Host app last", false, "Host: public.example.com,app.example.com"),
	originForm("joined Host with space", false, "Host: app.example.com, public.example.com"),
	originForm("joined Host same", false, "Host: app.example.com,app.example.com"),
	originForm("Host userinfo", false, "Host: public.example.com@app.example.com"),
	originForm("Host userinfo reversed", false, "Host: app.example.com@public.example.com"),
	originForm("Host with space", false, "Host: app.example.com public.example.com"),
	originForm("Host with tab", false, "Host: app.example.com\tx"),
	originForm("Host with slash", false, "Host: app.example.com/public"),
	originForm("Host with backslash", false, `Host: app.example.com\public`),
	originForm("Host percent", false, "Host: app%2eexample.com"),
	originForm("Host leading space", false, "Host:   app.example.com  "),
	originForm("Host overlong", false, "Host: "+strings.Repeat("a.", 150)+"app.example.com"),
	originForm("X-Forwarded-Host", false, "Host: app.example.com", "X-Forwarded-Host: public.example.com"),
	originForm("X-Original-URL", false, "Host: app.example.com", "X-Original-URL: https://public.example.com/public/x"),
	originForm("X-Forwarded-Uri", false, "Host: app.example.com", "X-Forwarded-Uri: /public/x"),
	absoluteForm("absolute", "https://app.example.com", true, "Host: app.example.com"),
	absoluteForm("absolute against bypass Host", "https://app.example.com", false, "Host: public.example.com"),
	absoluteForm("absolute bypass against Host", "https://public.example.com", false, "Host: app.example.com"),
	absoluteForm("absolute without Host", "https://app.example.com", false),
	absoluteForm("absolute http", "http://app.example.com", false, "Host: app.example.com"),
	absoluteForm("absolute port", "https://app.example.com:443", false, "Host: public.example.com"),
	absoluteForm("absolute upper case", "https://APP.EXAMPLE.COM", false, "Host: public.example.com"),
	absoluteForm("absolute trailing dot", "https://app.example.com.", false, "Host: public.example.com"),
	absoluteForm("absolute userinfo", "https://public.example.com@app.example.com", false, "Host: public.example.com"),
	absoluteForm("absolute joined", "https://app.example.com,public.example.com", false, "Host: app.example.com"),
	absoluteForm("absolute other scheme", "ftp://app.example.com", false, "Host: public.example.com"),
	absoluteForm("authority-relative", "//public.example.com", false, "Host: app.example.com"),
}

// pathForms turn a base path ("/secret") into encoded, dotted and otherwise
// disguised forms of a path under it.
var pathForms = []struct {
	name  string
	build func(base string) string
	plain bool
}{
	{"plain", func(b string) string { return b + "/x" }, true},
	{"bare", func(b string) string { return b }, true},
	{"query", func(b string) string { return b + "?a=1&b=%2F" }, true},
	{"trailing slash", func(b string) string { return b + "/" }, true},
	{"empty query", func(b string) string { return b + "/x?" }, false},
	{"double slash lead", func(b string) string { return "/" + b + "/x" }, false},
	{"double slash inside", func(b string) string { return b + "//x" }, false},
	{"dot", func(b string) string { return "/." + b + "/x" }, false},
	{"dot dot", func(b string) string { return "/public/.." + b + "/x" }, false},
	{"encoded dots", func(b string) string { return "/public/%2e%2e" + b + "/x" }, false},
	{"encoded dots upper", func(b string) string { return "/public/%2E%2E" + b + "/x" }, false},
	{"half encoded dots", func(b string) string { return "/public/.%2e" + b + "/x" }, false},
	{"encoded slash dots", func(b string) string { return "/public%2f..%2f" + b[1:] + "/x" }, false},
	{"dots encoded slash", func(b string) string { return "/public/..%2f" + b[1:] + "/x" }, false},
	{"backslash dots", func(b string) string { return `/public\..\` + b[1:] + `\x` }, false},
	{"dots backslash", func(b string) string { return `/public/..\` + b[1:] + "/x" }, false},
	{"dots encoded backslash", func(b string) string { return "/public/..%5c" + b[1:] + "/x" }, false},
	{"dots params", func(b string) string { return "/public/..;x=1" + b + "/x" }, false},
	{"params dots", func(b string) string { return "/public;x=1/.." + b + "/x" }, false},
	{"encoded slash lead", func(b string) string { return "/%2f" + b[1:] + "/x" }, false},
	{"encoded slash", func(b string) string { return b + "%2fx" }, false},
	{"encoded slash upper", func(b string) string { return b + "%2Fx" }, false},
	{"encoded backslash", func(b string) string { return b + "%5cx" }, false},
	{"backslash", func(b string) string { return b + `\x` }, false},
	{"params", func(b string) string { return b + ";x=1/x" }, false},
	{"empty params", func(b string) string { return b + ";/x" }, false},
	{"jsessionid", func(b string) string { return b + ";jsessionid=1" }, false},
	{"params lead", func(b string) string { return "/;x" + b + "/x" }, false},
	{"encoded letter", func(b string) string { return fmt.Sprintf("/%%%02x%s/x", b[1], b[2:]) }, false},
	{"encoded letter upper", func(b string) string { return fmt.Sprintf("/%%%02X%s/x", b[1], b[2:]) }, false},
	{"encoded all", func(b string) string { return encodeAll(b) + "/x" }, false},
	{"double encoded", func(b string) string { return fmt.Sprintf("/%%25%02x%s/x", b[1], b[2:]) }, false},
	{"encoded nul", func(b string) string { return b + "%00/x" }, false},
	{"encoded tab", func(b string) string { return b + "%09/x" }, false},
	{"fragment", func(b string) string { return b + "#x" }, false},
	{"upper case", func(b string) string { return strings.ToUpper(b) + "/x" }, false},
	{"overlong 8k", func(b string) string { return b + "/" + strings.Repeat("a", 8<<10) }, false},
	{"overlong 70k", func(b string) string { return b + "/" + strings.Repeat("a", 70<<10) }, false},
}

// encodeAll percent-encodes every byte of path but the first "/".
func encodeAll(path string) string {
	var b strings.Builder
	b.WriteString("/")
	for i := 1; i < len(path); i++ {
		fmt.Fprintf(&b, "%%%02X", path[i])
	}
	return b.String()
}

// pathBases are the paths the disguises are tried on: the ones a session must
// not reach, and one it may.
var pathBases = []string{"/secret", "/mfa", "/admin", "/public"}

// hostileMethods are tried on /secret/x and /mfa/x with a plain Host.
var hostileMethods = []string{
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "get", "Get", "FOO", "M-SEARCH",
}

// authorityForms are HTTP/2 ways to name the host: :authority against host,
// joined values, case, ports.
var authorityForms = []struct {
	name   string
	fields []string
	plain  bool
}{
	{":authority", []string{":authority: app.example.com"}, true},
	{":authority port", []string{":authority: app.example.com:443"}, true},
	{":authority upper case", []string{":authority: APP.example.com"}, false},
	{":authority trailing dot", []string{":authority: app.example.com."}, false},
	{"host only", []string{"host: app.example.com"}, false},
	{":authority against host", []string{":authority: app.example.com", "host: public.example.com"}, false},
	{"host against :authority", []string{":authority: public.example.com", "host: app.example.com"}, false},
	{":authority and same host", []string{":authority: app.example.com", "host: app.example.com"}, false},
	{":authority joined app first", []string{":authority: app.example.com,public.example.com"}, false},
	{":authority joined app last", []string{":authority: public.example.com,app.example.com"}, false},
	{"host joined", []string{"host: app.example.com,public.example.com"}, false},
	{":authority and joined host", []string{":authority: app.example.com", "host: app.example.com,public.example.com"}, false},
	{"repeated host", []string{"host: app.example.com", "host: public.example.com"}, false},
	{"repeated :authority", []string{":authority: app.example.com", ":authority: public.example.com"}, false},
	{":authority userinfo", []string{":authority: public.example.com@app.example.com"}, false},
	{"no authority", nil, false},
}

// hostileVectors is every vector for p: host forms by path, disguised paths,
// methods, and HTTP/2 authority forms where p speaks HTTP/2.
func hostileVectors(p proxy) []vector {
	var vs []vector
	for _, h := range hostForms {
		for _, path := range hostilePaths {
			target, headers := h.build(path)
			vs = append(vs, vector{name: "host " + h.name + " " + path, head: http1Head("GET", target, headers...), target: target, plain: h.plain})
		}
	}
	for _, f := range pathForms {
		for _, base := range pathBases {
			target := f.build(base)
			vs = append(vs, vector{name: "path " + f.name + " " + base, head: http1Head("GET", target, "Host: app.example.com"), target: target, plain: f.plain})
		}
	}
	for _, m := range hostileMethods {
		for _, path := range []string{"/secret/x", "/mfa/x", "/private/x"} {
			vs = append(vs, vector{name: "method " + m + " " + path, head: http1Head(m, path, "Host: app.example.com"), target: path, plain: m == "GET" || m == "POST"})
		}
	}
	if !p.http2 {
		return vs
	}
	for _, a := range authorityForms {
		for _, path := range hostilePaths {
			fields := append([]string{":method: GET", ":scheme: https", ":path: " + path}, a.fields...)
			vs = append(vs, vector{name: "h2 " + a.name + " " + path, fields: http2Fields(fields...), target: path, plain: a.plain})
		}
	}
	return vs
}
