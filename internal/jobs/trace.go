package jobs

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names the spans this package makes.
const tracerName = "github.com/jarvis-hq/jarvis/internal/jobs"

// tracing carries the trace of whatever enqueues a job (a request, a push,
// the poll) into the job, and makes a span of each run of it.
//
// The trace context travels in the job's metadata (traceparent and
// tracestate, W3C), not in its arguments, which River's uniqueness
// compares: a job enqueued while a request was traced runs as a child of
// that request's span, so that one trace shows the push (or the read that
// found a change) and every Google call of the sync it caused. A job whose
// insert was skipped as a duplicate belongs to the trace that made it.
type tracing struct {
	river.MiddlewareDefaults
	tracer trace.Tracer
}

// traceMetadata is the trace context in a job's metadata.
type traceMetadata struct {
	Traceparent string `json:"traceparent,omitempty"`
	Tracestate  string `json:"tracestate,omitempty"`
}

func (m *tracing) InsertMany(ctx context.Context, params []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return doInner(ctx)
	}
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	for _, p := range params {
		md := map[string]any{}
		if len(p.Metadata) > 0 {
			if err := json.Unmarshal(p.Metadata, &md); err != nil {
				continue // not ours to rewrite
			}
		}
		md["traceparent"] = c["traceparent"]
		if ts := c["tracestate"]; ts != "" {
			md["tracestate"] = ts
		}
		if b, err := json.Marshal(md); err == nil {
			p.Metadata = b
		}
	}
	return doInner(ctx)
}

// Work runs the job in a span named by its kind (gmail_sync), the child of
// the span that enqueued it, if any. A snooze or a cancel is an outcome,
// not an error.
func (m *tracing) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	var md traceMetadata
	if len(job.Metadata) > 0 && json.Unmarshal(job.Metadata, &md) == nil && md.Traceparent != "" {
		ctx = propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": md.Traceparent, "tracestate": md.Tracestate})
	}
	ctx, span := m.tracer.Start(ctx, job.Kind, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(
		attribute.String("jarvis.job.kind", job.Kind), attribute.Int64("jarvis.job.id", job.ID), attribute.Int("jarvis.job.attempt", job.Attempt)))
	defer span.End()
	err := doInner(ctx)
	var snooze *river.JobSnoozeError
	var cancel *river.JobCancelError
	switch {
	case err == nil:
		span.SetAttributes(attribute.String("jarvis.job.outcome", "ok"))
	case errors.As(err, &snooze):
		span.SetAttributes(attribute.String("jarvis.job.outcome", "snoozed"))
	case errors.As(err, &cancel):
		span.SetAttributes(attribute.String("jarvis.job.outcome", "cancelled"))
	default:
		span.SetAttributes(attribute.String("jarvis.job.outcome", "error"))
		span.SetStatus(codes.Error, "the job failed")
	}
	return err
}
