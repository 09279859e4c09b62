package authz

import "time"

// Metrics counts the handler's answers. The daemon passes one built on its
// metrics registry with UseMetrics; without one nothing is counted and the
// hot path does not read the clock for it. Answered is called once per
// question, from many goroutines at once, and must not block.
type Metrics interface {
	// Answered records one answer: the endpoint ("forward-auth" or
	// "auth-request"), the result (one of the Result constants), the index of
	// the access rule that decided (policy.DefaultRule for default_policy,
	// NoRule when no rule was consulted) and how long answering took.
	Answered(endpoint, result string, rule int, elapsed time.Duration)
}

// The results Metrics sees: the three decisions, and the three answers given
// before any rule is consulted.
const (
	ResultAllow        = "allow"
	ResultAuthenticate = "authenticate"
	ResultStepUp       = "step_up"
	ResultDeny         = "deny"
	ResultUntrusted    = "untrusted_peer"
	ResultBadRequest   = "bad_request"
	ResultError        = "error"
)

// NoRule is the rule Metrics sees when the answer came before the access rules.
const NoRule = -2

// UseMetrics makes h count its answers in m. Call it before Register.
func (h *Handler) UseMetrics(m Metrics) { h.metrics = m }

// String names the endpoint as its path does.
func (ep endpoint) String() string {
	if ep == forwardAuth {
		return "forward-auth"
	}
	return "auth-request"
}
