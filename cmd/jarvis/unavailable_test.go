package main

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// A database with no room for another connection: a request answers 503
// service_unavailable with Retry-After, the log says why, /ready says the
// database is unavailable; once connections are free again, all is well.
func TestDatabaseOutOfConnections(t *testing.T) {
	if len(sqldbtest.Dialects(t)) < 2 {
		t.Skip("needs PostgreSQL")
	}
	const limit = 3
	dsn := sqldbtest.LimitedURL(t, limit)
	e := startEnv(t, envOptions{dialect: sqldb.Postgres, dbURL: dsn + "&pool_max_conns=2"})
	tok := e.signIn("ada@example.com")
	e.synced("ada@example.com")
	e.json("GET", "/me", tok, nil, 200, nil)
	// Background jobs would take connections of their own at any moment.
	if err := e.Main.Jobs.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	// The server keeps no idle connection, so its next query needs a new
	// one; the test takes every connection the role may have.
	e.Main.DB.SQL().SetMaxIdleConns(0)
	e.Main.Audit.Flush()
	release := sqldbtest.HoldConnections(t, dsn, limit)

	resp, body := e.do("GET", "/me", tok, nil)
	if resp.StatusCode != 503 || !strings.Contains(string(body), `"code":"service_unavailable"`) || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("GET /me out of connections: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	if !strings.Contains(e.Logs.String(), "too_many_connections") {
		t.Fatalf("the log does not say why:\n%s", e.Logs.String())
	}
	u, _ := url.Parse(dsn)
	if pw, _ := u.User.Password(); pw == "" || strings.Contains(e.Logs.String(), pw) {
		t.Fatal("the log holds the database password")
	}
	p := e.problem("GET", "/ready", "", nil, 503, "service_unavailable")
	if p["field"] != "database" || !strings.Contains(p["detail"].(string), "too_many_connections") {
		t.Fatalf("ready = %v", p)
	}

	// PostgreSQL frees a closed session's slot a moment after the client
	// hangs up: Jarvis recovers by itself once it has.
	release()
	waitFor(t, "GET /me to answer again once connections are free", func() bool {
		resp, _ := e.do("GET", "/me", tok, nil)
		return resp.StatusCode == 200
	})
	e.json("GET", "/ready", "", nil, 200, nil)
}
