package policy

import "testing"

func TestDecideRuleNamesTheDecidingRule(t *testing.T) {
	e := mustNew(t, Config{DefaultPolicy: "deny", Rules: []Rule{
		{Domain: []string{"public.example.com"}, Policy: "bypass"},
		{Domain: []string{"*.example.com"}, Methods: []string{"POST"}, Policy: "deny"},
		{Domain: []string{"*.example.com"}, Policy: "bypass"},
	}})
	tests := []struct {
		method, url string
		want        int
	}{
		{"GET", "public.example.com/", 0},
		{"POST", "app.example.com/", 1},
		{"GET", "app.example.com/", 2},
		{"GET", "other.test/", DefaultRule},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.url, func(t *testing.T) {
			r := newTestRequest(tt.method, tt.url, "192.0.2.1")
			v := e.Evaluate(Subject{}, r)
			d, got := v.Decision, v.Rule
			if got != tt.want {
				t.Errorf("got rule %d, want %d", got, tt.want)
			}
			if want := e.Decide(Subject{}, r); d != want {
				t.Errorf("got decision %v, want %v as Decide", d, want)
			}
		})
	}
}
