package jobs

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// TestTracing: a job inserted within a span carries its trace in its
// metadata (beside what was there, its arguments untouched), and runs as a
// child of that span; a snooze is no error, a failure is.
func TestTracing(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	m := &tracing{tracer: tp.Tracer(tracerName)}
	ctx, parent := tp.Tracer("test").Start(context.Background(), "POST /webhooks/google/pubsub")
	params := []*rivertype.JobInsertParams{{Kind: "gmail_sync", EncodedArgs: []byte(`{"account_id":"a1"}`), Metadata: []byte(`{"keep":1}`)}}
	if _, err := m.InsertMany(ctx, params, func(context.Context) ([]*rivertype.JobInsertResult, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	parent.End()
	if string(params[0].EncodedArgs) != `{"account_id":"a1"}` {
		t.Fatalf("args changed: %s", params[0].EncodedArgs)
	}
	job := &rivertype.JobRow{ID: 7, Kind: "gmail_sync", Attempt: 1, Metadata: params[0].Metadata}
	var inner trace.SpanContext
	for _, ret := range []error{nil, river.JobSnooze(time.Second), errors.New("boom")} {
		err := m.Work(context.Background(), job, func(ctx context.Context) error {
			inner = trace.SpanContextFromContext(ctx)
			return ret
		})
		if err != ret {
			t.Fatalf("Work returned %v, want %v", err, ret)
		}
		if inner.TraceID() != parent.SpanContext().TraceID() {
			t.Fatalf("the job runs in trace %s, want the enqueuer's %s", inner.TraceID(), parent.SpanContext().TraceID())
		}
	}
	spans := exp.GetSpans()
	if len(spans) != 4 {
		t.Fatalf("%d spans, want 4", len(spans))
	}
	for i, want := range []string{"ok", "snoozed", "error"} {
		s := spans[i+1]
		if s.Name != "gmail_sync" || s.Parent.SpanID() != parent.SpanContext().SpanID() || s.SpanKind != trace.SpanKindConsumer {
			t.Errorf("run %d: %q parent %s kind %v", i, s.Name, s.Parent.SpanID(), s.SpanKind)
		}
		var outcome string
		for _, kv := range s.Attributes {
			if kv.Key == "jarvis.job.outcome" {
				outcome = kv.Value.AsString()
			}
		}
		if outcome != want || (s.Status.Code == codes.Error) != (want == "error") {
			t.Errorf("run %d: outcome %q status %v, want %s", i, outcome, s.Status.Code, want)
		}
	}
	if string(job.Metadata) == `{"keep":1}` || !bytes.Contains(job.Metadata, []byte(`"keep":1`)) {
		t.Errorf("metadata %s", job.Metadata)
	}

	// Without a span, nothing is added; a job without a trace is a root.
	params = []*rivertype.JobInsertParams{{Kind: "gmail_poll"}}
	_, _ = m.InsertMany(context.Background(), params, func(context.Context) ([]*rivertype.JobInsertResult, error) { return nil, nil })
	if params[0].Metadata != nil {
		t.Errorf("metadata without a trace: %s", params[0].Metadata)
	}
}
