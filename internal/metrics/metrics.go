package metrics

import (
	"log"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric Keygate exports.
const namespace = "keygate"

// Build identifies the running binary in keygate_build_info.
type Build struct {
	// Version is the version stamped at build time, e.g. v0.4.0-3-gabc1234.
	Version string
	// Info is the module's build information; nil leaves revision and Go version empty.
	Info *debug.BuildInfo
}

// Metrics holds every metric family on a registry of its own. It is safe for
// concurrent use.
type Metrics struct {
	registry *prometheus.Registry

	authzAnswers  *prometheus.CounterVec
	authzDuration *prometheus.HistogramVec
	authzCache    sync.Map // authzKey -> *authzSeries
	signIns       *prometheus.CounterVec
	ceremonies    *prometheus.CounterVec
	bans          *prometheus.CounterVec
	codes         *prometheus.CounterVec
	storeErrors   *prometheus.CounterVec
	sessions      *sessionGauge // nil until CountSessions
}

// New registers Keygate's metric families, the Go runtime's and the process's
// on a new registry.
func New(b Build) *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	m.authzAnswers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "authz", Name: "answers_total",
		Help: "Forward-auth answers by endpoint, result and the index of the deciding access rule (default: default_policy; none: answered before the rules).",
	}, []string{"endpoint", "result", "rule"})
	m.authzDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "authz", Name: "duration_seconds",
		Help:    "Time to answer a forward-auth question, by endpoint.",
		Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	}, []string{"endpoint"})
	m.signIns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "sign_ins_total",
		Help: "Sign-in attempts by method (password, passkey, webauthn) and result.",
	}, []string{"method", "result"})
	m.ceremonies = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "ceremonies_total",
		Help: "Credential ceremonies (registration, enrollment, identity verification) by kind and result.",
	}, []string{"ceremony", "result"})
	m.bans = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "bans_total",
		Help: "Regulation bans started, by what was banned (user or address).",
	}, []string{"scope"})
	m.codes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "codes_sent_total",
		Help: "One-time identity codes handed to the notifier, by result.",
	}, []string{"result"})
	m.storeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "store_errors_total",
		Help: "Failed store operations (not a missing key) by store: credentials (bbolt), sessions-bolt, sessions-redis.",
	}, []string{"store"})
	m.registry.MustRegister(m.authzAnswers, m.authzDuration, m.signIns, m.ceremonies, m.bans,
		m.codes, m.storeErrors, newBuildInfo(b),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus exposition formats; errors
// while gathering go to errorLog (nil: nowhere) and to the scraper.
func (m *Metrics) Handler(errorLog *log.Logger) http.Handler {
	opts := promhttp.HandlerOpts{Registry: m.registry, ErrorHandling: promhttp.ContinueOnError}
	if errorLog != nil {
		opts.ErrorLog = errorLog
	}
	return promhttp.HandlerFor(m.registry, opts)
}

// authzKey is one label set of the authz answers counter.
type authzKey struct {
	endpoint, result string
	rule             int
}

// authzSeries are the series one authz label set records into.
type authzSeries struct {
	answers  prometheus.Counter
	duration prometheus.Observer
}

// Answered counts one forward-auth answer and observes its duration. The
// series of each label set are resolved once and kept, so that the hot path
// only does a lock-free map read and a few atomic adds.
func (m *Metrics) Answered(endpoint, result string, rule int, elapsed time.Duration) {
	k := authzKey{endpoint, result, rule}
	v, ok := m.authzCache.Load(k)
	if !ok {
		v, _ = m.authzCache.LoadOrStore(k, &authzSeries{
			answers:  m.authzAnswers.WithLabelValues(endpoint, result, ruleLabel(rule)),
			duration: m.authzDuration.WithLabelValues(endpoint),
		})
	}
	s := v.(*authzSeries)
	s.answers.Inc()
	s.duration.Observe(elapsed.Seconds())
}

// ruleLabel names a rule index: default_policy is -1, no rule -2.
func ruleLabel(rule int) string {
	switch {
	case rule == -1:
		return "default"
	case rule < 0:
		return "none"
	default:
		return strconv.Itoa(rule)
	}
}

// SignIn counts one sign-in attempt.
func (m *Metrics) SignIn(method, result string) { m.signIns.WithLabelValues(method, result).Inc() }

// Ceremony counts one finished credential ceremony.
func (m *Metrics) Ceremony(kind, result string) { m.ceremonies.WithLabelValues(kind, result).Inc() }

// Banned counts one ban started by regulation.
func (m *Metrics) Banned(scope string) { m.bans.WithLabelValues(scope).Inc() }

// CodeSent counts one identity code handed to the notifier.
func (m *Metrics) CodeSent(result string) { m.codes.WithLabelValues(result).Inc() }

// StoreError counts one failed operation of the named store.
func (m *Metrics) StoreError(store string) { m.storeErrors.WithLabelValues(store).Inc() }
