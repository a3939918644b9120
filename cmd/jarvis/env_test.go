package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/jobs"
	"github.com/jarvis-hq/jarvis/internal/logging"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
	"github.com/jarvis-hq/jarvis/internal/vault"
)

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testEnv is a running Jarvis with its own sandbox Google and database.
type testEnv struct {
	t       testing.TB
	Main    *Main
	Sandbox *Sandbox
	URL     string
	Logs    *syncBuffer
	client  *http.Client
}

// envOptions change how a test Jarvis starts.
type envOptions struct {
	dialect    sqldb.Dialect
	dbURL      string         // share a database between instances
	sandbox    *Sandbox       // share a sandbox between instances
	sandboxCfg sandbox.Config // for a new sandbox
	configure  func(*config.Config)
	secrets    *config.Config // share JWT secret and keys between instances
	main       func(*Main)    // adjust Main before it runs
}

func testSecrets(t testing.TB) *config.Config {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	key, err := vault.GenerateKey("test1")
	if err != nil {
		t.Fatal(err)
	}
	return &config.Config{JWTSecret: []byte(base64.RawURLEncoding.EncodeToString(b)), EncryptionKeys: key}
}

// startEnv starts a sandbox (unless one is given) and a Jarvis on 127.0.0.1:0.
func startEnv(t testing.TB, o envOptions) *testEnv {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sb := o.sandbox
	if sb == nil {
		var err error
		sb, err = newSandbox("127.0.0.1:0", o.sandboxCfg, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sb.Close() })
	}
	if o.dialect == "" {
		o.dialect = sqldb.SQLite
	}
	if o.dbURL == "" && o.dialect == sqldb.SQLite {
		o.dbURL = sqldbtest.SQLiteCopy(t, "jarvis", migrateAll)
	} else if o.dbURL == "" {
		o.dbURL = sqldbtest.URL(t, o.dialect)
	}
	if o.secrets == nil {
		o.secrets = testSecrets(t)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(string) (string, bool) { return "", false }, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = ln.Addr().String()
	cfg.DatabaseURL = o.dbURL
	cfg.JWTSecret, cfg.EncryptionKeys = o.secrets.JWTSecret, o.secrets.EncryptionKeys
	cfg.GoogleBaseURL = sb.URL
	cfg.GoogleClientID, cfg.GoogleClientSecret = sandbox.DefaultClientID, sandbox.DefaultClientSecret
	cfg.OpenSignup = true
	cfg.LLMProvider = "sandbox"
	cfg.ShutdownGrace = 10 * time.Second
	cfg.ShutdownDelay = 0
	cfg.LogFormat = "json"
	if o.configure != nil {
		o.configure(cfg)
	}
	cfg.ApplyDefaults()
	// Jobs start within a tenth of a second of their time, not of River's
	// five-second pass: follow-ups, snoozes and retries are what tests
	// wait for most.
	m := &Main{Config: cfg, Logger: logging.New(logs, "json", "debug"), Migrate: true, Listener: ln, ScheduleJobsEvery: 100 * time.Millisecond}
	m.HTTP.Observe = observed.record
	if o.main != nil {
		o.main(m)
	}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatalf("start jarvis: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return &testEnv{t: t, Main: m, Sandbox: sb, URL: m.URL(), Logs: logs, client: &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// oneDialect is the database of an end-to-end test that does not test the
// store (internal/sqldb holds the store to both databases): PostgreSQL when
// the suite has it, SQLite otherwise. Under the race detector SQLite runs
// the same test about twice as long.
func oneDialect(t testing.TB) sqldb.Dialect {
	t.Helper()
	ds := sqldbtest.Dialects(t)
	return ds[len(ds)-1]
}

// oneDB runs fn as a subtest on oneDialect, where sqldbtest.Each runs it
// on every database.
func oneDB(t *testing.T, fn func(t *testing.T, d sqldb.Dialect)) {
	t.Helper()
	d := oneDialect(t)
	t.Run(string(d), func(t *testing.T) { fn(t, d) })
}

// migrateAll brings a new database to the schema serve --migrate makes:
// Jarvis's tables and River's.
func migrateAll(ctx context.Context, dsn string) error {
	db, err := sqldb.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.MigrateUp(ctx); err != nil {
		return err
	}
	return jobs.Migrate(ctx, db.SQL(), db.Dialect() == sqldb.SQLite)
}

// do sends a request with an optional bearer token and JSON body and
// returns the response with its body read.
func (e *testEnv) do(method, path, token string, body any, headers ...string) (*http.Response, []byte) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	u := path
	if !strings.HasPrefix(path, "http") {
		u = e.URL + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// json sends a request, checks the status and decodes the JSON answer into v.
func (e *testEnv) json(method, path, token string, body any, want int, v any, headers ...string) *http.Response {
	e.t.Helper()
	resp, b := e.do(method, path, token, body, headers...)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return resp
}

// problem checks that a response is a problem with the status and code.
func (e *testEnv) problem(method, path, token string, body any, status int, code string, headers ...string) map[string]any {
	e.t.Helper()
	resp, b := e.do(method, path, token, body, headers...)
	var p map[string]any
	_ = json.Unmarshal(b, &p)
	if resp.StatusCode != status || p["code"] != code || resp.Header.Get("Content-Type") != "application/problem+json" {
		e.t.Fatalf("%s %s: %d %s, want %d %s problem", method, path, resp.StatusCode, b, status, code)
	}
	if p["request_id"] == "" || p["request_id"] != resp.Header.Get("X-Request-Id") {
		e.t.Fatalf("%s %s: problem without the request id: %s", method, path, b)
	}
	return p
}

// authorize runs the consent step the way a script does (login_hint and
// prompt=none) and returns the code and state the sandbox redirects with.
func (e *testEnv) authorize(email string) (code, state string) {
	e.t.Helper()
	var start struct {
		AuthorizationURL string `json:"authorization_url"`
		State            string `json:"state"`
	}
	e.json("GET", "/auth/google/start", "", nil, 200, &start, "Accept", "application/json")
	resp, _ := e.do("GET", start.AuthorizationURL+"&login_hint="+url.QueryEscape(email)+"&prompt=none", "", nil)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		e.t.Fatalf("authorize: %d %v", resp.StatusCode, resp.Header)
	}
	q := loc.Query()
	if q.Get("state") != start.State || q.Get("code") == "" {
		e.t.Fatalf("authorize redirect %s", loc)
	}
	return q.Get("code"), q.Get("state")
}

// signIn signs the sandbox account in through the API callback and returns
// Jarvis's access token.
func (e *testEnv) signIn(email string) string {
	e.t.Helper()
	code, state := e.authorize(email)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	e.json("POST", "/auth/google/callback", "", map[string]string{"code": code, "state": state}, 200, &tok)
	if tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn <= 0 {
		e.t.Fatalf("token answer %+v", tok)
	}
	return tok.AccessToken
}

// token mints a token for a user by email, as `jarvis token` does.
func (e *testEnv) token(email string) string {
	e.t.Helper()
	var out bytes.Buffer
	lookup := func(k string) (string, bool) {
		switch k {
		case "JARVIS_DATABASE_URL":
			return e.Main.Config.DatabaseURL, true
		case "JARVIS_JWT_SECRET":
			return string(e.Main.Config.JWTSecret), true
		}
		return "", false
	}
	if err := run(context.Background(), []string{"token", "--email", email}, nil, &out, io.Discard, lookup); err != nil {
		e.t.Fatalf("jarvis token: %v", err)
	}
	return strings.TrimSpace(out.String())
}

// waitFor polls cond until it holds, failing the test if it still does not
// after 30 seconds (a bound for a loaded machine, not an expected time).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
