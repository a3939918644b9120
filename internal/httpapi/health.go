package httpapi

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// health answers liveness (GET /livez, and /health): the process serves
// requests. It checks no dependency, so that an orchestrator never restarts
// a replica for a database that is down everywhere.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Drain turns readiness off for good: from now on GET /readyz (and /ready)
// answers 503 with field "shutdown", so that load balancers stop sending
// this replica new requests while it finishes those it has. Every other
// route still answers.
func (s *Server) Drain() { s.draining.Store(true) }

// Draining reports whether Drain was called.
func (s *Server) Draining() bool { return s.draining.Load() }

// ready answers readiness (GET /readyz, and /ready): 503
// service_unavailable with field "shutdown" once the replica drains;
// otherwise it checks every dependency (the database — never Google or
// the LLM, whose outage no other replica would cure) and answers 503
// naming the first that fails in field, with the reason in detail when
// the check gives one (a database out of connections says
// too_many_connections). Advisory checks (Redis) are reported in checks,
// "ok" or "unavailable", and never make it unready.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if s.Draining() {
		writeProblem(w, Problem{Type: "urn:jarvis:problem:" + jarvis.EUNAVAILABLE, Title: "Service Unavailable", Status: http.StatusServiceUnavailable,
			Detail: "This replica is shutting down.", Code: jarvis.EUNAVAILABLE, Field: "shutdown",
			RequestID: jarvis.RequestIDFromContext(r.Context())})
		return
	}
	names := make([]string, 0, len(s.Checks))
	for n := range s.Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	checks := map[string]string{}
	for _, n := range names {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		err := s.Checks[n](ctx)
		cancel()
		if err != nil {
			reason := sqldb.UnavailableReason(err)
			if reason == "" {
				reason = "failing"
			}
			s.log.WarnContext(r.Context(), "readiness check failed", "check", n, "reason", reason, "err", err)
			retry := int(sqldb.UnavailableRetryAfter / time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(retry))
			writeProblem(w, Problem{Type: "urn:jarvis:problem:" + jarvis.EUNAVAILABLE, Title: "Service Unavailable", Status: http.StatusServiceUnavailable,
				Detail: "Check " + n + " is unavailable: " + reason + ".", Code: jarvis.EUNAVAILABLE, Field: n, RetryAfter: retry,
				RequestID: jarvis.RequestIDFromContext(r.Context())})
			return
		}
		checks[n] = "ok"
	}
	for n, check := range s.Advisory {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		err := check(ctx)
		cancel()
		checks[n] = "ok"
		if err != nil {
			s.log.WarnContext(r.Context(), "readiness: advisory check failed, serving without it", "check", n, "err", err)
			checks[n] = "unavailable"
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "checks": checks})
}
