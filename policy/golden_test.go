package policy

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// update makes the golden tests rewrite testdata instead of comparing with it.
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenSubjects are the subjects decision tables refer to by name.
var goldenSubjects = []namedSubject{
	{"anonymous", Subject{}},
	{"dave/none", Subject{Username: "dave", Groups: []string{"admins"}}},
	{"carol/1f", signedIn("carol", LevelOneFactor, time.Minute)},
	{"alice/1f", signedIn("alice", LevelOneFactor, time.Minute, "admins", "dev")},
	{"alice/2f", signedIn("alice", LevelTwoFactor, time.Minute, "admins", "dev")},
	{"alice/2f-1h", signedIn("alice", LevelTwoFactor, time.Hour, "admins", "dev")},
	{"bob/2f", signedIn("bob", LevelTwoFactor, time.Minute, "dev")},
}

// namedSubject is a subject a decision table refers to by name.
type namedSubject struct {
	name    string
	subject Subject
}

// goldenCase is one row of a decision table. An empty who means every subject.
type goldenCase struct {
	who, method, url, ip string
}

// goldenScenarios are the decision tables, one golden file each.
var goldenScenarios = []struct {
	name     string
	cfg      Config
	cases    []goldenCase
	subjects []namedSubject // nil: goldenSubjects
}{
	{"domains", domainsConfig(), domainsCases(), nil},
	{"subjects", subjectsConfig(), subjectsCases(), nil},
	{"levels", levelsConfig(), levelsCases(), nil},
	{"requests", requestsConfig(), requestsCases(), nil},
	{"require", requireConfig(), requireCases(), keySubjects()},
}

func TestDecideGolden(t *testing.T) {
	for _, sc := range goldenScenarios {
		t.Run(sc.name, func(t *testing.T) {
			e := mustNew(t, sc.cfg)
			var b strings.Builder
			writeConfig(&b, sc.cfg)
			subjects := sc.subjects
			if subjects == nil {
				subjects = goldenSubjects
			}
			for _, c := range sc.cases {
				for _, s := range subjects {
					if c.who != "" && c.who != s.name {
						continue
					}
					r := newTestRequest(c.method, c.url, c.ip)
					v := e.Evaluate(s.subject, r)
					got := v.Decision
					if linear := decideLinear(e, s.subject, r); got != linear {
						t.Errorf("%s %s %s: got %v, linear scan gives %v", s.name, c.method, c.url, got, linear)
					}
					fmt.Fprintf(&b, "%-12s %-8s %-48s %-18s -> %v%s\n", s.name, c.method, c.url, c.ip, got, verdictNote(v))
				}
			}
			checkGolden(t, "decide_"+sc.name+".golden", b.String())
		})
	}
}

func TestValidateGolden(t *testing.T) {
	err := invalidConfig().Validate()
	if err == nil {
		t.Fatal("got no error, want one per bad value")
	}
	checkGolden(t, "validate.golden", err.Error()+"\n")
}

// writeConfig renders cfg as the header of a decision table.
func writeConfig(b *strings.Builder, cfg Config) {
	fmt.Fprintf(b, "# default_policy: %q\n", cfg.DefaultPolicy)
	for i, r := range cfg.Rules {
		fmt.Fprintf(b, "# rules[%d]:", i)
		for _, f := range []struct {
			key    string
			values []string
		}{{"domain", r.Domain}, {"resources", r.Resources}, {"methods", r.Methods}, {"networks", r.Networks}, {"subject", r.Subject}} {
			if len(f.values) > 0 {
				fmt.Fprintf(b, " %s=%q", f.key, f.values)
			}
		}
		fmt.Fprintf(b, " policy=%s", r.Policy)
		if r.MaxAge > 0 {
			fmt.Fprintf(b, " max_age=%s", r.MaxAge)
		}
		if r.Require != nil {
			fmt.Fprintf(b, " require=%+v", *r.Require)
		}
		if r.Tokens != "" {
			fmt.Fprintf(b, " tokens=%s", r.Tokens)
		}
		b.WriteString("\n")
	}
	b.WriteString("#\n")
}

// checkGolden compares got with testdata/name, or rewrites the file under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}
