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
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
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

// PoolMaxConns is the pool size of the test databases URL returns: small,
// so that parallel test packages stay far below PostgreSQL's connection
// limit on a shared machine.
const PoolMaxConns = 2

// URL returns a database URL of the dialect for a fresh, empty database that
// is dropped when the test ends. For PostgreSQL it is a new schema, reached
// through a pool of at most PoolMaxConns connections.
func URL(tb testing.TB, dialect sqldb.Dialect) string {
	tb.Helper()
	if dialect == sqldb.SQLite {
		return "sqlite:" + filepath.Join(tb.TempDir(), "jarvis.db")
	}
	schema := randomName("jarvis_test_")
	admin(tb, "CREATE SCHEMA "+schema)
	tb.Cleanup(func() { admin(nil, "DROP SCHEMA "+schema+" CASCADE") })
	return postgresURL(tb, nil, schema, PoolMaxConns)
}

// LimitedURL returns the URL of a fresh, empty PostgreSQL schema reached as
// a new role that may hold at most limit connections at once (CONNECTION
// LIMIT), without a pool_max_conns parameter. The role's connections are
// ended, and the schema and the role dropped, when the test ends.
func LimitedURL(tb testing.TB, limit int) string {
	tb.Helper()
	role, schema := randomName("jarvis_test_role_"), randomName("jarvis_test_")
	password := randomName("p")
	admin(tb, fmt.Sprintf("CREATE ROLE %s LOGIN NOSUPERUSER CONNECTION LIMIT %d PASSWORD '%s'", role, limit, password))
	tb.Cleanup(func() {
		admin(nil, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '"+role+"'")
		admin(nil, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
		admin(nil, "DROP ROLE IF EXISTS "+role)
	})
	// Membership lets an administrator without superuser rights (CREATEROLE)
	// give the role its schema and end its connections.
	admin(tb, "GRANT "+role+" TO CURRENT_USER")
	admin(tb, "CREATE SCHEMA "+schema+" AUTHORIZATION "+role)
	return postgresURL(tb, url.UserPassword(role, password), schema, 0)
}

// randomName returns prefix followed by twelve random hex digits.
func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// admin runs statement on the PostgreSQL of PostgresEnv with a connection of
// its own, closed before it returns. With a nil tb (cleanups) errors are ignored.
func admin(tb testing.TB, statement string) {
	fail := func(format string, args ...any) {
		if tb != nil {
			tb.Helper()
			tb.Fatalf(format, args...)
		}
	}
	base := os.Getenv(PostgresEnv)
	if base == "" {
		fail("%s is not set", PostgresEnv)
		return
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		fail("open PostgreSQL: %v", err)
		return
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := db.ExecContext(ctx, statement); err != nil {
		fail("PostgreSQL at %s is not usable: %v", PostgresEnv, err)
	}
}

// postgresURL is PostgresEnv's URL with search_path set to schema, the
// given user when not nil, and pool_max_conns when maxConns > 0.
func postgresURL(tb testing.TB, user *url.Userinfo, schema string, maxConns int) string {
	tb.Helper()
	u, err := url.Parse(os.Getenv(PostgresEnv))
	if err != nil {
		tb.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	if user != nil {
		u.User = user
	}
	q := u.Query()
	q.Set("search_path", schema)
	if maxConns > 0 {
		q.Set(sqldb.PoolMaxConnsParam, strconv.Itoa(maxConns))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated database of the dialect, closed when the test ends.
// A SQLite one is a copy of a database migrated once per test process (see
// SQLiteCopy).
func Open(tb testing.TB, dialect sqldb.Dialect) *sqldb.DB {
	tb.Helper()
	if dialect == sqldb.SQLite {
		return OpenURL(tb, SQLiteCopy(tb, "migrated", func(ctx context.Context, dsn string) error {
			db, err := sqldb.Open(ctx, dsn)
			if err != nil {
				return err
			}
			defer db.Close()
			_, err = db.MigrateUp(ctx)
			return err
		}))
	}
	return OpenURL(tb, URL(tb, dialect))
}

// templates are the SQLite databases SQLiteCopy copies, by key.
var templates = struct {
	mu sync.Mutex
	m  map[string]*template
}{m: map[string]*template{}}

type template struct {
	once sync.Once
	data []byte
	err  error
}

// SQLiteCopy returns the URL of a new SQLite database, removed when the
// test ends, that is a copy of the one prepare makes from an empty database
// at the URL it is given (and closes), once per test process for each key.
// Migrating a SQLite database under the race detector takes about a second,
// which a suite pays once instead of for every test.
func SQLiteCopy(tb testing.TB, key string, prepare func(ctx context.Context, dsn string) error) string {
	tb.Helper()
	templates.mu.Lock()
	tpl := templates.m[key]
	if tpl == nil {
		tpl = &template{}
		templates.m[key] = tpl
	}
	templates.mu.Unlock()
	tpl.once.Do(func() {
		dir, err := os.MkdirTemp("", "jarvis-template-")
		if err != nil {
			tpl.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "jarvis.db")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if tpl.err = prepare(ctx, "sqlite:"+path); tpl.err != nil {
			return
		}
		// Closed, the database is one file: its write-ahead log is
		// checkpointed into it and removed.
		if st, err := os.Stat(path + "-wal"); err == nil && st.Size() > 0 {
			tpl.err = errors.New("the write-ahead log is still there: close the database in prepare")
			return
		}
		tpl.data, tpl.err = os.ReadFile(path)
	})
	if tpl.err != nil {
		tb.Fatalf("prepare the SQLite template %s: %v", key, tpl.err)
	}
	path := filepath.Join(tb.TempDir(), "jarvis.db")
	if err := os.WriteFile(path, tpl.data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return "sqlite:" + path
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

// HoldConnections opens n connections to the PostgreSQL database at dsn (a
// LimitedURL) and keeps them until release is called or the test ends.
// While the database has no room it tries again, so other clients closing
// their connections make room: it returns once all n are held, or fails the
// test after a minute.
func HoldConnections(tb testing.TB, dsn string, n int) (release func()) {
	tb.Helper()
	var held []*pgconn.PgConn
	var once sync.Once
	release = func() {
		once.Do(func() {
			for _, c := range held {
				c.Close(context.Background())
			}
		})
	}
	tb.Cleanup(release)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for len(held) < n {
		c, err := pgconn.Connect(ctx, dsn)
		if err == nil {
			held = append(held, c)
			continue
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "53300" {
			tb.Fatalf("hold connection %d of %d: %v", len(held)+1, n, err)
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("held %d of %d connections; no room for more within a minute", len(held), n)
		case <-time.After(20 * time.Millisecond): // a poll for room, not a wait for time
		}
	}
	return release
}
