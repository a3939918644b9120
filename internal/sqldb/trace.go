package sqldb

import (
	"context"
	"database/sql/driver"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"modernc.org/sqlite"
)

// tracerName names the spans this package makes.
const tracerName = "github.com/jarvis-hq/jarvis/internal/sqldb"

// maxQueryText bounds the SQL text recorded on a span.
const maxQueryText = 2000

// tracedConnector wraps every connection of the pool. Each error its
// connections return passes through Unavailable, so that a database that
// cannot serve (down, restarting, out of connections, busy) is
// service_unavailable whichever query meets it, at the storage boundary.
// When a tracer is set it also makes a client span of each query and
// statement run within a traced context (a request, a job): named by the
// SQL operation (SELECT, INSERT, …), with db.system.name and the SQL text,
// which holds $N placeholders and never a value (values are arguments,
// which are not recorded). A query outside any trace — River polling for
// jobs, the janitor — makes no span, so that idle work does not fill the
// exporter with root spans. A span ends when the statement has run (for a
// query, at its first row), not when its rows are read.
type tracedConnector struct {
	driver.Connector
	tracer trace.Tracer // nil: no spans
	system string       // postgresql or sqlite
}

func (c tracedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, Unavailable(err)
	}
	return &tracedConn{Conn: conn, c: c}, nil
}

// unavailable is Unavailable(err), unless ctx has ended: then the error is
// the caller's own deadline or cancellation, not the database's state.
func unavailable(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil {
		return err
	}
	return Unavailable(err)
}

// dsnConnector is a connector for a driver that has none of its own.
type dsnConnector struct {
	dsn string
	drv driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

// tracedConn passes every optional interface of database/sql through to
// the driver's connection, answering driver.ErrSkip (or the default) where
// the driver has none, so that database/sql behaves as without it.
type tracedConn struct {
	driver.Conn
	c tracedConnector
}

func (c *tracedConn) start(ctx context.Context, query string) (context.Context, trace.Span) {
	if c.c.tracer == nil || !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx, nil
	}
	if len(query) > maxQueryText {
		query = query[:maxQueryText]
	}
	return c.c.tracer.Start(ctx, operation(query), trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("db.system.name", c.c.system), attribute.String("db.operation.name", operation(query)), attribute.String("db.query.text", query)))
}

func end(span trace.Span, err error) {
	if span == nil {
		return
	}
	if err != nil && !errors.Is(err, driver.ErrSkip) {
		span.SetStatus(codes.Error, "query failed")
		if code := errorCode(err); code != "" {
			span.SetAttributes(attribute.String("db.response.status_code", code))
		}
	}
	span.End()
}

func (c *tracedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	ctx, span := c.start(ctx, query)
	rows, err := q.QueryContext(ctx, query, args)
	end(span, err)
	return rows, unavailable(ctx, err)
}

func (c *tracedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	ctx, span := c.start(ctx, query)
	res, err := e.ExecContext(ctx, query, args)
	end(span, err)
	return res, unavailable(ctx, err)
}

func (c *tracedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err := p.PrepareContext(ctx, query)
		return st, unavailable(ctx, err)
	}
	st, err := c.Conn.Prepare(query)
	return st, Unavailable(err)
}

func (c *tracedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	var tx driver.Tx
	var err error
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else {
		tx, err = c.Conn.Begin() //nolint:staticcheck // the driver has nothing newer
	}
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	return unavailableTx{tx}, nil
}

// unavailableTx classifies the errors of a transaction's end as its
// connection's (see Unavailable).
type unavailableTx struct{ tx driver.Tx }

func (t unavailableTx) Commit() error   { return Unavailable(t.tx.Commit()) }
func (t unavailableTx) Rollback() error { return Unavailable(t.tx.Rollback()) }

func (c *tracedConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return unavailable(ctx, p.Ping(ctx))
	}
	return nil
}

func (c *tracedConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *tracedConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *tracedConn) CheckNamedValue(v *driver.NamedValue) error {
	if n, ok := c.Conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(v)
	}
	return driver.ErrSkip
}

// errorCode is a driver error's code: PostgreSQL's SQLSTATE, SQLite's
// extended result code; "" for any other error.
func errorCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return strconv.Itoa(sqErr.Code())
	}
	return ""
}

// operation is the first word of a statement, upper case: SELECT, INSERT,
// UPDATE, DELETE, WITH, …; "SQL" when there is none.
func operation(query string) string {
	q := strings.TrimSpace(query)
	for strings.HasPrefix(q, "--") { // a leading comment line
		_, q, _ = strings.Cut(q, "\n")
		q = strings.TrimSpace(q)
	}
	end := strings.IndexFunc(q, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') })
	if end < 0 {
		end = len(q)
	}
	if end == 0 || end > 16 {
		return "SQL"
	}
	return strings.ToUpper(q[:end])
}
