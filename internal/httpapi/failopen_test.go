package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

type downLimiter struct{}

func (downLimiter) Allow(context.Context, string, int, time.Duration) (bool, time.Duration, error) {
	return false, 0, errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
}

// With Redis out of reach the replica stays ready (Redis reported as
// unavailable) and the per-user limits let requests through uncounted.
func TestRedisDownFailsOpen(t *testing.T) {
	down := func(context.Context) error { return errors.New("connection refused") }
	s := New(Config{}, Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Limiter: downLimiter{},
		Checks:   map[string]func(context.Context) error{"database": func(context.Context) error { return nil }},
		Advisory: map[string]func(context.Context) error{"redis": down}})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &ready)
	if rec.Code != http.StatusOK || ready.Checks["database"] != "ok" || ready.Checks["redis"] != "unavailable" {
		t.Fatalf("readyz with Redis down: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	if !s.allow(rec, httptest.NewRequest(http.MethodGet, "/gmail/threads", nil), "google:u1", 300) || rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Fatalf("a limit whose store is down refused: %d %s", rec.Code, rec.Body)
	}
	// A failing database still makes the replica unready.
	s = New(Config{}, Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Checks: map[string]func(context.Context) error{"database": down}})
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("readyz with the database down: %d %s", rec.Code, rec.Body)
	}
}
