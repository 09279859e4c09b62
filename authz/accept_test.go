package authz

import "testing"

func TestAcceptsHTML(t *testing.T) {
	tests := []struct {
		accept []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"text/html"}, true},
		{[]string{"TEXT/HTML"}, true},
		{[]string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, true},
		{[]string{"text/*"}, true},
		{[]string{"*/*"}, true},
		{[]string{" text/html ; q=0.5 "}, true},
		{[]string{"text/html;level=1"}, true},
		{[]string{"text/html;q=1.000"}, true},
		{[]string{"text/html;q=0.001"}, true},
		{[]string{"text/html;Q=0.5"}, true},
		{[]string{"application/json"}, false},
		{[]string{"application/json, text/plain"}, false},
		{[]string{"text/html;q=0"}, false},
		{[]string{"text/html;q=0.000"}, false},
		{[]string{"text/html;q=0."}, false},
		{[]string{"*/*;q=0"}, false},
		{[]string{"text/html;q=0, */*"}, false},          // the specific range decides
		{[]string{"text/*;q=0, */*;q=1"}, false},         // likewise
		{[]string{"*/*;q=0, text/*"}, true},              // text/* is more specific
		{[]string{"text/html;q=0, text/html;q=1"}, true}, // equal specificity: any positive
		{[]string{"text/html;q=abc"}, false},
		{[]string{"text/html;q=1.5"}, false},
		{[]string{"text/html;q=2"}, false},
		{[]string{"text/html;q=0.0001"}, false},
		{[]string{"text/html;q="}, false},
		{[]string{"text/htmlx", "texts/*"}, false},
		{[]string{"application/json", "text/html"}, true}, // several header lines
		{[]string{"text/html;q=0", "*/*"}, false},
		{[]string{",,,"}, false},
	}
	for _, tt := range tests {
		if got := acceptsHTML(tt.accept); got != tt.want {
			t.Errorf("acceptsHTML(%q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}
