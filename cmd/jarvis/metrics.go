package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jarvis-hq/jarvis/internal/google"
	"github.com/jarvis-hq/jarvis/internal/jobs"
	"github.com/jarvis-hq/jarvis/internal/llm"
	"github.com/jarvis-hq/jarvis/internal/metrics"
	"github.com/jarvis-hq/jarvis/internal/quota"
)

// Without JARVIS_METRICS_ADDR, Main.Metrics stays nil and no hook is set:
// nothing is measured. The helpers below return untyped nils then, so that
// no package holds an interface around a nil *metrics.Metrics.

func (m *Main) googleObserver() google.Observer {
	if m.Metrics == nil {
		return nil
	}
	return m.Metrics
}

func (m *Main) quotaObserver() quota.Observer {
	if m.Metrics == nil {
		return nil
	}
	return m.Metrics
}

// observedModel reports the model's calls, when there are metrics, and
// traces them, when there are traces.
func (m *Main) observedModel(p llm.Provider) llm.Provider {
	if tp := m.tracer(); tp != nil {
		p = llm.Traced(p, tp)
	}
	if m.Metrics == nil {
		return p
	}
	return llm.Observed(p, m.Metrics)
}

// observeRequests adds the request histogram to the API's observer, if any.
func (m *Main) observeRequests(prev func(method, pattern string, status int, elapsed time.Duration)) func(string, string, int, time.Duration) {
	if m.Metrics == nil {
		return prev
	}
	if prev == nil {
		return m.Metrics.Request
	}
	return func(method, pattern string, status int, elapsed time.Duration) {
		m.Metrics.Request(method, pattern, status, elapsed)
		prev(method, pattern, status, elapsed)
	}
}

// serveMetrics serves /metrics on JARVIS_METRICS_ADDR, apart from the API,
// after registering what is read at each scrape: the database pool, sync
// lag and push age, the job queue and the open event streams.
func (m *Main) serveMetrics() error {
	if m.Metrics == nil {
		return nil
	}
	log := m.Logger.With("component", "metrics")
	m.Metrics.WatchDB(m.DB.SQL(), []string{jobs.SyncArgs{}.Kind(), jobs.CalendarSyncArgs{}.Kind(), jobs.PollArgs{}.Kind(), jobs.WatchArgs{}.Kind(), jobs.ActionSweepArgs{}.Kind()}, log)
	if m.events != nil {
		m.Metrics.WatchStreams(m.events.Streams)
	}
	ln, err := net.Listen("tcp", m.Config.MetricsAddr)
	if err != nil {
		return listenError("metrics", m.Config.MetricsAddr, err)
	}
	m.metricsListener = ln
	srv := &http.Server{Handler: m.Metrics.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
	m.closers = append(m.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	})
	log.Info("metrics are served", "url", m.MetricsURL())
	return nil
}

// MetricsURL is the URL of /metrics, "" without JARVIS_METRICS_ADDR.
func (m *Main) MetricsURL() string {
	if m.metricsListener == nil {
		return ""
	}
	return "http://" + m.metricsListener.Addr().String() + "/metrics"
}

// newMetrics makes the metrics when JARVIS_METRICS_ADDR asks for them.
func (m *Main) newMetrics() {
	if m.Config.MetricsAddr != "" && m.Metrics == nil {
		m.Metrics = metrics.New()
	}
}
