// Package telemetry sets up Jarvis's OpenTelemetry traces: an SDK tracer
// provider exporting by OTLP when the standard OTEL_* environment asks for
// it, and nothing at all otherwise.
//
// The other packages take a trace.TracerProvider in their configuration and
// start their own spans (server spans in httpapi, client spans in google and
// llm, job spans in jobs, query spans in sqldb); a nil provider there means
// no tracing and no cost. Spans never carry a user id, an email, a token,
// message content or a prompt: routes are ServeMux patterns, Google calls
// are API method names, queries are their SQL text with placeholders.
package telemetry

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/jarvis-hq/jarvis"
)

// ServiceName is service.name unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES says otherwise.
const ServiceName = "jarvis"

// Tracing is an SDK tracer provider and what it exports to. A nil *Tracing
// is tracing off: its methods do nothing and TracerProvider returns nil.
type Tracing struct {
	provider *sdktrace.TracerProvider
}

// Enabled reports whether the environment asks for traces to be exported:
// OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set,
// and neither OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none says no.
func Enabled(lookup func(string) (string, bool)) bool {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	if strings.EqualFold(get("OTEL_SDK_DISABLED"), "true") || strings.EqualFold(get("OTEL_TRACES_EXPORTER"), "none") {
		return false
	}
	return get("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// FromEnv returns the tracing the environment asks for, or nil (tracing
// off) when Enabled says no. The exporter speaks OTLP over
// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL:
// "http/protobuf" (the default, as the specification says) or "grpc". The
// SDK reads the rest of the standard variables itself from the process
// environment: endpoints, headers, timeouts, compression, TLS,
// OTEL_TRACES_SAMPLER(_ARG), OTEL_BSP_*, OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES. Nothing is contacted until the first export.
func FromEnv(ctx context.Context, lookup func(string) (string, bool)) (*Tracing, error) {
	if !Enabled(lookup) {
		return nil, nil
	}
	protocol, ok := lookup("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if !ok || protocol == "" {
		protocol, _ = lookup("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	var exp sdktrace.SpanExporter
	var err error
	switch p := strings.TrimSpace(protocol); p {
	case "", "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL: %q is not supported: use http/protobuf or grpc", p)
	}
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, err := Resource(ctx)
	if err != nil {
		return nil, err
	}
	return New(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// Resource describes this process: service.name "jarvis" and
// service.version, then whatever OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES say (they win), and the SDK's own attributes.
func Resource(ctx context.Context) (*resource.Resource, error) {
	res, err := resource.New(ctx, resource.WithTelemetrySDK(),
		resource.WithAttributes(attribute.String("service.name", ServiceName), attribute.String("service.version", jarvis.Version)),
		resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	return res, nil
}

// New returns tracing over an SDK tracer provider made with opts (tests
// pass an in-memory exporter with sdktrace.WithSyncer). The sampler is the
// SDK's: OTEL_TRACES_SAMPLER, else parent-based always-on.
func New(opts ...sdktrace.TracerProviderOption) *Tracing {
	return &Tracing{provider: sdktrace.NewTracerProvider(opts...)}
}

// TracerProvider is the provider to hand to the packages that make spans;
// nil when tracing is off.
func (t *Tracing) TracerProvider() trace.TracerProvider {
	if t == nil {
		return nil
	}
	return t.provider
}

// Shutdown exports the spans still buffered and stops the exporter, within
// ctx.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}
