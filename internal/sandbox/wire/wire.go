// Package wire writes the sandbox's answers the way Google's APIs write
// theirs: JSON bodies with the right Content-Type and Google's error shape.
package wire

import (
	"encoding/json"
	"net/http"
)

// WriteJSON writes v as a JSON response with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ErrorItem is one entry of a Google API error's "errors" list.
type ErrorItem struct {
	Domain       string `json:"domain"`
	Reason       string `json:"reason"`
	Message      string `json:"message"`
	Location     string `json:"location,omitempty"`
	LocationType string `json:"locationType,omitempty"`
}

type errorBody struct {
	Error struct {
		Code    int         `json:"code"`
		Message string      `json:"message"`
		Errors  []ErrorItem `json:"errors"`
		Status  string      `json:"status"`
	} `json:"error"`
}

// statusNames are the canonical gRPC-style names Google puts in "status".
var statusNames = map[int]string{
	400: "INVALID_ARGUMENT",
	401: "UNAUTHENTICATED",
	403: "PERMISSION_DENIED",
	404: "NOT_FOUND",
	409: "ABORTED",
	410: "FAILED_PRECONDITION",
	429: "RESOURCE_EXHAUSTED",
	500: "INTERNAL",
	502: "UNAVAILABLE",
	503: "UNAVAILABLE",
	504: "DEADLINE_EXCEEDED",
}

// WriteError writes a Google API error: {"error":{"code","message","errors":[…],"status"}}.
func WriteError(w http.ResponseWriter, code int, items ...ErrorItem) {
	var b errorBody
	b.Error.Code = code
	b.Error.Errors = items
	if len(items) > 0 {
		b.Error.Message = items[0].Message
	} else {
		b.Error.Message = http.StatusText(code)
		b.Error.Errors = []ErrorItem{}
	}
	b.Error.Status = statusNames[code]
	if b.Error.Status == "" {
		b.Error.Status = "UNKNOWN"
	}
	WriteJSON(w, code, b)
}

// Error writes a Google API error with one item in the "global" domain.
func Error(w http.ResponseWriter, code int, reason, message string) {
	WriteError(w, code, ErrorItem{Domain: "global", Reason: reason, Message: message})
}

// NotFound writes Gmail's and Calendar's 404.
func NotFound(w http.ResponseWriter) {
	Error(w, http.StatusNotFound, "notFound", "Requested entity was not found.")
}

// BadRequest writes a 400 "invalid" error naming the parameter at fault.
func BadRequest(w http.ResponseWriter, location, message string) {
	WriteError(w, http.StatusBadRequest, ErrorItem{Domain: "global", Reason: "invalid", Message: message, Location: location, LocationType: "parameter"})
}
