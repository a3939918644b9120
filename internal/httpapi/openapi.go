package httpapi

import (
	"net/http"
)

// openAPI serves the OpenAPI 3.1 description of the API.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSONRaw(w, http.StatusOK, OpenAPIDocument())
}

func writeJSONRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
