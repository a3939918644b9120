package sqldb

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/jarvis-hq/jarvis"
)

// UnavailableRetryAfter is the Retry-After of a service_unavailable error:
// long enough for a pool or a restarting server to make room.
const UnavailableRetryAfter = 5 * time.Second

// UnavailableReason names, by driver error code or type, why err says the
// database cannot serve now, or returns "" when it does not say so:
//
//   - too_many_connections: PostgreSQL SQLSTATE 53300 (the server's or the
//     role's connection limit);
//   - cannot_connect_now, admin_shutdown, crash_shutdown: SQLSTATE 57P03,
//     57P01, 57P02 (starting, stopping or restarting);
//   - connection_exception: SQLSTATE class 08;
//   - connection_refused: nothing listens at the address;
//   - timeout: the network did not answer in time;
//   - network: another network failure while connecting or talking;
//   - connection_lost: the server closed the connection mid-conversation
//     (io.EOF or io.ErrUnexpectedEOF from the driver's read, pgconn's
//     ErrConnClosed, or database/sql's driver.ErrBadConn once its retries
//     are spent), as when PostgreSQL is stopped;
//   - database_busy: SQLite still locked after its busy timeout.
//
// Authentication failures, a missing database and SQL errors are not
// unavailability: they need an operator, not a retry.
func UnavailableReason(err error) string {
	if err == nil {
		return ""
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "53300":
			return "too_many_connections"
		case pgErr.Code == "57P03":
			return "cannot_connect_now"
		case pgErr.Code == "57P01":
			return "admin_shutdown"
		case pgErr.Code == "57P02":
			return "crash_shutdown"
		case strings.HasPrefix(pgErr.Code, "08"):
			return "connection_exception"
		}
		return ""
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		if c := sqErr.Code() & 0xff; c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED {
			return "database_busy"
		}
		return ""
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return "connection_refused"
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, driver.ErrBadConn) {
		return "connection_lost"
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		if netErr.Timeout() {
			return "timeout"
		}
		return "network"
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) && errors.Is(err, context.DeadlineExceeded) {
		// connect_timeout ran out before the server answered.
		return "timeout"
	}
	return ""
}

// Unavailable returns err as a service_unavailable *jarvis.Error, keeping err
// as its cause, when UnavailableReason recognises it; any other error,
// including one that already carries a code, is returned unchanged.
func Unavailable(err error) error {
	reason := UnavailableReason(err)
	if reason == "" {
		return err
	}
	var je *jarvis.Error
	if errors.As(err, &je) {
		return err
	}
	return &jarvis.Error{Code: jarvis.EUNAVAILABLE, Message: "The database is unavailable right now. Try again shortly.",
		RetryAfter: UnavailableRetryAfter, Err: fmt.Errorf("database unavailable (%s): %w", reason, err)}
}
