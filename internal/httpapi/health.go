package httpapi

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// health answers liveness: the process serves requests.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// ready checks every dependency and answers 503 naming the first that fails.
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
			s.log.WarnContext(r.Context(), "readiness check failed", "check", n, "err", err)
			checks[n] = "failing"
			writeProblem(w, Problem{Type: "urn:jarvis:problem:" + jarvis.EUPSTREAM, Title: "Service Unavailable", Status: http.StatusServiceUnavailable,
				Detail: "Check " + n + " is failing.", Code: jarvis.EUPSTREAM, Field: n, RequestID: jarvis.RequestIDFromContext(r.Context())})
			return
		}
		checks[n] = "ok"
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "checks": checks})
}
