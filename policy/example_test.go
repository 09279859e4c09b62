package policy_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/keygate/keygate/policy"
)

func ExampleEngine_Decide() {
	engine, err := policy.New(policy.Config{
		DefaultPolicy: "deny",
		Rules: []policy.Rule{
			{Domain: []string{"public.example.com"}, Policy: "bypass"},
			{
				Domain:    []string{"*.example.com"},
				Resources: []string{"^/admin(/|$)"},
				Subject:   []string{"group:admins"},
				Policy:    "two_factor",
				MaxAge:    15 * time.Minute,
			},
			{Domain: []string{"*.example.com"}, Policy: "one_factor"},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	now := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	anonymous := policy.Subject{}
	alice := policy.Subject{
		Username: "alice",
		Groups:   []string{"admins"},
		Level:    policy.LevelTwoFactor,
		AuthTime: now.Add(-time.Hour),
	}
	request := func(host, path string) policy.Request {
		return policy.Request{Host: host, Path: path, Method: "GET", IP: netip.MustParseAddr("192.0.2.1"), Time: now}
	}

	fmt.Println(engine.Decide(anonymous, request("public.example.com", "/")))
	fmt.Println(engine.Decide(anonymous, request("app.example.com", "/")))
	fmt.Println(engine.Decide(alice, request("app.example.com", "/")))
	fmt.Println(engine.Decide(alice, request("app.example.com", "/admin"))) // factor used an hour ago
	alice.AuthTime = now.Add(-time.Minute)
	fmt.Println(engine.Decide(alice, request("app.example.com", "/admin")))
	fmt.Println(engine.Decide(alice, request("example.org", "/")))
	// Output:
	// allow
	// authenticate
	// allow
	// authenticate
	// allow
	// deny
}

func ExampleConfig_Validate() {
	cfg := policy.Config{
		DefaultPolicy: "allow",
		Rules: []policy.Rule{
			{Domain: []string{"app.*.example.com"}, Networks: []string{"10.0.0.0/33"}, Policy: "bypass"},
		},
	}
	fmt.Println(cfg.Validate())
	// Output:
	// access_control.default_policy: "allow" is not a policy; want bypass, one_factor, two_factor or deny
	// access_control.rules[0].domain[0]: "app.*.example.com" has a wildcard that is not the whole first label; want a host such as app.example.com or a wildcard such as *.example.com
	// access_control.rules[0].networks[0]: "10.0.0.0/33" is not a CIDR prefix or address; want a CIDR prefix or address such as 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32
}
