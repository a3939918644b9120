// Package sqldb stores Jarvis's state with database/sql, on PostgreSQL (pgx)
// or SQLite (modernc.org/sqlite), through one code path: the same SQL text,
// with $N placeholders, runs on both. Driver errors become jarvis errors here,
// matched by code, never by message.
package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"go.opentelemetry.io/otel/trace"
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
//
// A PostgreSQL URL may carry pool_max_conns=N (default 20): the most
// connections this process opens. It is read here and not sent to the
// server. connect_timeout defaults to 10 seconds. A connection the database
// refuses, has no room for, or does not answer in time is an error with
// code service_unavailable (see Unavailable).
func Open(ctx context.Context, dsn string) (*DB, error) { return OpenPool(ctx, dsn, Pool{}) }

// Pool sizes the PostgreSQL connection pool; SQLite keeps its own (8
// connections, one writer at a time).
type Pool struct {
	// MaxConns is the most connections this process opens. Default: the
	// URL's pool_max_conns, else 20.
	MaxConns int
	// MaxIdleConns is how many stay open while idle (each closes after 5
	// idle minutes). Default: MaxConns. Fewer means that every burst
	// beyond them opens (and then closes) new sessions, which under load
	// costs more than the connections it saves.
	MaxIdleConns int
	// Tracer, when set, makes a span of each query run within a traced
	// context (see tracedConnector); nil: none.
	Tracer trace.TracerProvider
}

// OpenPool is Open with the pool sized by pool.
func OpenPool(ctx context.Context, dsn string, pool Pool) (*DB, error) {
	p, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if pool.MaxConns > 0 {
		p.maxConns = pool.MaxConns
	}
	idle := p.maxConns
	if pool.MaxIdleConns > 0 {
		idle = min(pool.MaxIdleConns, p.maxConns)
	}
	var sdb *sql.DB
	if p.dialect == SQLite {
		if err := createPrivateFile(p.path); err != nil {
			return nil, err
		}
		if sdb, err = sql.Open("sqlite", p.driverDSN); err != nil {
			return nil, fmt.Errorf("open %s database: %w", p.dialect, err)
		}
		// The registered driver (sql.Open connects nothing), wrapped.
		drv := sdb.Driver()
		sdb.Close()
		sdb = sql.OpenDB(tracedConnector{Connector: dsnConnector{dsn: p.driverDSN, drv: drv}, tracer: tracer(pool), system: "sqlite"})
		// WAL lets readers run beside the one writer; _txlock=immediate takes
		// the write lock at BEGIN so that transactions queue on the busy
		// timeout instead of failing with SQLITE_BUSY on upgrade.
		sdb.SetMaxOpenConns(8)
		sdb.SetMaxIdleConns(8)
		sdb.SetConnMaxIdleTime(0)
	} else {
		c, err := stdlib.GetDefaultDriver().(driver.DriverContext).OpenConnector(p.driverDSN)
		if err != nil {
			return nil, fmt.Errorf("open %s database: %w", p.dialect, err)
		}
		sdb = sql.OpenDB(tracedConnector{Connector: c, tracer: tracer(pool), system: "postgresql"})
		sdb.SetMaxOpenConns(p.maxConns)
		sdb.SetMaxIdleConns(idle)
		sdb.SetConnMaxIdleTime(5 * time.Minute)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sdb.PingContext(pingCtx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("connect to %s database: %w", p.dialect, err)
	}
	if p.dialect == SQLite {
		privateSidecars(p.path)
	}
	return &DB{db: sdb, dialect: p.dialect, Now: func() time.Time { return time.Now().UTC() }}, nil
}

// tracer is the pool's tracer, or nil.
func tracer(pool Pool) trace.Tracer {
	if pool.Tracer == nil {
		return nil
	}
	return pool.Tracer.Tracer(tracerName)
}

// CheckURL reports whether dsn is a database URL Open accepts: postgres://…,
// postgresql://…, or sqlite:PATH (or a bare path) whose folder exists. It
// creates nothing and connects to nothing.
func CheckURL(dsn string) error {
	_, err := parseDSN(dsn)
	return err
}

// PoolMaxConnsParam is the PostgreSQL URL parameter that caps the pool.
const PoolMaxConnsParam = "pool_max_conns"

// parsedDSN is a Jarvis database URL taken apart.
type parsedDSN struct {
	dialect   Dialect
	driverDSN string // the driver's own DSN
	path      string // SQLite: the database file ("" in memory)
	maxConns  int    // PostgreSQL: the pool's size
}

// parseDSN returns the dialect, the driver's own DSN and the pool settings
// of a Jarvis database URL.
func parseDSN(dsn string) (parsedDSN, error) {
	switch {
	case dsn == "":
		return parsedDSN{}, errors.New("database URL is empty")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if u, err := url.Parse(dsn); err != nil || u.Host == "" {
			return parsedDSN{}, fmt.Errorf("%q is not a PostgreSQL URL (postgres://user:password@host:5432/db)", redactDSN(dsn))
		}
		return parsePostgresDSN(dsn)
	}
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite://"), "sqlite:")
	if path == "" {
		return parsedDSN{}, errors.New("sqlite database URL has no path")
	}
	if strings.Contains(path, "://") {
		return parsedDSN{}, fmt.Errorf("unsupported database URL scheme in %q: use postgres:// or sqlite:PATH", redactDSN(dsn))
	}
	if path != ":memory:" {
		if dir := filepath.Dir(path); dir != "." {
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return parsedDSN{}, fmt.Errorf("the folder %s for the SQLite database does not exist: create it first", dir)
			}
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	file := path
	if path == ":memory:" {
		file = ""
	}
	return parsedDSN{dialect: SQLite, driverDSN: "file:" + path + "?" + q.Encode(), path: file}, nil
}

// parsePostgresDSN takes pool_max_conns out of a PostgreSQL URL and gives it
// a connect_timeout when it has none.
func parsePostgresDSN(dsn string) (parsedDSN, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return parsedDSN{}, errors.New("database URL is not a valid URL")
	}
	p := parsedDSN{dialect: Postgres, maxConns: 20}
	q := u.Query()
	if v := q.Get(PoolMaxConnsParam); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return parsedDSN{}, fmt.Errorf("database URL: %s=%q is not a number from 1 to 1000", PoolMaxConnsParam, v)
		}
		p.maxConns = n
		q.Del(PoolMaxConnsParam)
	}
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", "10")
	}
	u.RawQuery = q.Encode()
	p.driverDSN = u.String()
	return p, nil
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

// Ping checks that the database answers; service_unavailable when it
// cannot be reached or has no room for a connection.
func (db *DB) Ping(ctx context.Context) error { return Unavailable(db.db.PingContext(ctx)) }

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
		return fmt.Errorf("begin: %w", Unavailable(err))
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return Unavailable(err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", Unavailable(err))
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
