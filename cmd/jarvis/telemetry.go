package main

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Without OTEL_EXPORTER_OTLP_ENDPOINT (or its _TRACES_ form), Main.Tracing
// stays nil and tracer returns an untyped nil: no package makes a span.

// tracer is the provider the packages make their spans with, or nil.
func (m *Main) tracer() trace.TracerProvider { return m.Tracing.TracerProvider() }

// flushTracesTimeout bounds the export of the spans still buffered at
// shutdown.
const flushTracesTimeout = 5 * time.Second

// traceOnClose exports the spans still buffered when Jarvis closes, after
// everything else has closed (so that the last requests and jobs are in).
func (m *Main) traceOnClose() {
	if m.Tracing == nil {
		return
	}
	m.closers = append(m.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), flushTracesTimeout)
		defer cancel()
		return m.Tracing.Shutdown(ctx)
	})
	m.Logger.Info("traces are exported by OTLP")
}
