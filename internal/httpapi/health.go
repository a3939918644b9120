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

// health answers liveness: the process serves requests.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// ready checks every dependency and answers 503 service_unavailable naming
// the first that fails in field, with the reason in detail when the check
// gives one (a database out of connections says too_many_connections).
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
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
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "checks": checks})
}
