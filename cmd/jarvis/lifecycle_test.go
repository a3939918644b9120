package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// /livez answers for the process, /readyz for its dependencies: the
// database, and Redis only when it is configured. The OpenAPI description
// has both.
func TestLivezAndReadyz(t *testing.T) {
	e := startEnv(t, envOptions{})
	var live map[string]string
	e.json("GET", "/livez", "", nil, 200, &live)
	if live["status"] != "ok" {
		t.Fatalf("livez = %v", live)
	}
	var ready struct {
		Status string
		Checks map[string]string
	}
	e.json("GET", "/readyz", "", nil, 200, &ready)
	if ready.Status != "ok" || len(ready.Checks) != 1 || ready.Checks["database"] != "ok" {
		t.Fatalf("readyz = %+v", ready)
	}
	var spec struct{ Paths map[string]any }
	e.json("GET", "/openapi.json", "", nil, 200, &spec)
	for _, p := range []string{"/livez", "/readyz"} {
		if spec.Paths[p] == nil {
			t.Errorf("the OpenAPI description lacks %s", p)
		}
	}
	// Draining: readiness says so, liveness and every other route still answer.
	e.Main.API.Drain()
	p := e.problem("GET", "/readyz", "", nil, 503, "service_unavailable")
	if p["field"] != "shutdown" {
		t.Fatalf("readyz while draining = %v", p)
	}
	e.problem("GET", "/ready", "", nil, 503, "service_unavailable")
	e.json("GET", "/livez", "", nil, 200, nil)
}

