// Package metrics is Keygate's Prometheus instrumentation: one registry of its
// own (never the global default), the metric families the daemon exports, and
// the handler that serves them on server.metrics_address.
//
// It is the only package that imports prometheus/client_golang. The components
// do not import it: each declares the small interface it records through
// (authz.Metrics, ui.Metrics) and works without one; *Metrics implements them
// all, and cmd/keygate hands it over when metrics are on.
//
// Invariants:
//   - Every label has a bounded set of values: endpoints, results, methods and
//     rule indices come from the code and the config, never from a request.
//   - Recording never blocks and never allocates on the forward-auth path: the
//     label values of the authz counters are resolved once per (endpoint,
//     result, rule) and kept.
//   - The active-session gauge is counted on scrape, at most once per
//     SessionCountTTL, so a scrape storm cannot load the session store.
//
// Only cmd/keygate imports this package.
package metrics
