package sqldb_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// The pool keeps as many connections idle as it may open (by default), so
// that a burst followed by a lull reuses its sessions instead of closing
// and reopening them; Pool sizes it otherwise, overriding pool_max_conns.
func TestPoolKeepsIdleAsManyAsOpen(t *testing.T) {
	if len(sqldbtest.Dialects(t)) < 2 {
		t.Skip("PostgreSQL is not configured")
	}
	dsn := sqldbtest.URL(t, sqldb.Postgres) // pool_max_conns=2
	for _, tc := range []struct {
		name             string
		pool             sqldb.Pool
		open, idle, lost int
	}{
		{"url", sqldb.Pool{}, sqldbtest.PoolMaxConns, sqldbtest.PoolMaxConns, 0},
		{"idle = open by default", sqldb.Pool{MaxConns: 12}, 12, 12, 0},
		{"fewer idle", sqldb.Pool{MaxConns: 12, MaxIdleConns: 2}, 12, 2, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := sqldb.OpenPool(ctx, dsn, tc.pool)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if n := db.SQL().Stats().MaxOpenConnections; n != tc.open {
				t.Fatalf("max open connections %d, want %d", n, tc.open)
			}
			// A burst takes every connection at once, then gives them back.
			var conns []*sql.Conn
			for range tc.open {
				c, err := db.SQL().Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if err := c.PingContext(ctx); err != nil {
					t.Fatal(err)
				}
				conns = append(conns, c)
			}
			for _, c := range conns {
				c.Close()
			}
			st := db.SQL().Stats()
			if st.Idle != tc.idle || st.MaxIdleClosed != int64(tc.lost) {
				t.Fatalf("after a burst of %d: %d idle, %d closed for want of idle room; want %d and %d", tc.open, st.Idle, st.MaxIdleClosed, tc.idle, tc.lost)
			}
		})
	}
}
