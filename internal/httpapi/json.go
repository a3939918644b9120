package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/jarvis-hq/jarvis"
)

// maxJSONBody is the largest JSON request body a route accepts unless it says otherwise.
const maxJSONBody = 1 << 20

// writeJSON writes v with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeJSON reads one JSON object of at most limit bytes into v. Unknown
// fields, trailing data and wrong types are EINVALID naming the field; an
// oversized body is ETOOLARGE.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return jarvis.Invalid("Content-Type", "The request body must be application/json.")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return jarvis.Invalid("body", "The request body must hold a single JSON object.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return jarvis.Invalid("body", "The request body must hold a single JSON object.")
	}
	return nil
}

func jsonError(err error) error {
	var maxErr *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &maxErr):
		return &jarvis.Error{Code: jarvis.ETOOLARGE, Field: "body", Message: fmt.Sprintf("The request body is larger than %d bytes.", maxErr.Limit)}
	case errors.As(err, &typeErr):
		return jarvis.Invalid(typeErr.Field, "%s must be %s.", fieldName(typeErr.Field), jsonKind(typeErr.Type.Kind().String()))
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return jarvis.Invalid("body", "The request body is not valid JSON.")
	case errors.Is(err, io.EOF):
		return jarvis.Invalid("body", "The request body is empty.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return jarvis.Invalid(f, "Unknown field %q.", f)
	}
	return jarvis.Invalid("body", "The request body could not be read.")
}

func fieldName(f string) string {
	if f == "" {
		return "The body"
	}
	return f
}

func jsonKind(k string) string {
	switch k {
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	}
	return "a number"
}
