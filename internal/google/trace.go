package google

import (
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names the spans this package makes.
const tracerName = "github.com/jarvis-hq/jarvis/internal/google"

// tracedTransport makes a client span of each HTTP call to Google (each
// attempt of a retried one), a child of the span in the request's context,
// named by its API method (gmail.users.threads.list). It records the HTTP
// method, the host, the status and the outcome (Outcome), never the path or
// query, which hold ids and search terms, nor an error's text, which quotes
// the URL. No trace header is sent to Google.
type tracedTransport struct {
	base   http.RoundTripper
	tracer trace.Tracer
}

func newTracedTransport(base http.RoundTripper, tp trace.TracerProvider) tracedTransport {
	return tracedTransport{base: base, tracer: tp.Tracer(tracerName)}
}

func (t tracedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, span := t.tracer.Start(req.Context(), APIMethod(req.Method, req.URL.EscapedPath()), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("http.request.method", req.Method), attribute.String("server.address", req.URL.Hostname())))
	defer span.End()
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	outcome := Outcome(resp, err)
	span.SetAttributes(attribute.String("jarvis.google.outcome", outcome))
	switch {
	case outcome == "error":
		span.SetAttributes(attribute.String("error.type", errorType(req, err)))
		span.SetStatus(codes.Error, "no answer")
	case resp.StatusCode >= 400:
		span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode), attribute.String("error.type", strconv.Itoa(resp.StatusCode)))
		span.SetStatus(codes.Error, outcome)
	default:
		span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	}
	return resp, err
}

// errorType says why a call got no answer without quoting its URL: the
// caller's context ended, or the call failed.
func errorType(req *http.Request, err error) string {
	if req.Context().Err() != nil {
		return "canceled"
	}
	if err == nil {
		return "no_response"
	}
	return "transport"
}
