package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// requestIDHeader carries the request id in and out.
const requestIDHeader = "X-Request-Id"

// withRequest gives the request an id (a well-formed incoming one is kept,
// for tracing across proxies), records the client, logs the request when it
// ends, and turns a panic into a generic 500 so the process lives on.
func (s *Server) withRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(requestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		ctx := jarvis.NewContextWithRequestID(r.Context(), id)
		ctx = jarvis.NewContextWithClient(ctx, jarvis.Client{IP: s.clientIP(r), UserAgent: r.UserAgent()})
		ctx, span := s.startSpan(ctx, r)
		r = r.WithContext(ctx)
		w.Header().Set(requestIDHeader, id)
		if s.secure {
			// Served over https: browsers are to use nothing else, for a
			// year (and only then: on http the header would be a lie).
			w.Header().Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		sw := &statusWriter{ResponseWriter: w}

		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic in handler", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if !sw.wroteHeader {
					s.Error(sw, r, fmt.Errorf("panic: %v", v))
				}
			}
			if s.cfg.Observe != nil {
				s.cfg.Observe(r.Method, r.Pattern, sw.status(), time.Since(start))
			}
			endSpan(span, r, sw.status(), id)
			level := slog.LevelInfo
			if isProbe(r.URL.Path) {
				level = slog.LevelDebug
			}
			// Log the path without its query: queries may hold search terms.
			s.log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path,
				"status", sw.status(), "bytes", sw.bytes, "duration_ms", float64(time.Since(start).Microseconds())/1000)
		}()
		next.ServeHTTP(sw, r)
	})
}

// isProbe reports whether path is a liveness or readiness probe, which
// orchestrators call every few seconds: logged at debug level only.
func isProbe(path string) bool {
	switch path {
	case "/livez", "/readyz", "/health", "/ready":
		return true
	}
	return false
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// clientIP is the peer's address, or — only when the peer is a trusted
// proxy — the right-most address in X-Forwarded-For that is not itself a
// trusted proxy.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(peer) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !s.trusted(a) {
			return a.Unmap().String()
		}
		host = a.Unmap().String()
	}
	return host
}

func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	code        int
	bytes       int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) status() int {
	if !w.wroteHeader {
		return http.StatusOK
	}
	return w.code
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// apiHeaders are the security headers of every API answer.
func apiHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		next.ServeHTTP(w, r)
	})
}
