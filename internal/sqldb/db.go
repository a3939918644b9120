// Package sqldb stores Jarvis's state with database/sql, on PostgreSQL (pgx)
// or SQLite (modernc.org/sqlite), through one code path: the same SQL text,
// with $N placeholders, runs on both. Driver errors become jarvis errors here,
// matched by code, never by message.
package sqldb

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/jarvis-hq/jarvis"
)

// Dialect names a supported database.
type Dialect string

const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

//go:embed migrations
var migrations embed.FS

// DB is a handle on Jarvis's database.
type DB struct {
	db      *sql.DB
	dialect Dialect
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// Open connects to the database that url names: "postgres://…" or
// "postgresql://…" for PostgreSQL, "sqlite:PATH" or a bare path for SQLite.
// It does not migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	dialect, driverDSN, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	driver := "pgx"
	if dialect == SQLite {
		driver = "sqlite"
	}
	sdb, err := sql.Open(driver, driverDSN)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	if dialect == SQLite {
		// WAL lets readers run beside the one writer; _txlock=immediate takes
		// the write lock at BEGIN so that transactions queue on the busy
		// timeout instead of failing with SQLITE_BUSY on upgrade.
		sdb.SetMaxOpenConns(8)
		sdb.SetMaxIdleConns(8)
		sdb.SetConnMaxIdleTime(0)
	} else {
		sdb.SetMaxOpenConns(20)
		sdb.SetMaxIdleConns(10)
		sdb.SetConnMaxIdleTime(5 * time.Minute)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sdb.PingContext(pingCtx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, err)
	}
	return &DB{db: sdb, dialect: dialect, Now: func() time.Time { return time.Now().UTC() }}, nil
}

// CheckURL reports whether dsn is a database URL Open accepts: postgres://…,
// postgresql://…, or sqlite:PATH (or a bare path) whose folder exists. It
// creates nothing and connects to nothing.
func CheckURL(dsn string) error {
	_, _, err := parseDSN(dsn)
	return err
}

// parseDSN returns the dialect and the driver's own DSN for a Jarvis database URL.
func parseDSN(dsn string) (Dialect, string, error) {
	switch {
	case dsn == "":
		return "", "", errors.New("database URL is empty")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if u, err := url.Parse(dsn); err != nil || u.Host == "" {
			return "", "", fmt.Errorf("%q is not a PostgreSQL URL (postgres://user:password@host:5432/db)", redactDSN(dsn))
		}
		return Postgres, dsn, nil
	}
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite://"), "sqlite:")
	if path == "" {
		return "", "", errors.New("sqlite database URL has no path")
	}
	if strings.Contains(path, "://") {
		return "", "", fmt.Errorf("unsupported database URL scheme in %q: use postgres:// or sqlite:PATH", redactDSN(dsn))
	}
	if path != ":memory:" {
		if dir := filepath.Dir(path); dir != "." {
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return "", "", fmt.Errorf("the folder %s for the SQLite database does not exist: create it first", dir)
			}
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	return SQLite, "file:" + path + "?" + q.Encode(), nil
}

// redactDSN hides a password in a database URL, for messages.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return u.Redacted()
}

// Dialect reports which database this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// SQL returns the underlying handle, for tests and tools.
func (db *DB) SQL() *sql.DB { return db.db }

// Close closes the database.
func (db *DB) Close() error { return db.db.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.db.PingContext(ctx) }

// migrationsFS returns the migrations of the dialect.
func (db *DB) migrationsFS() fs.FS {
	sub, err := fs.Sub(migrations, "migrations/"+string(db.dialect))
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}

// now returns the clock's time in UTC, truncated to microseconds, which both
// databases store exactly.
func (db *DB) now() time.Time { return db.Now().UTC().Truncate(time.Microsecond) }

// ts converts a time to the value stored for it. SQLite keeps times as text,
// so they are written in a fixed-width form that sorts and compares correctly.
func (db *DB) ts(t time.Time) any {
	if db.dialect == SQLite {
		return t.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	return t.UTC()
}

// nullTS is ts for an optional time.
func (db *DB) nullTS(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return db.ts(*t)
}

// newID returns a UUIDv7: unique, and ordered by creation time.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// withTx runs fn in a transaction, committing if fn returns nil.
func (db *DB) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// isUniqueViolation reports whether err is a unique-constraint violation,
// by the driver's error code.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// notFound turns sql.ErrNoRows into ENOTFOUND with the given message.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return jarvis.Errorf(jarvis.ENOTFOUND, "%s not found.", what)
	}
	return err
}

// nullString scans a nullable text column.
func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
