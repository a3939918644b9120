// Package sqldbtest opens real, migrated, throw-away databases for tests:
// SQLite always, and PostgreSQL when JARVIS_TEST_POSTGRES_URL is set. Under
// CI=true a missing or unreachable PostgreSQL fails the test run instead of
// skipping it.
package sqldbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// PostgresEnv names the variable holding the PostgreSQL URL for tests.
const PostgresEnv = "JARVIS_TEST_POSTGRES_URL"

// Dialects returns the databases to run storage tests on. Under CI=true it
// fails the test when PostgreSQL is not configured.
func Dialects(tb testing.TB) []sqldb.Dialect {
	tb.Helper()
	out := []sqldb.Dialect{sqldb.SQLite}
	if os.Getenv(PostgresEnv) != "" {
		out = append(out, sqldb.Postgres)
	} else if os.Getenv("CI") == "true" {
		tb.Fatalf("%s is not set: CI must run the storage tests on PostgreSQL too", PostgresEnv)
	}
	return out
}

// Each runs fn as a subtest once per dialect.
func Each(t *testing.T, fn func(t *testing.T, dialect sqldb.Dialect)) {
	t.Helper()
	for _, d := range Dialects(t) {
		t.Run(string(d), func(t *testing.T) { fn(t, d) })
	}
}

// URL returns a database URL of the dialect for a fresh, empty database that
// is dropped when the test ends. For PostgreSQL it is a new schema.
func URL(tb testing.TB, dialect sqldb.Dialect) string {
	tb.Helper()
	if dialect == sqldb.SQLite {
		return "sqlite:" + filepath.Join(tb.TempDir(), "jarvis.db")
	}
	base := os.Getenv(PostgresEnv)
	if base == "" {
		tb.Fatalf("%s is not set", PostgresEnv)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("open PostgreSQL: %v", err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "jarvis_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("PostgreSQL at %s is not usable: %v", PostgresEnv, err)
	}
	tb.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated database of the dialect, closed when the test ends.
func Open(tb testing.TB, dialect sqldb.Dialect) *sqldb.DB {
	tb.Helper()
	return OpenURL(tb, URL(tb, dialect))
}

// OpenURL opens and migrates the database at url, closed when the test ends.
func OpenURL(tb testing.TB, dsn string) *sqldb.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, dsn)
	if err != nil {
		tb.Fatalf("open database: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.MigrateUp(ctx); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return db
}
