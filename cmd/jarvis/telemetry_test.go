package main

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sandbox/pubsub"
	"github.com/jarvis-hq/jarvis/internal/telemetry"
)

// TestTraces follows one live read through Jarvis with an in-memory
// exporter: the request's server span, named by its route, is an ancestor
// of the Gmail client spans and the queries it caused, in one trace; the request's log line
// carries that trace; no span attribute holds the user's email, a thread id
// or the query.
func TestTraces(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	e := startEnv(t, envOptions{main: func(m *Main) { m.Tracing = telemetry.New(sdktrace.WithSyncer(exp)) }})
	tok := e.signIn("ada@example.com")
	resp := e.json("GET", liveListing, tok, nil, 200, nil)
	reqID := resp.Header.Get("X-Request-Id")

	var server tracetest.SpanStub
	spans := waitForSpans(t, exp, func(spans tracetest.SpanStubs) bool {
		for _, s := range spans {
			if s.SpanKind == trace.SpanKindServer && attr(s, "jarvis.request_id") == reqID {
				server = s
				return true
			}
		}
		return false
	})
	if server.Name != "GET /gmail/threads" || attr(server, "http.route") != "/gmail/threads" || attr(server, "http.response.status_code") != "200" {
		t.Fatalf("server span %q route %q status %q", server.Name, attr(server, "http.route"), attr(server, "http.response.status_code"))
	}
	descends := descendsFrom(spans, server)
	var google, queries []string
	for _, s := range spans {
		if s.SpanContext.TraceID() != server.SpanContext.TraceID() || !descends(s) {
			continue
		}
		switch s.InstrumentationScope.Name {
		case "github.com/jarvis-hq/jarvis/internal/google":
			google = append(google, s.Name)
			if s.SpanKind != trace.SpanKindClient || attr(s, "jarvis.google.outcome") != "ok" || attr(s, "http.response.status_code") != "200" {
				t.Errorf("%s: kind %v outcome %q status %q", s.Name, s.SpanKind, attr(s, "jarvis.google.outcome"), attr(s, "http.response.status_code"))
			}
		case "github.com/jarvis-hq/jarvis/internal/sqldb":
			queries = append(queries, s.Name)
		}
	}
	if !strings.Contains(strings.Join(google, " "), "gmail.users.threads.list") {
		t.Fatalf("the request's trace has Google calls %v, want gmail.users.threads.list", google)
	}
	if len(queries) == 0 {
		t.Error("the request's trace has no database query")
	}
	for _, s := range spans {
		for _, kv := range s.Attributes {
			if v := kv.Value.Emit(); strings.Contains(v, "@") || strings.Contains(v, "larger") {
				t.Errorf("span %s: attribute %s=%q names someone or the query", s.Name, kv.Key, v)
			}
		}
	}

	// The request's log line carries its trace and span.
	found := false
	sc := bufio.NewScanner(strings.NewReader(e.Logs.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil || line["msg"] != "request" || line["request_id"] != reqID {
			continue
		}
		found = true
		if line["trace_id"] != server.SpanContext.TraceID().String() || line["span_id"] != server.SpanContext.SpanID().String() {
			t.Errorf("request log line: trace_id %v span_id %v, want %s %s", line["trace_id"], line["span_id"],
				server.SpanContext.TraceID(), server.SpanContext.SpanID())
		}
	}
	if !found {
		t.Fatal("no request log line")
	}
}

// TestPushTrace: a Pub/Sub push is one trace down to the Google calls of
// the sync it caused: its server span, the gmail_sync job it enqueued (a
// child through the job's metadata) and the job's history.list call.
func TestPushTrace(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	e := startEnv(t, envOptions{configure: func(c *config.Config) {
		c.GmailPush, c.PubSubTopic, c.PubSubServiceAccount = "push", sandbox.DefaultPushTopic, sandbox.DefaultPushAccount
	}, main: func(m *Main) { m.Tracing = telemetry.New(sdktrace.WithSyncer(exp)) }})
	const ada = "ada@example.com"
	e.subscribePush(ada)
	deliver(t, e, ada, "Grace <grace@example.com>", "Pushed along")
	waitForSpans(t, exp, func(spans tracetest.SpanStubs) bool {
		for _, push := range spans {
			if push.Name != "POST /webhooks/google/pubsub" || !strings.HasPrefix(attr(push, "http.response.status_code"), "2") {
				continue
			}
			fromPush := descendsFrom(spans, push)
			for _, job := range spans {
				if job.Name != "gmail_sync" || job.SpanKind != trace.SpanKindConsumer || !fromPush(job) {
					continue
				}
				fromJob := descendsFrom(spans, job)
				for _, call := range spans {
					if call.Name == "gmail.users.history.list" && fromJob(call) && call.SpanContext.TraceID() == push.SpanContext.TraceID() {
						return true
					}
				}
			}
		}
		return false
	})
}

// TestPullTrace: in pull mode, each notification received is a span, and
// the sync it schedules continues its trace down to Google's history.list.
func TestPullTrace(t *testing.T) {
	t.Parallel()
	sb, err := newSandbox("127.0.0.1:0", sandbox.Config{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	const sub = "projects/sandbox/subscriptions/test-pull"
	ps := sb.Google.PubSub()
	if err := ps.EnsureTopic(sandbox.DefaultPushTopic); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.CreateSubscription(pubsub.Subscription{Name: sub, Topic: sandbox.DefaultPushTopic}); err != nil {
		t.Fatal(err)
	}
	exp := tracetest.NewInMemoryExporter()
	e := startEnv(t, envOptions{sandbox: sb, configure: func(c *config.Config) {
		c.GmailPush, c.PubSubTopic, c.PubSubSubscription = "pull", sandbox.DefaultPushTopic, sub
	}, main: func(m *Main) { m.Tracing = telemetry.New(sdktrace.WithSyncer(exp)) }})
	const ada = "ada@example.com"
	e.watched(ada)
	deliver(t, e, ada, "Grace <grace@example.com>", "Pulled along")
	waitForSpans(t, exp, func(spans tracetest.SpanStubs) bool {
		for _, recv := range spans {
			if recv.Name != "receive gmail notification" || recv.SpanKind != trace.SpanKindConsumer {
				continue
			}
			fromRecv := descendsFrom(spans, recv)
			for _, call := range spans {
				if call.Name == "gmail.users.history.list" && fromRecv(call) {
					return true
				}
			}
		}
		return false
	})
}

// descendsFrom returns whether a span descends from ancestor (or is it),
// following the parents among spans.
func descendsFrom(spans tracetest.SpanStubs, ancestor tracetest.SpanStub) func(tracetest.SpanStub) bool {
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, s := range spans {
		byID[s.SpanContext.SpanID()] = s
	}
	return func(s tracetest.SpanStub) bool {
		for p, ok := s, true; ok; p, ok = byID[p.Parent.SpanID()] {
			if p.SpanContext.SpanID() == ancestor.SpanContext.SpanID() {
				return true
			}
		}
		return false
	}
}

// waitForSpans returns the exported spans once done says they are there.
func waitForSpans(t *testing.T, exp *tracetest.InMemoryExporter, done func(tracetest.SpanStubs) bool) tracetest.SpanStubs {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		spans := exp.GetSpans()
		if done(spans) {
			return spans
		}
		if time.Now().After(deadline) {
			t.Fatalf("the spans did not come: %d exported", len(spans))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// attr is a span's attribute as text, "" when it has none of that name.
func attr(s tracetest.SpanStub, key attribute.Key) string {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value.Emit()
		}
	}
	return ""
}
