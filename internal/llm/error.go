package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Kind classifies why a model turn failed.
type Kind string

const (
	// KindUnavailable: the model could not be reached or failed — connection
	// refused, timeout, 5xx after retries, a stream cut short.
	KindUnavailable Kind = "unavailable"
	// KindRateLimited: the vendor kept answering 429 after retries. RetryAfter
	// says how long it asked to wait, when it did.
	KindRateLimited Kind = "rate_limited"
	// KindBadRequest: the vendor refused the request itself (400, 404, 413,
	// 422) — a bug or an unsupported parameter, never retried.
	KindBadRequest Kind = "bad_request"
	// KindAuth: the vendor refused the credentials (401, 403).
	KindAuth Kind = "auth"
)

// Error is a failed model turn. Message is safe to log; it never holds the
// API key or the conversation.
type Error struct {
	Kind     Kind
	Provider string
	// Status is the vendor's HTTP status, 0 when there was no response.
	Status int
	// RetryAfter is the wait the vendor asked for on the last attempt, if any.
	RetryAfter time.Duration
	Message    string
	// Err is the underlying SDK or network error, for logs.
	Err error
}

func (e *Error) Error() string {
	s := "llm"
	if e.Provider != "" {
		s += " " + e.Provider
	}
	s += ": " + string(e.Kind)
	if e.Status != 0 {
		s += fmt.Sprintf(" (%d)", e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of the *Error in err's chain, or "" when err is not
// an *Error (for example the caller's own context.Canceled).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// IsUnavailable reports whether err means the model cannot answer now and the
// caller should answer 503 llm_unavailable: KindUnavailable or
// KindRateLimited. Auth and bad-request errors are configuration or code
// problems; callers usually answer those with 503 too, but should log them
// loudly.
func IsUnavailable(err error) bool {
	k := KindOf(err)
	return k == KindUnavailable || k == KindRateLimited
}

// Retryable reports whether another attempt could succeed: unavailable and
// rate-limited errors are, bad requests and auth failures are not.
func Retryable(err error) bool { return IsUnavailable(err) }

// KindForStatus maps a vendor's HTTP error status to a Kind.
func KindForStatus(status int) Kind {
	switch {
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return KindAuth
	case status == http.StatusRequestTimeout, status == http.StatusConflict, status >= 500:
		return KindUnavailable
	default:
		return KindBadRequest
	}
}

// StatusError builds the *Error for a vendor's HTTP error response. header
// may be nil; its Retry-After (or retry-after-ms) fills RetryAfter.
func StatusError(provider string, status int, header http.Header, message string, err error) *Error {
	e := &Error{
		Kind:     KindForStatus(status),
		Provider: provider,
		Status:   status,
		Message:  message,
		Err:      err,
	}
	if header != nil {
		e.RetryAfter, _ = ParseRetryAfter(header, time.Now())
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// Unavailable wraps a failure without an HTTP status (connection refused,
// reset, timeout, truncated stream) as a KindUnavailable *Error.
func Unavailable(provider, message string, err error) *Error {
	return &Error{Kind: KindUnavailable, Provider: provider, Message: message, Err: err}
}

// callerError returns ctx's error when the caller's context is done, so that a
// caller who gave up is told so rather than that the model is unavailable.
func callerError(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return nil
}

// ResponseHeader returns the headers of a response that may be nil.
func ResponseHeader(res *http.Response) http.Header {
	if res == nil {
		return nil
	}
	return res.Header
}

// VendorMessage keeps a provider's explanation of an error, shortened,
// except for authentication failures, whose messages can quote part of the key.
func VendorMessage(status int, msg string) string {
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		return ""
	}
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg
}

// ParseBaseURL checks that a provider's base URL is an absolute http(s) URL.
func ParseBaseURL(provider, base string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: base URL %q is not an absolute http(s) URL", provider, base)
	}
	return u, nil
}
