package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// codes maps each error code to its HTTP status: the one place this happens.
var codes = map[string]int{
	jarvis.EINVALID:         http.StatusBadRequest,
	jarvis.EUNAUTHORIZED:    http.StatusUnauthorized,
	jarvis.EFORBIDDEN:       http.StatusForbidden,
	jarvis.ESCOPEMISSING:    http.StatusForbidden,
	jarvis.ENOTFOUND:        http.StatusNotFound,
	jarvis.ECONFLICT:        http.StatusConflict,
	jarvis.ETOOLARGE:        http.StatusRequestEntityTooLarge,
	jarvis.ERATELIMITED:     http.StatusTooManyRequests,
	jarvis.EIDEMPOTENCY:     http.StatusConflict,
	jarvis.ESIGNUPCLOSED:    http.StatusForbidden,
	jarvis.EREAUTH:          http.StatusConflict,
	jarvis.EACCOUNTLINKED:   http.StatusConflict,
	jarvis.ELASTACCOUNT:     http.StatusConflict,
	jarvis.EEXPIRED:         http.StatusGone,
	jarvis.EUPSTREAM:        http.StatusBadGateway,
	jarvis.EUPSTREAMTIMEOUT: http.StatusGatewayTimeout,
	jarvis.ELLM:             http.StatusServiceUnavailable,
	jarvis.EUNAVAILABLE:     http.StatusServiceUnavailable,
	jarvis.EINTERNAL:        http.StatusInternalServerError,
}

// ErrorStatus returns the HTTP status of an error code.
func ErrorStatus(code string) int {
	if s, ok := codes[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem document with Jarvis's extensions.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Code      string `json:"code"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id"`
	// Reconnect tells the client where to send the user to connect Google again.
	Reconnect string `json:"reconnect_url,omitempty"`
	// Account names the Google account the problem is about: for
	// google_reauth_required, the one to reconnect.
	Account *jarvis.AccountRef `json:"account,omitempty"`
	// RetryAfter repeats the Retry-After header, in seconds.
	RetryAfter int `json:"retry_after,omitempty"`
}

// problemFor builds the problem document of err; internal errors say nothing
// of their cause.
func problemFor(r *http.Request, err error) Problem {
	code := jarvis.ErrorCode(err)
	status := ErrorStatus(code)
	p := Problem{
		Type:      "urn:jarvis:problem:" + code,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    jarvis.ErrorMessage(err),
		Code:      code,
		RequestID: jarvis.RequestIDFromContext(r.Context()),
	}
	var e *jarvis.Error
	if errors.As(err, &e) {
		p.Field = e.Field
		p.Account = e.Account
		if e.RetryAfter > 0 {
			p.RetryAfter = int((e.RetryAfter + time.Second - 1) / time.Second)
		}
	}
	if code == jarvis.EREAUTH {
		p.Reconnect = "/auth/google/start"
	}
	return p
}

// Error writes err as a problem and logs it: internal errors at error level
// with their cause, client errors at debug level.
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(r, err)
	level := slog.LevelDebug
	if p.Status >= 500 {
		level = slog.LevelError
	}
	s.log.Log(r.Context(), level, "request failed", "error_code", p.Code, "status", p.Status, "err", err)
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	writeProblem(w, p)
}

func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
