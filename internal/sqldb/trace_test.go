package sqldb_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// TestTracedQueries: with a tracer, each statement run within a traced
// context is a child span named by its operation, with its SQL text and
// never its arguments; in a transaction too; a failure is an error span
// with the driver's code; a statement outside any trace makes no span.
func TestTracedQueries(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		exp := tracetest.NewInMemoryExporter()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
		ctx := context.Background()
		db, err := sqldb.OpenPool(ctx, sqldbtest.URL(t, d), sqldb.Pool{Tracer: tp})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.SQL().QueryRowContext(ctx, "SELECT 1").Scan(&n); err != nil { // no trace: no span
			t.Fatal(err)
		}
		tctx, parent := tp.Tracer("test").Start(ctx, "GET /me")
		const secret = "ada@example.com"
		var got string
		if err := db.SQL().QueryRowContext(tctx, "SELECT CAST($1 AS TEXT)", secret).Scan(&got); err != nil || got != secret {
			t.Fatal(got, err)
		}
		tx, err := db.SQL().BeginTx(tctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(tctx, "CREATE TABLE traced_t (x INTEGER PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(tctx, "INSERT INTO traced_t (x) VALUES ($1), ($1)", 1); err == nil {
			t.Fatal("duplicate key inserted")
		}
		_ = tx.Rollback()
		parent.End()

		spans := exp.GetSpans()
		want := []struct{ name, code string }{{"SELECT", ""}, {"CREATE", ""}, {"INSERT", "error"}}
		var queries []tracetest.SpanStub
		for _, s := range spans {
			if s.Name != "GET /me" {
				queries = append(queries, s)
			}
		}
		if len(queries) != len(want) {
			t.Fatalf("%d query spans, want %d: %v", len(queries), len(want), names(queries))
		}
		for i, w := range want {
			s := queries[i]
			attrs := map[string]string{}
			for _, kv := range s.Attributes {
				attrs[string(kv.Key)] = kv.Value.Emit()
				if kv.Value.Emit() == secret {
					t.Errorf("%s: an argument is recorded as %s", s.Name, kv.Key)
				}
			}
			system := map[sqldb.Dialect]string{sqldb.Postgres: "postgresql", sqldb.SQLite: "sqlite"}[d]
			if s.Name != w.name || s.Parent.SpanID() != parent.SpanContext().SpanID() || s.SpanKind != trace.SpanKindClient ||
				attrs["db.system.name"] != system || attrs["db.operation.name"] != w.name || attrs["db.query.text"] == "" {
				t.Errorf("span %d: %q parent %s %v", i, s.Name, s.Parent.SpanID(), attrs)
			}
			if (s.Status.Code == codes.Error) != (w.code == "error") || w.code == "error" && attrs["db.response.status_code"] == "" {
				t.Errorf("span %s: status %v code %q", s.Name, s.Status.Code, attrs["db.response.status_code"])
			}
		}
	})
}

func names(spans []tracetest.SpanStub) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}
