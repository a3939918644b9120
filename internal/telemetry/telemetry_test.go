package telemetry_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/telemetry"
)

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// TestEnabled: traces are exported only when an OTLP endpoint is named,
// and not when the SDK or the traces exporter is switched off.
func TestEnabled(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"OTEL_SERVICE_NAME": "x", "OTEL_TRACES_SAMPLER": "always_on"}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none"}, false},
	} {
		if got := telemetry.Enabled(lookup(c.env)); got != c.want {
			t.Errorf("%v: %v, want %v", c.env, got, c.want)
		}
	}
	tr, err := telemetry.FromEnv(context.Background(), lookup(nil))
	if err != nil || tr != nil || tr.TracerProvider() != nil || tr.Shutdown(context.Background()) != nil {
		t.Fatalf("without an endpoint: %v %v", tr, err)
	}
	if _, err := telemetry.FromEnv(context.Background(), lookup(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"})); err == nil {
		t.Fatal("http/json accepted")
	}
}

// TestExportsOTLP: with the standard environment pointing at a collector,
// a span reaches it over OTLP/HTTP, at the latest when tracing shuts down;
// service.name defaults to jarvis and OTEL_SERVICE_NAME changes it.
func TestExportsOTLP(t *testing.T) {
	bodies := make(chan []byte, 10)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/v1/traces" {
			bodies <- b
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_SERVICE_NAME", "jarvis-eu")
	ctx := context.Background()
	tr, err := telemetry.FromEnv(ctx, os.LookupEnv)
	if err != nil || tr == nil {
		t.Fatalf("FromEnv: %v %v", tr, err)
	}
	_, span := tr.TracerProvider().Tracer("test").Start(ctx, "GET /me")
	span.End()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := tr.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-bodies:
		// The protobuf carries strings as they are.
		for _, want := range []string{"GET /me", "jarvis-eu"} {
			if !bytes.Contains(b, []byte(want)) {
				t.Errorf("export has no %q", want)
			}
		}
	default:
		t.Fatal("nothing exported")
	}

	t.Setenv("OTEL_SERVICE_NAME", "")
	res, err := telemetry.Resource(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range res.Attributes() {
		if kv.Key == "service.name" && kv.Value.AsString() != "jarvis" {
			t.Errorf("service.name %q, want jarvis", kv.Value.AsString())
		}
	}
}
