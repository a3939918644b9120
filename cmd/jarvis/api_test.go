package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

type meBody struct {
	User struct {
		ID, Email, Name string
	} `json:"user"`
	Orgs []struct {
		ID, Name, Slug, Role string
	} `json:"orgs"`
	Google *struct {
		Status, Email string
		Scopes        []string
	} `json:"google"`
}

func TestHealthReadyOpenAPI(t *testing.T) {
	e := startEnv(t, envOptions{})
	var h map[string]string
	e.json("GET", "/health", "", nil, 200, &h)
	if h["status"] != "ok" {
		t.Fatalf("health = %v", h)
	}
	var r map[string]any
	e.json("GET", "/ready", "", nil, 200, &r)
	var spec map[string]any
	e.json("GET", "/openapi.json", "", nil, 200, &spec)
	if spec["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v", spec["openapi"])
	}
	// With the database gone, /ready says which check fails.
	e.Main.DB.Close()
	p := e.problem("GET", "/ready", "", nil, 503, "service_unavailable")
	if p["field"] != "database" {
		t.Fatalf("ready problem = %v", p)
	}
}

func TestMeAndTokens(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		tok := e.token("Ops@Example.com")
		var me meBody
		e.json("GET", "/me", tok, nil, 200, &me)
		if me.User.Email != "ops@example.com" || len(me.Orgs) != 1 || me.Orgs[0].Role != "owner" || me.Google != nil {
			t.Fatalf("me = %+v", me)
		}
		// The same user again: same id.
		var again meBody
		e.json("GET", "/me", e.token("ops@example.com"), nil, 200, &again)
		if again.User.ID != me.User.ID {
			t.Fatal("jarvis token made a second user")
		}
	})
}

func TestAuthRefusals(t *testing.T) {
	e := startEnv(t, envOptions{})
	tok := e.token("a@example.com")
	cases := []struct {
		name    string
		path    string
		headers []string
	}{
		{"no credentials", "/me", nil},
		{"token in the query string", "/me?access_token=" + tok, nil}, // SECURITY.md line 14
		{"basic auth", "/me", []string{"Authorization", "Basic YTpi"}},
		{"bearer without token", "/me", []string{"Authorization", "Bearer "}},
		{"garbage token", "/me", []string{"Authorization", "Bearer nope"}},
		{"1 MB token", "/me", []string{"Authorization", "Bearer " + strings.Repeat("A", 1<<20)}}, // line 13
		{"alg none", "/me", []string{"Authorization", "Bearer eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0." + strings.Split(tok, ".")[1] + "."}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.problem("GET", tc.path, "", nil, 401, "unauthorized", tc.headers...)
		})
	}
}

func TestLogout(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		t1, t2 := e.token("b@example.com"), e.token("b@example.com")
		e.json("GET", "/me", t1, nil, 200, nil)
		// Logout revokes only the presented token (SECURITY.md line 15) ...
		e.json("POST", "/auth/logout", t1, nil, 204, nil)
		e.problem("GET", "/me", t1, nil, 401, "unauthorized")
		e.json("GET", "/me", t2, nil, 200, nil)
		// ... and a second instance on the same database honours it.
		e2 := startEnv(t, envOptions{dialect: d, dbURL: e.Main.Config.DatabaseURL, secrets: e.Main.Config, sandbox: e.Sandbox})
		e2.problem("GET", "/me", t1, nil, 401, "unauthorized")
		// Logout-all revokes every token of the user.
		t3 := e.token("b@example.com")
		e.json("POST", "/auth/logout-all", t2, nil, 204, nil)
		e.problem("GET", "/me", t2, nil, 401, "unauthorized")
		e2.problem("GET", "/me", t3, nil, 401, "unauthorized")
		e.json("GET", "/me", e.token("b@example.com"), nil, 200, nil)
	})
}

func TestTokenFromAnotherIssuerOrSecret(t *testing.T) {
	e := startEnv(t, envOptions{})
	other := startEnv(t, envOptions{sandbox: e.Sandbox})
	e.problem("GET", "/me", other.token("c@example.com"), nil, 401, "unauthorized")
	third := startEnv(t, envOptions{sandbox: e.Sandbox, secrets: e.Main.Config, configure: func(c *config.Config) { c.JWTIssuer = "someone-else" }})
	e.problem("GET", "/me", third.token("c@example.com"), nil, 401, "unauthorized")
}

// A token minted by `jarvis token` works on any serve sharing secret and
// issuer, whatever addresses either uses.
func TestTokenAcrossInstances(t *testing.T) {
	e := startEnv(t, envOptions{})
	tok := e.token("d@example.com")
	e2 := startEnv(t, envOptions{sandbox: e.Sandbox, secrets: e.Main.Config, dbURL: e.Main.Config.DatabaseURL,
		configure: func(c *config.Config) { c.PublicURL = "https://jarvis.example.com" }})
	e2.json("GET", "/me", tok, nil, 200, nil)
}

