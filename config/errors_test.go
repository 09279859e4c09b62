package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden checks what keygate check-config prints for the configurations
// in testdata: FILE.yml gives the lines of FILE.golden.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/*.yml: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			_, err := Load(file, nil)
			got := FormatErrors(err) + "\n"
			golden := strings.TrimSuffix(file, ".yml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("errors for %s differ from %s (-want +got):\n%s", file, golden, diff)
			}
		})
	}
}

// TestThreeMistakes is the acceptance check behind testdata/invalid.golden: a
// misspelt key, a bad duration and an invalid CIDR are all reported, each with
// its key path, whatever else the components find. The CIDR check is authz's,
// so only the start of its message is config's.
func TestThreeMistakes(t *testing.T) {
	_, err := Load("testdata/invalid.yml", nil)
	lines := strings.Split(FormatErrors(err), "\n")
	for _, want := range []string{
		"session.remeber_me: unknown key (allowed: cookies, default_redirect_url, domain, expiration, inactivity, name, portal_url, redis, remember_me, same_site) (at testdata/invalid.yml:9)",
		`session.expiration: "12x" is not a duration (use e.g. 90m, 12h) (at testdata/invalid.yml:8)`,
		`server.trusted_proxies[1]: "10.0.0.0/33" is not a CIDR prefix… (at testdata/invalid.yml:4)`,
	} {
		if !containsLine(lines, want) {
			t.Errorf("errors lack %q; got:\n%s", want, FormatErrors(err))
		}
	}
	var e *Error
	if !errors.Is(err, ErrInvalid) || !errors.As(err, &e) {
		t.Errorf("Load error %v: want one matching ErrInvalid and holding an *Error", err)
	}
}

func TestFormatErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"plain", errors.New("boom"), "boom"},
		{"sorted, indexes by value, duplicates once", errors.Join(
			&Error{Key: "b", Msg: "x"},
			&Error{Key: "a.rules[10].policy", Msg: "x"},
			errors.Join(&Error{Key: "a.rules[2].policy", Msg: "y"}, &Error{Key: "a.rules[2].policy", Msg: "x"}),
			&Error{Key: "b", Msg: "x"},
			&Error{Key: "a.rules", Msg: "z"},
		), "a.rules: z\na.rules[2].policy: x\na.rules[2].policy: y\na.rules[10].policy: x\nb: x"},
		{"multi-line parts split", fmt.Errorf("wrapped: %w", errors.Join(errors.New("z"), errors.New("a"))),
			"a\nwrapped: z"},
		{"locations", problems{
			&Error{Key: "k", Msg: "m", At: "f.yml:3"},
			&Error{Key: "k", Msg: "n", Env: "KEYGATE_K", At: "f.yml:3"},
			&Error{Msg: "syntax", At: "f.yml:9"},
		}, "f.yml:9: syntax\nk: m (at f.yml:3)\nk: n (from KEYGATE_K)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatErrors(tt.err); got != tt.want {
				t.Errorf("FormatErrors:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestCompareNatural(t *testing.T) {
	tests := []struct {
		a, b string
		want int // sign
	}{
		{"a[2]", "a[10]", -1},
		{"a[10]", "a[2]", 1},
		{"a[02]", "a[2]", 0},
		{"a.b", "a.c", -1},
		{"a", "a.b", -1},
		{"x9", "x9", 0},
	}
	for _, tt := range tests {
		if got := sign(compareNatural(tt.a, tt.b)); got != tt.want {
			t.Errorf("compareNatural(%q, %q) sign = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func TestSectionErrors(t *testing.T) {
	err := errors.Join(
		errors.New(`session.expiration: must be positive`),
		errors.New("no domain configured"),
		fmt.Errorf("wrapped: %w", errors.New("x")),
		errors.New("sessions.x: near miss: not this section"),
		&Error{Key: "session.name", Msg: "kept"},
	)
	var got []string
	for _, e := range sectionErrors("session", err) {
		got = append(got, e.Key+" | "+e.Msg)
	}
	want := []string{
		"session.expiration | must be positive",
		"session | no domain configured",
		"session | wrapped: x",
		"session | sessions.x: near miss: not this section",
		"session.name | kept",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sectionErrors mismatch (-want +got):\n%s", diff)
	}
}
