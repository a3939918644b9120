package main

import (
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/config"
)

// Every API rate limit comes from the configuration: Google requests and
// chat turns per user, unauthenticated sign-in requests per address.
func TestRateLimitsFromConfiguration(t *testing.T) {
	e := startEnv(t, envOptions{configure: func(c *config.Config) {
		c.GoogleRequestsPerMinute, c.ChatTurnsPerMinute, c.AnonymousRequestsPerMinute = 2, 1, 4
	}})
	freshWindow(t)
	tok := e.signIn("ada@example.com") // GET /auth/google/start and POST /auth/google/callback: 2 of 4
	for range 2 {
		e.json("GET", "/auth/google/start", "", nil, 200, nil, "Accept", "application/json")
	}
	e.problem("GET", "/auth/google/start", "", nil, 429, "rate_limited", "Accept", "application/json")

	freshWindow(t)
	for range 2 {
		e.json("GET", "/gmail/labels", tok, nil, 200, nil)
	}
	e.problem("GET", "/gmail/labels", tok, nil, 429, "rate_limited")

	freshWindow(t)
	turn := map[string]string{"message": "hello"}
	e.json("POST", "/chat", tok, turn, 200, nil, "Accept", "application/json")
	e.problem("POST", "/chat", tok, turn, 429, "rate_limited", "Accept", "application/json")
}

// freshWindow waits until the rate limits' one-minute window has at least
// 15 seconds left, so that a burst counted in it does not straddle two.
func freshWindow(t *testing.T) {
	t.Helper()
	waitFor(t, "a fresh rate-limit window", func() bool { return time.Now().Second() < 45 })
}
