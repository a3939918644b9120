package sqldb_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// Driver errors are told apart by code and type, never by their text.
func TestUnavailableReason(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&pgconn.PgError{Code: "53300"}, "too_many_connections"},
		{fmt.Errorf("begin: %w", &pgconn.PgError{Code: "57P03"}), "cannot_connect_now"},
		{&pgconn.PgError{Code: "57P01"}, "admin_shutdown"},
		{&pgconn.PgError{Code: "08006"}, "connection_exception"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, "connection_refused"},
		{&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, "network"},
		{fmt.Errorf("query: %w", io.ErrUnexpectedEOF), "connection_lost"},
		{fmt.Errorf("failed to receive message: %w", io.EOF), "connection_lost"},
		{fmt.Errorf("exec: %w", pgconn.ErrConnClosed), "connection_lost"},
		{driver.ErrBadConn, "connection_lost"},
		{&pgconn.PgError{Code: "28P01", Message: "too many connections"}, ""}, // a wrong password needs an operator
		{&pgconn.PgError{Code: "23505"}, ""},
		{errors.New("too many clients already"), ""},
		{context.Canceled, ""},
		{nil, ""},
	} {
		if got := sqldb.UnavailableReason(c.err); got != c.want {
			t.Errorf("UnavailableReason(%v) = %q, want %q", c.err, got, c.want)
		}
		err := sqldb.Unavailable(c.err)
		if got := jarvis.IsCode(err, jarvis.EUNAVAILABLE); got != (c.want != "") {
			t.Errorf("Unavailable(%v) = %v", c.err, err)
		}
	}
	// An error that already has a code keeps it.
	coded := &jarvis.Error{Code: jarvis.ENOTFOUND, Err: &pgconn.PgError{Code: "53300"}}
	if err := sqldb.Unavailable(coded); err != error(coded) {
		t.Errorf("Unavailable(coded) = %v", err)
	}
}

// A server that refuses the connection is service_unavailable, with a
// Retry-After and the reason in the cause.
func TestOpenRefusedIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = sqldb.Open(context.Background(), "postgres://jarvis:secret-password@"+addr+"/jarvis?sslmode=disable")
	var je *jarvis.Error
	if !errors.As(err, &je) || je.Code != jarvis.EUNAVAILABLE || je.RetryAfter <= 0 {
		t.Fatalf("open refused: %v", err)
	}
	if !strings.Contains(err.Error(), "connection_refused") || strings.Contains(err.Error(), "secret-password") {
		t.Fatalf("error text %q", err)
	}
}

func TestPoolMaxConns(t *testing.T) {
	if _, err := sqldb.Open(context.Background(), "postgres://127.0.0.1/x?pool_max_conns=0"); err == nil || !strings.Contains(err.Error(), "pool_max_conns") {
		t.Fatalf("pool_max_conns=0: %v", err)
	}
	if len(sqldbtest.Dialects(t)) < 2 {
		t.Skip("PostgreSQL is not configured")
	}
	db := sqldbtest.Open(t, sqldb.Postgres)
	if n := db.SQL().Stats().MaxOpenConnections; n != sqldbtest.PoolMaxConns {
		t.Fatalf("max open connections %d, want %d", n, sqldbtest.PoolMaxConns)
	}
}

// A role at its connection limit: the pool cannot open a connection, and
// Ping and a transaction say service_unavailable, too_many_connections.
func TestOutOfConnectionsIsUnavailable(t *testing.T) {
	if len(sqldbtest.Dialects(t)) < 2 {
		t.Skip("PostgreSQL is not configured")
	}
	ctx := context.Background()
	dsn := sqldbtest.LimitedURL(t, 2)
	db := sqldbtest.OpenURL(t, dsn+"&pool_max_conns=2")
	db.SQL().SetMaxIdleConns(0) // every query needs a new connection
	sqldbtest.HoldConnections(t, dsn, 2)
	err := db.Ping(ctx)
	if !jarvis.IsCode(err, jarvis.EUNAVAILABLE) || sqldb.UnavailableReason(err) != "too_many_connections" {
		t.Fatalf("ping at the limit: %v", err)
	}
	if _, err := db.EnsureUser(ctx, "ada@example.com", "Ada"); !jarvis.IsCode(err, jarvis.EUNAVAILABLE) {
		t.Fatalf("write at the limit: %v", err)
	}
}

// SQLite still locked after its busy timeout is service_unavailable.
func TestSQLiteBusyIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	open := func() *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)&_txlock=immediate")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(), open()
	if _, err := a.Exec("CREATE TABLE t (x int)"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tx, err := a.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	_, err = b.BeginTx(ctx, nil)
	if got := sqldb.UnavailableReason(err); got != "database_busy" {
		t.Fatalf("second writer: %v, reason %q", err, got)
	}
}

// A connection PostgreSQL ends under a query (as stopping the server does
// to every session: FATAL 57P01) is service_unavailable with a Retry-After
// whatever runs the query: the classification is the pool's, not each
// storage method's. The pool then carries on with a new connection.
func TestConnectionEndedIsUnavailable(t *testing.T) {
	if len(sqldbtest.Dialects(t)) < 2 {
		t.Skip("PostgreSQL is not configured")
	}
	ctx := context.Background()
	db := sqldbtest.Open(t, sqldb.Postgres)
	_, err := db.SQL().ExecContext(ctx, "SELECT pg_terminate_backend(pg_backend_pid())")
	var je *jarvis.Error
	if !errors.As(err, &je) || je.Code != jarvis.EUNAVAILABLE || je.RetryAfter <= 0 || sqldb.UnavailableReason(err) != "admin_shutdown" {
		t.Fatalf("query on a connection the server ended: %v", err)
	}
	if _, err := db.EnsureUser(ctx, "ada@example.com", "Ada"); err != nil {
		t.Fatalf("after the ended connection: %v", err)
	}
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_terminate_backend(pg_backend_pid())"); !jarvis.IsCode(err, jarvis.EUNAVAILABLE) {
		t.Fatalf("in a transaction: %v", err)
	}
	if err := tx.Commit(); !jarvis.IsCode(err, jarvis.EUNAVAILABLE) {
		t.Fatalf("commit on an ended connection: %v", err)
	}
}
