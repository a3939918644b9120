package jarvis

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. They are part of the API: clients switch on them, so they
// never change once released. httpapi maps each to one HTTP status.
const (
	EINVALID         = "invalid_request"
	EUNAUTHORIZED    = "unauthorized"
	EFORBIDDEN       = "forbidden"
	ESCOPEMISSING    = "scope_missing"
	ENOTFOUND        = "not_found"
	ECONFLICT        = "conflict"
	ETOOLARGE        = "payload_too_large"
	ERATELIMITED     = "rate_limited"
	EIDEMPOTENCY     = "idempotency_key_reused"
	ESIGNUPCLOSED    = "signup_closed"
	EREAUTH          = "google_reauth_required"
	EACCOUNTLINKED   = "google_account_linked_elsewhere"
	ELASTACCOUNT     = "last_google_account"
	EEXPIRED         = "approval_expired"
	EUPSTREAM        = "upstream_unavailable"
	EUPSTREAMTIMEOUT = "upstream_timeout"
	ELLM             = "llm_unavailable"
	EUNAVAILABLE     = "service_unavailable"
	EINTERNAL        = "internal"
)

// Error is the one error type of the system. Code is stable and meant for
// programs; Message is safe to show to the caller. Anything internal stays
// in Err, which is logged and never sent.
type Error struct {
	Code    string
	Message string
	// Field names the offending input for EINVALID and ETOOLARGE.
	Field string
	// RetryAfter, when set, tells the client when to try again (ERATELIMITED, EUPSTREAM, EUNAVAILABLE).
	RetryAfter time.Duration
	// Account, when set, names the Google account the error is about (the
	// one to reconnect, for EREAUTH).
	Account *AccountRef
	// Err is the underlying cause, for logs and errors.Is/As only.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("jarvis error: code=%s message=%s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("jarvis error: code=%s message=%s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted, client-safe message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error that names the offending field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err. Errors that are not
// an *Error never leak their text: they read "Internal error.".
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool { return err != nil && ErrorCode(err) == code }

// ErrorAccount returns the Google account the first *Error in err's chain
// names, or nil.
func ErrorAccount(err error) *AccountRef {
	var e *Error
	if errors.As(err, &e) {
		return e.Account
	}
	return nil
}