// PostgreSQL unreachable (its connections cut, new ones refused): /readyz
// answers 503 naming the database, /livez still 200; once it is back,
// /readyz is 200 again without restarting Jarvis.
func TestReadyzDatabaseUnreachable(t *testing.T) {
	if len(sqldbtest.Dialects(t)) < 2 {
		t.Skip("needs PostgreSQL")
	}
	dsn := sqldbtest.URL(t, sqldb.Postgres)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.addr
	e := startEnv(t, envOptions{dialect: sqldb.Postgres, dbURL: u.String()})
	e.json("GET", "/readyz", "", nil, 200, nil)

	proxy.cut()
	resp, body := e.do("GET", "/readyz", "", nil)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), `"field":"database"`) ||
		!strings.Contains(string(body), `"code":"service_unavailable"`) {
		t.Fatalf("readyz with the database unreachable: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	e.json("GET", "/livez", "", nil, 200, nil)

	proxy.restore()
	waitFor(t, "readiness once the database is back", func() bool {
		resp, _ := e.do("GET", "/readyz", "", nil)
		return resp.StatusCode == 200
	})
}

// SIGTERM to a real `jarvis serve`: readiness turns 503 at once while
// requests are still served (JARVIS_SHUTDOWN_DELAY), a request in flight
// gets its whole answer, an open event stream ends with a retry hint, and
// the process exits cleanly.
func TestSIGTERMDrains(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := jarvisBinary(t)
	sb, err := newSandbox("127.0.0.1:0", sandbox.Config{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "jarvis.db")
	secrets := testSecrets(t)
	logFile, err := os.Create(filepath.Join(t.TempDir(), "jarvis.log"))
	if err != nil {
		t.Fatal(err)
	}
	p := &jarvisProcess{t: t, bin: bin, addr: freeAddr(t), log: logFile, env: []string{
		"JARVIS_DATABASE_URL=" + dbURL, "JARVIS_JWT_SECRET=" + string(secrets.JWTSecret), "JARVIS_ENCRYPTION_KEYS=" + secrets.EncryptionKeys,
		"GOOGLE_CLIENT_ID=" + sandbox.DefaultClientID, "GOOGLE_CLIENT_SECRET=" + sandbox.DefaultClientSecret,
		"JARVIS_GOOGLE_BASE_URL=" + sb.URL, "JARVIS_OPEN_SIGNUP=true", "JARVIS_LOG_FORMAT=json",
		"JARVIS_SHUTDOWN_DELAY=2s", "JARVIS_SHUTDOWN_GRACE=20s"}}
	p.start()
	t.Cleanup(p.kill)
	logs := func() string { b, _ := os.ReadFile(logFile.Name()); return string(b) }
	e := &testEnv{t: t, URL: p.URL(), Sandbox: sb, client: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	tok := e.signIn("ada@example.com")
	stream := openEventLines(t, e.URL, tok)

	// A sign-in in flight: Google takes 3 s to exchange its code.
	code, state := e.authorize("grace@example.com")
	if err := sb.Google.SetFaults(sandboxLatency(3 * time.Second)); err != nil {
		t.Fatal(err)
	}
	sb.Google.ResetStats()
	var wg sync.WaitGroup
	var inFlight int
	wg.Add(1)
	go func() {
		defer wg.Done()
		resp, err := http.Post(e.URL+"/auth/google/callback", "application/json", strings.NewReader(`{"code":"`+code+`","state":"`+state+`"}`))
		if err != nil {
			t.Errorf("the sign-in in flight at SIGTERM: %v", err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		inFlight = resp.StatusCode
	}()
	waitFor(t, "the sign-in to reach Google", func() bool { return sb.Google.Stats()["token.exchange"] > 0 })

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Not ready, still serving.
	waitFor(t, "readiness to turn 503", func() bool {
		resp, err := http.Get(e.URL + "/readyz")
		if err != nil {
			t.Fatalf("the listener closed before readiness turned 503: %v\n%s", err, logs())
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	e.json("GET", "/livez", "", nil, 200, nil)

	wg.Wait()
	if inFlight != 200 {
		t.Fatalf("the sign-in in flight at SIGTERM got %d\n%s", inFlight, logs())
	}
	if err := sb.Google.SetFaults(sandboxLatency(0)); err != nil {
		t.Fatal(err)
	}
	var lines []string
	deadline := time.After(30 * time.Second)
	for open := true; open; {
		select {
		case line, ok := <-stream:
			if open = ok; ok {
				lines = append(lines, line)
			}
		case <-deadline:
			t.Fatalf("the event stream did not end: %q", lines)
		}
	}
	retry := false
	for _, l := range lines {
		retry = retry || strings.HasPrefix(l, "retry: ")
	}
	if !retry {
		t.Fatalf("the event stream ended without a retry hint: %q", lines)
	}

	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	select {
	case err := <-exited:
		p.cmd = nil
		if err != nil {
			t.Fatalf("jarvis exited with %v\n%s", err, logs())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("jarvis did not exit after SIGTERM\n%s", logs())
	}
	if _, err := http.Get(e.URL + "/livez"); err == nil {
		t.Fatal("jarvis still answers after it exited")
	}
}

// openEventLines opens GET /events and sends each line of the stream,
// closing the channel when the server ends it.
func openEventLines(t *testing.T, base, tok string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("GET /events: %v %v", resp, err)
	}
	out := make(chan string, 100)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			out <- sc.Text()
		}
	}()
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	return out
}

// tcpProxy forwards connections to a backend until cut, when it closes
// them all and refuses new ones; restore listens again on the same address.
type tcpProxy struct {
	t       *testing.T
	addr    string
	backend string

	mu       sync.Mutex
	ln       net.Listener
	conns    map[net.Conn]bool
	accepted int
}

// Accepted counts the connections the proxy has accepted.
func (p *tcpProxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

func newTCPProxy(t *testing.T, backend string) *tcpProxy {
	p := &tcpProxy{t: t, backend: backend, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", p.backend)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.accepted++
			p.conns[c], p.conns[b] = true, true
			p.mu.Unlock()
			go func() { _, _ = io.Copy(b, c); b.Close() }()
			go func() { _, _ = io.Copy(c, b); c.Close() }()
		}
	}()
}

func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *tcpProxy) restore() {
	var ln net.Listener
	waitFor(p.t, "the proxy's address to be free again", func() bool {
		var err error
		ln, err = net.Listen("tcp", p.addr)
		return err == nil || !errors.Is(err, syscall.EADDRINUSE)
	})
	if ln == nil {
		p.t.Fatalf("listen again on %s", p.addr)
	}
	p.serve(ln)
}

// A sync still running when the shutdown grace ends is cancelled and handed
// back: River records the attempt for a retry (by any replica), and the
// job is not left "running" for the rescuer to find an hour later.
func TestShutdownHandsRunningJobsBack(t *testing.T) {
	e := startEnv(t, envOptions{configure: func(c *config.Config) { c.ShutdownGrace = time.Second }})
	e.signIn("ada@example.com")
	if err := e.Sandbox.Google.SetFaults(sandboxLatency(time.Minute)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var id int64
	waitFor(t, "the first sync to be running", func() bool {
		err := e.Main.DB.SQL().QueryRowContext(ctx, `SELECT id FROM river_job WHERE kind = 'gmail_sync' AND state = 'running'`).Scan(&id)
		return err == nil
	})
	waitFor(t, "the sync to wait on Google", func() bool { return len(e.Sandbox.Google.Stats()) > 0 })
	if err := e.Main.Close(); err != nil {
		t.Fatal(err)
	}
	db := sqldbtest.OpenURL(t, e.Main.Config.DatabaseURL)
	var state string
	var errs int
	if err := db.SQL().QueryRowContext(ctx, `SELECT state, COALESCE(json_array_length(errors), 0) FROM river_job WHERE id = $1`, id).Scan(&state, &errs); err != nil {
		t.Fatal(err)
	}
	if state != "retryable" && state != "available" {
		t.Fatalf("the sync cancelled at shutdown is %q (%d errors recorded), want retryable", state, errs)
	}
}
