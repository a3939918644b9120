// Package metrics exposes Jarvis's Prometheus metrics on a registry of its
// own: HTTP requests, Google calls, token refreshes, the Gmail quota, LLM
// calls, and — read when Prometheus scrapes — sync lag, push age, the job
// queue, the database pool and open event streams.
//
// No label ever holds a user, account, email, token or thread: routes are
// ServeMux patterns, Google calls are API method names, and everything else
// is a small fixed set. Per-account figures are aggregated across accounts.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every Jarvis metric.
const namespace = "jarvis"

// latencyBuckets suit requests served from memory or the index (well under
// a millisecond) up to slow upstream calls, in seconds.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Metrics holds Jarvis's collectors. Its methods are the hooks the other
// packages call; each is safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	httpDuration *prometheus.HistogramVec
	httpMu       sync.RWMutex
	httpSeries   map[httpKey]prometheus.Observer

	googleDuration *prometheus.HistogramVec
	tokenRefreshes *prometheus.CounterVec

	quotaWaits   *prometheus.HistogramVec
	quotaRefused *prometheus.CounterVec
	quotaPauses  prometheus.Counter
	llmDuration  *prometheus.HistogramVec
	llmTokens    *prometheus.CounterVec
}

type httpKey struct {
	method, route string
	status        int
}

// New returns the metrics, registered on a new registry with the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), httpSeries: map[httpKey]prometheus.Observer{}}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "http_request_duration_seconds",
		Help:    "Time to answer an HTTP API request, by route (the ServeMux pattern, never the raw path), method and status.",
		Buckets: latencyBuckets,
	}, []string{"route", "method", "status"})
	m.googleDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "google_request_duration_seconds",
		Help:    "Time of each HTTP call to Google (every attempt, retries included), by API method (e.g. gmail.users.threads.list) and outcome: ok, 4xx, 429, 5xx or error (no answer).",
		Buckets: latencyBuckets,
	}, []string{"method", "outcome"})
	m.tokenRefreshes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "google_token_refreshes_total",
		Help: "Google access-token refreshes this process made, by outcome: ok, reauth_required (the grant is gone) or error.",
	}, []string{"outcome"})
	m.quotaWaits = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "gmail_quota_wait_seconds",
		Help:    "Time a Gmail call waited for its account's quota budget before it was sent, by priority (interactive or background); calls that did not wait are not counted.",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60},
	}, []string{"priority"})
	m.quotaRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "gmail_quota_refused_total",
		Help: "Gmail calls refused with rate_limited because their account's quota budget would not allow them in time, by priority.",
	}, []string{"priority"})
	m.quotaPauses = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "gmail_rate_limited_total",
		Help: "Answers in which Google said an account's rate limit was hit (429, or 403 rateLimitExceeded), each pausing that account's Gmail calls on every replica.",
	})
	m.llmDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "llm_request_duration_seconds",
		Help:    "Time of each call to the chat model, from request to the end of its stream, by provider, model and outcome: ok, or the failure kind (unavailable, rate_limited, bad_request, auth, error).",
		Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 20, 30, 60, 120},
	}, []string{"provider", "model", "outcome"})
	m.llmTokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "llm_tokens_total",
		Help: "Tokens the chat model reported, by provider, model and direction (input or output).",
	}, []string{"provider", "model", "direction"})
	m.reg.MustRegister(m.httpDuration, m.googleDuration, m.tokenRefreshes, m.quotaWaits, m.quotaRefused, m.quotaPauses, m.llmDuration, m.llmTokens)
	// Series of a fixed set are there from the start, at zero, so that
	// rates and alerts see them before the first event.
	for _, o := range []string{"ok", "reauth_required", "error"} {
		m.tokenRefreshes.WithLabelValues(o)
	}
	for _, p := range []string{"interactive", "background"} {
		m.quotaWaits.WithLabelValues(p)
		m.quotaRefused.WithLabelValues(p)
	}
	return m
}

// Registry is where the metrics are registered.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus's exposition formats.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	return mux
}

// httpMethods are the methods counted by name; any other is "other", so
// that a client cannot invent label values.
var httpMethods = map[string]string{
	http.MethodGet: http.MethodGet, http.MethodHead: http.MethodHead, http.MethodPost: http.MethodPost, http.MethodPut: http.MethodPut,
	http.MethodPatch: http.MethodPatch, http.MethodDelete: http.MethodDelete, http.MethodOptions: http.MethodOptions,
}

// Request records an HTTP request: its method, the ServeMux pattern that
// served it ("" when none did) and its status. After a series' first
// request it allocates nothing.
func (m *Metrics) Request(method, pattern string, status int, elapsed time.Duration) {
	meth, ok := httpMethods[method]
	if !ok {
		meth = "other"
	}
	if pattern == "" {
		pattern = "unmatched"
	}
	k := httpKey{meth, pattern, status}
	m.httpMu.RLock()
	o, ok := m.httpSeries[k]
	m.httpMu.RUnlock()
	if !ok {
		o = m.httpDuration.WithLabelValues(pattern, meth, strconv.Itoa(status))
		m.httpMu.Lock()
		m.httpSeries[k] = o
		m.httpMu.Unlock()
	}
	o.Observe(elapsed.Seconds())
}

// GoogleCall records one HTTP call to Google.
func (m *Metrics) GoogleCall(method, outcome string, elapsed time.Duration) {
	m.googleDuration.WithLabelValues(method, outcome).Observe(elapsed.Seconds())
}

// TokenRefresh records a refresh of a Google access token.
func (m *Metrics) TokenRefresh(outcome string) { m.tokenRefreshes.WithLabelValues(outcome).Inc() }

// QuotaWait records a Gmail call's wait for its account's budget.
func (m *Metrics) QuotaWait(priority string, d time.Duration) {
	m.quotaWaits.WithLabelValues(priority).Observe(d.Seconds())
}

// QuotaRefused records a Gmail call the budget refused.
func (m *Metrics) QuotaRefused(priority string) { m.quotaRefused.WithLabelValues(priority).Inc() }

// GoogleRateLimited records Google's answer that an account hit its rate limit.
func (m *Metrics) GoogleRateLimited() { m.quotaPauses.Inc() }

// LLMCall records one call to the chat model and the tokens it used.
func (m *Metrics) LLMCall(provider, model, outcome string, elapsed time.Duration, inputTokens, outputTokens int) {
	m.llmDuration.WithLabelValues(provider, model, outcome).Observe(elapsed.Seconds())
	if inputTokens > 0 {
		m.llmTokens.WithLabelValues(provider, model, "input").Add(float64(inputTokens))
	}
	if outputTokens > 0 {
		m.llmTokens.WithLabelValues(provider, model, "output").Add(float64(outputTokens))
	}
}

// WatchStreams reports open server-sent event streams as counted by n, read
// at each scrape.
func (m *Metrics) WatchStreams(n func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Name: "event_streams_open",
		Help: "Server-sent event streams (GET /events) open on this process.",
	}, func() float64 { return float64(n()) }))
}
