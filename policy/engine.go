package policy

import "slices"

// Engine decides requests against compiled rules. It is immutable after New and
// safe for concurrent use.
type Engine struct {
	rules    []rule
	fallback Policy // default_policy

	// The host index. Each list holds, in rule order, the indices of every rule
	// that can match a host: exact[h] for a host that some rule names exactly;
	// wildcard[s] for a host whose longest matching wildcard suffix is s; anyHost
	// for every other host. Each list includes the rules without domain.
	exact    map[string][]int32
	wildcard map[string][]int32
	anyHost  []int32
}

// New validates cfg (see Config.Validate) and compiles it into an Engine.
func New(cfg Config) (*Engine, error) {
	rules, fallback, err := compile(cfg)
	if err != nil {
		return nil, err
	}
	e := &Engine{
		rules:    rules,
		fallback: fallback,
		exact:    make(map[string][]int32),
		wildcard: make(map[string][]int32),
	}
	e.buildIndex()
	return e, nil
}

// buildIndex fills the host index from the rules.
func (e *Engine) buildIndex() {
	e.anyHost = e.indicesWhere(func(r *rule) bool { return r.anyHost() })
	for i := range e.rules {
		for _, h := range e.rules[i].hosts {
			if _, done := e.exact[h]; !done {
				e.exact[h] = e.indicesWhere(func(r *rule) bool { return r.matchesHost(h) })
			}
		}
		for _, s := range e.rules[i].suffixes {
			if _, done := e.wildcard[s]; !done {
				e.wildcard[s] = e.indicesWhere(func(r *rule) bool { return r.matchesSuffix(s) })
			}
		}
	}
}

// indicesWhere returns, in order, the indices of the rules for which keep is true.
func (e *Engine) indicesWhere(keep func(*rule) bool) []int32 {
	var out []int32
	for i := range e.rules {
		if keep(&e.rules[i]) {
			out = append(out, int32(i))
		}
	}
	return slices.Clip(out)
}

// matchesSuffix reports whether the rule matches every host whose longest
// wildcard suffix in the config is s and that no rule names exactly: those hosts
// match exactly the rules without domain and the wildcards that are suffixes of s.
func (r *rule) matchesSuffix(s string) bool {
	if r.anyHost() {
		return true
	}
	for _, own := range r.suffixes {
		if len(s) >= len(own) && s[len(s)-len(own):] == own {
			return true
		}
	}
	return false
}

// candidates returns the indices of the rules that can match host, in order.
func (e *Engine) candidates(host []byte) []int32 {
	if list, ok := e.exact[string(host)]; ok {
		return list
	}
	for i := 1; i < len(host); i++ {
		if host[i] != '.' {
			continue
		}
		if list, ok := e.wildcard[string(host[i:])]; ok {
			return list
		}
	}
	return e.anyHost
}

// Decide returns what to do with request r made by subject s: the first rule whose
// every condition matches decides, and default_policy when none does. A rule with
// subjects whose other conditions match an anonymous subject decides Authenticate.
// Decide does not allocate.
func (e *Engine) Decide(s Subject, r Request) Decision {
	return e.Evaluate(s, r).Decision
}

// DefaultRule is the rule index a Verdict names when default_policy decided.
const DefaultRule = -1

// Evaluate is Decide with what the deciding rule asks for: its require, for a
// StepUp, whether it accepts tokens, and its index. It does not allocate.
func (e *Engine) Evaluate(s Subject, r Request) Verdict {
	// The host stays out of q: a struct escapes as a whole, and the host's buffer
	// must stay on the stack.
	var buf [maxHostLen]byte
	host := requestHost(&buf, r.Host)
	q := newRequest(r)
	anonymous := s.anonymous()
	for _, i := range e.candidates(host) {
		if v, ok := e.rules[i].decide(&q, s, anonymous); ok {
			v.Rule = int(i)
			return v
		}
	}
	return Verdict{Decision: verdict(e.fallback, 0, s, q.time), Rule: DefaultRule}
}