func TestServeRefusesBadConfig(t *testing.T) {
	base := map[string]string{"JARVIS_DATABASE_URL": "sqlite:" + t.TempDir() + "/x.db", "GOOGLE_CLIENT_ID": "id", "GOOGLE_CLIENT_SECRET": "s",
		"JARVIS_ENCRYPTION_KEYS": testSecrets(t).EncryptionKeys, "JARVIS_ADDR": "127.0.0.1:0"}
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"empty secret", map[string]string{}, "JARVIS_JWT_SECRET is required"}, // SECURITY.md line 17
		{"short secret", map[string]string{"JARVIS_JWT_SECRET": "abc123"}, "too short"},
		{"default secret", map[string]string{"JARVIS_JWT_SECRET": "change-me-to-a-long-random-string-of-48-bytes!!"}, "placeholder"},
		{"no google", map[string]string{"JARVIS_JWT_SECRET": strings.Repeat("x1", 20), "GOOGLE_CLIENT_ID": ""}, "--sandbox"},
		{"no keys", map[string]string{"JARVIS_JWT_SECRET": strings.Repeat("x1", 20), "JARVIS_ENCRYPTION_KEYS": ""}, "JARVIS_ENCRYPTION_KEYS"},
		{"bad proxy", map[string]string{"JARVIS_JWT_SECRET": strings.Repeat("x1", 20), "JARVIS_TRUSTED_PROXIES": "10.0.0.0/99"}, "JARVIS_TRUSTED_PROXIES"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tc.env {
				env[k] = v
			}
			lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			err := run(context.Background(), []string{"serve", "--migrate"}, nil, io.Discard, io.Discard, lookup)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("serve = %v, want an error mentioning %q", err, tc.want)
			}
			if strings.Contains(fmt.Sprint(err), env["JARVIS_JWT_SECRET"]) && env["JARVIS_JWT_SECRET"] != "" {
				t.Fatal("the error prints the secret")
			}
		})
	}
}

func TestServeRefusesOutOfDateSchema(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"JARVIS_DATABASE_URL": "sqlite:" + dir + "/x.db", "JARVIS_JWT_SECRET": strings.Repeat("k3", 20),
		"JARVIS_ENCRYPTION_KEYS": testSecrets(t).EncryptionKeys, "GOOGLE_CLIENT_ID": "id", "GOOGLE_CLIENT_SECRET": "s", "JARVIS_ADDR": "127.0.0.1:0"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	err := run(context.Background(), []string{"serve"}, nil, io.Discard, io.Discard, lookup)
	if err == nil || !strings.Contains(err.Error(), "jarvis migrate up") {
		t.Fatalf("serve on an empty database = %v", err)
	}
	var out strings.Builder
	if err := run(context.Background(), []string{"migrate", "up"}, nil, &out, io.Discard, lookup); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"migrate", "status"}, nil, &out, io.Discard, lookup); err != nil || strings.Contains(out.String(), "pending") {
		t.Fatalf("status = %q, %v", out.String(), err)
	}
	if err := run(context.Background(), []string{"migrate", "down"}, nil, io.Discard, io.Discard, lookup); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	_ = run(context.Background(), []string{"migrate", "status"}, nil, &out, io.Discard, lookup)
	if !strings.Contains(out.String(), "pending") {
		t.Fatalf("after down: %q", out.String())
	}
}

func TestVersionCommand(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), []string{"version"}, nil, &out, io.Discard, func(string) (string, bool) { return "", false }); err != nil || !strings.HasPrefix(out.String(), "jarvis ") {
		t.Fatalf("version = %q, %v", out.String(), err)
	}
}

// Slow clients are cut off by the server's timeouts (SECURITY.md line 35).
func TestSlowClientIsCutOff(t *testing.T) {
	e := startEnv(t, envOptions{main: func(m *Main) { m.ReadHeaderTimeout = 300 * time.Millisecond }})
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Send half a request line, then nothing.
	if _, err := conn.Write([]byte("GET /health HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("the server kept a slow client: %v", err)
	}
	if len(b) > 0 && !strings.Contains(string(b), "408") {
		t.Fatalf("unexpected answer %q", b)
	}
}

// SIGTERM drains: a request in flight when shutdown starts still gets its
// whole answer (SECURITY.md line 38).
func TestShutdownDrainsInFlightRequests(t *testing.T) {
	e := startEnv(t, envOptions{})
	tok := e.signIn("ada@example.com")
	if err := e.Sandbox.Google.SetFaults(sandboxLatency(700 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	e.Sandbox.Google.ResetStats()
	var wg sync.WaitGroup
	var status int
	wg.Add(1)
	go func() {
		defer wg.Done()
		req, _ := http.NewRequest("GET", e.URL+"/gmail/threads?max_results=2", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = io.ReadAll(bufio.NewReader(resp.Body))
		resp.Body.Close()
		status = resp.StatusCode
	}()
	// In flight: Jarvis has called Google, which holds the answer 700 ms.
	waitFor(t, "the request to reach Google", func() bool { return len(e.Sandbox.Google.Stats()) > 0 })
	if err := e.Main.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if status != 200 {
		t.Fatalf("in-flight request got %d", status)
	}
	if _, err := http.Get(e.URL + "/health"); err == nil {
		t.Fatal("server still accepts requests after shutdown")
	}
}
