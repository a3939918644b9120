package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/audit"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

func count(t *testing.T, db *sqldb.DB) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM audit_logs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRecorderFillsFromContext(t *testing.T) {
	db := sqldbtest.Open(t, sqldb.SQLite)
	r := audit.New(db, audit.Options{})
	ctx := jarvis.NewContextWithUser(context.Background(), &jarvis.User{ID: "u1", PersonalOrgID: "o1"})
	ctx = jarvis.NewContextWithRequestID(ctx, "req-1")
	ctx = jarvis.NewContextWithClient(ctx, jarvis.Client{IP: "203.0.113.5", UserAgent: "curl/8"})
	r.Record(ctx, jarvis.AuditEntry{Action: jarvis.AuditGmailThreadGet, TargetType: "thread", TargetID: "t1"})
	page, err := db.ListAudit(context.Background(), "o1", jarvis.AuditFilter{})
	if err != nil || len(page.Entries) != 1 {
		t.Fatalf("rows = %+v, %v", page, err)
	}
	e := page.Entries[0]
	if e.ActorUserID != "u1" || e.RequestID != "req-1" || e.IP != "203.0.113.5" || e.UserAgent != "curl/8" || e.Outcome != "success" || e.OccurredAt.IsZero() {
		t.Fatalf("row = %+v", e)
	}
}

// The batching writer flushes within FlushInterval, on Flush, and on Close.
func TestBatchingWriter(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		db := sqldbtest.Open(t, d)
		r := audit.New(db, audit.Options{Async: true})
		ctx := context.Background()
		r.Record(ctx, jarvis.AuditEntry{Action: "a.one"})
		deadline := time.Now().Add(5 * time.Second)
		for count(t, db) != 1 {
			if time.Now().After(deadline) {
				t.Fatal("a batched row was not written within the flush interval")
			}
			time.Sleep(10 * time.Millisecond)
		}
		for i := 0; i < 1000; i++ {
			r.Record(ctx, jarvis.AuditEntry{Action: fmt.Sprintf("a.%d", i)})
		}
		r.Flush()
		if n := count(t, db); n != 1001 {
			t.Fatalf("%d rows after Flush, want 1001", n)
		}
		for i := 0; i < 10; i++ {
			r.Record(ctx, jarvis.AuditEntry{Action: "late"})
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db); n != 1011 {
			t.Fatalf("%d rows after Close, want 1011", n)
		}
		// After Close, rows are still written, synchronously.
		r.Record(ctx, jarvis.AuditEntry{Action: "after"})
		if n := count(t, db); n != 1012 {
			t.Fatalf("%d rows after a late Record", n)
		}
	})
}

func BenchmarkRecord(b *testing.B) {
	for _, async := range []bool{false, true} {
		b.Run(fmt.Sprintf("async=%v", async), func(b *testing.B) {
			db := sqldbtest.Open(b, sqldb.SQLite)
			r := audit.New(db, audit.Options{Async: async})
			defer r.Close()
			ctx := context.Background()
			for b.Loop() {
				r.Record(ctx, jarvis.AuditEntry{Action: "bench", TargetID: "t"})
			}
		})
	}
}
