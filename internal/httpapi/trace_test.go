package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	otelcodes "go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func tracedServer(tb testing.TB, opts ...sdktrace.TracerProviderOption) *Server {
	tb.Helper()
	return New(Config{Tracer: sdktrace.NewTracerProvider(opts...), TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
		Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// TestServerSpan: a request is a server span named by its route, with the
// status, and nothing of its path's ids or its query; a 5xx is an error.
func TestServerSpan(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	s := tracedServer(t, sdktrace.WithSyncer(exp))
	s.mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "broken" {
			w.WriteHeader(502)
		}
	})
	for _, path := range []string{"/things/t-4711?q=from:ada@example.com", "/things/broken", "/nowhere/t-4711"} {
		s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("%d spans", len(spans))
	}
	for i, want := range []struct {
		name, route string
		status      string
		err         bool
	}{{"GET /things/{id}", "/things/{id}", "200", false}, {"GET /things/{id}", "/things/{id}", "502", true}, {"GET /", "/", "404", false}} { // the dashboard's catch-all answers unknown paths
		sp := spans[i]
		if sp.Name != want.name || attrOf(sp, "http.route") != want.route || attrOf(sp, "http.response.status_code") != want.status ||
			(sp.Status.Code == otelcodes.Error) != want.err || sp.SpanKind != trace.SpanKindServer || attrOf(sp, "jarvis.request_id") == "" {
			t.Errorf("span %d: %q route %q status %q %v", i, sp.Name, attrOf(sp, "http.route"), attrOf(sp, "http.response.status_code"), sp.Status)
		}
		for _, kv := range sp.Attributes {
			if v := kv.Value.Emit(); strings.Contains(v, "4711") || strings.Contains(v, "ada") {
				t.Errorf("span %d: %s=%q", i, kv.Key, v)
			}
		}
	}
}

// TestTraceparentFromTrustedProxiesOnly: an incoming W3C traceparent
// continues its trace only when a trusted proxy sent it.
func TestTraceparentFromTrustedProxiesOnly(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	s := tracedServer(t, sdktrace.WithSyncer(exp))
	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	for _, peer := range []string{"192.0.2.7:4444", "10.1.2.3:4444"} {
		r := httptest.NewRequest("GET", "/livez", nil)
		r.RemoteAddr = peer
		r.Header.Set("Traceparent", "00-"+traceID+"-"+parentID+"-01")
		s.ServeHTTP(httptest.NewRecorder(), r)
	}
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	if spans[0].SpanContext.TraceID().String() == traceID || spans[0].Parent.IsValid() {
		t.Errorf("an untrusted client's traceparent was followed: trace %s parent %s", spans[0].SpanContext.TraceID(), spans[0].Parent.SpanID())
	}
	if spans[1].SpanContext.TraceID().String() != traceID || spans[1].Parent.SpanID().String() != parentID {
		t.Errorf("a trusted proxy's traceparent was not followed: trace %s parent %s", spans[1].SpanContext.TraceID(), spans[1].Parent.SpanID())
	}
}

func attrOf(s tracetest.SpanStub, key string) string {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// BenchmarkRequest is the middleware around the smallest handler (GET
// /livez), with tracing off and on (every span sampled, batched, dropped):
// the difference is what a server span costs a request.
//
//	go test -run '^$' -bench BenchmarkRequest -benchmem ./internal/httpapi
func BenchmarkRequest(b *testing.B) {
	for _, c := range []struct {
		name string
		s    *Server
	}{
		{"off", New(Config{}, Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})},
		{"traced", tracedServer(b, sdktrace.WithBatcher(tracetest.NewNoopExporter()))},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/livez", nil)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				c.s.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
