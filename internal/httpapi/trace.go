package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names the spans this package makes.
const tracerName = "github.com/jarvis-hq/jarvis/internal/httpapi"

// startSpan starts the server span of a request, when tracing is on. Its
// name and http.route come from the ServeMux pattern once the request has
// been routed (endSpan); it never records the path, the query, the client's
// address or who the caller is.
//
// An incoming W3C traceparent is honoured only from a trusted proxy
// (TrustedProxies): a load balancer or mesh that starts the trace upstream.
// From anyone else it is ignored and the request starts a trace of its own,
// so that a client can neither choose its trace id (and mix its requests
// into someone else's trace) nor force sampling through a parent-based
// sampler with the sampled flag.
func (s *Server) startSpan(ctx context.Context, r *http.Request) (context.Context, trace.Span) {
	if s.tracer == nil {
		return ctx, nil
	}
	if s.trustedPeer(r) {
		ctx = propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(r.Header))
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return s.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
		attribute.String("http.request.method", r.Method), attribute.String("url.scheme", scheme)))
}

// endSpan names the span after the route that served the request
// ("GET /gmail/threads/{id}", or just the method when none did) and ends it
// with the status: 5xx is an error, 4xx is the client's.
func endSpan(span trace.Span, r *http.Request, status int, requestID string) {
	if span == nil {
		return
	}
	name := r.Method
	if route := routeOf(r.Pattern); route != "" {
		name += " " + route
		span.SetAttributes(attribute.String("http.route", route))
	}
	span.SetName(name)
	span.SetAttributes(attribute.Int("http.response.status_code", status), attribute.String("jarvis.request_id", requestID))
	if status >= 500 {
		span.SetStatus(otelcodes.Error, http.StatusText(status))
	}
	span.End()
}

// routeOf is a ServeMux pattern without its method (and host): the route.
func routeOf(pattern string) string {
	if _, rest, ok := strings.Cut(pattern, " "); ok {
		pattern = strings.TrimSpace(rest)
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:]
	}
	return pattern
}

// trustedPeer reports whether the request came straight from a trusted proxy.
func (s *Server) trustedPeer(r *http.Request) bool {
	if len(s.cfg.TrustedProxies) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	return err == nil && s.trusted(a)
}
