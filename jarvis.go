// Package jarvis holds the nouns and verbs of Jarvis, a self-hosted,
// multi-tenant AI executive assistant: domain types, the service interfaces
// that adapters implement, and the error codes. It does no I/O and imports
// nothing else of the project.
package jarvis

import (
	"context"
	"time"
)

// Build information, set by the linker (-ldflags "-X ...").
var (
	Version = "dev"
	Commit  = ""
)

// Clock is the injectable source of time.
type Clock interface{ Now() time.Time }

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

func (f ClockFunc) Now() time.Time { return f() }

// SystemClock is the real clock, in UTC.
var SystemClock Clock = ClockFunc(func() time.Time { return time.Now().UTC() })

// contextKey is private so no other package can collide with ours.
type contextKey int

const (
	userContextKey contextKey = iota + 1
	requestIDContextKey
	clientContextKey
)

// NewContextWithUser returns a context carrying the authenticated user.
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userContextKey, u)
}

// UserFromContext returns the authenticated user, or nil.
func UserFromContext(ctx context.Context) *User {
	u, _ := ctx.Value(userContextKey).(*User)
	return u
}

// UserIDFromContext returns the authenticated user's id, or "".
func UserIDFromContext(ctx context.Context) string {
	if u := UserFromContext(ctx); u != nil {
		return u.ID
	}
	return ""
}

// NewContextWithRequestID returns a context carrying the request id.
func NewContextWithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDContextKey, id)
}

// RequestIDFromContext returns the request id, or "".
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDContextKey).(string)
	return id
}

// Client describes who is on the other end of a request, for audit rows.
type Client struct {
	IP        string
	UserAgent string
}

// NewContextWithClient returns a context carrying the client's address and agent.
func NewContextWithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientContextKey, c)
}

// ClientFromContext returns the client of the request, or the zero Client.
func ClientFromContext(ctx context.Context) Client {
	c, _ := ctx.Value(clientContextKey).(Client)
	return c
}
