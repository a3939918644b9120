package llm

import (
	"net/http"
	"time"
)

// Config is what every provider constructor takes. Only Model is always
// required; each provider documents its own rules for APIKey and BaseURL.
type Config struct {
	APIKey string
	// BaseURL replaces the vendor's API address (a proxy, a compatible server,
	// the sandbox model). Empty means the vendor's own.
	BaseURL string
	Model   string
	// Timeout bounds a whole turn: every attempt, the waits between them and
	// the streamed answer. DefaultTimeout when zero.
	Timeout time.Duration
	// MaxRetries is the number of retries after the first attempt;
	// DefaultMaxRetries when zero, none when negative.
	MaxRetries int
	// HTTPClient carries the requests; a fresh client when nil. Its Timeout
	// should be zero: it would cut long streams short (Timeout above is the
	// turn's bound).
	HTTPClient *http.Client
	Backoff    Backoff
}

const (
	DefaultTimeout    = 2 * time.Minute
	DefaultMaxRetries = 2
)

// Retries returns the number of retries after the first attempt.
func (c Config) Retries() int {
	switch {
	case c.MaxRetries < 0:
		return 0
	case c.MaxRetries == 0:
		return DefaultMaxRetries
	}
	return c.MaxRetries
}

// TurnTimeout returns the bound of a whole turn.
func (c Config) TurnTimeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

// Client returns the HTTP client to use.
func (c Config) Client() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return &http.Client{}
}
