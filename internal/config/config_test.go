package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func lookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultsAndOverrides(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse([]string{"--jwt-ttl", "2h"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(lookup(map[string]string{"JARVIS_JWT_TTL": "5m", "JARVIS_ADDR": "0.0.0.0:9000", "JARVIS_ALLOWED_DOMAINS": " Example.com, @corp.example "}), fs)
	if err != nil {
		t.Fatal(err)
	}
	c.ApplyDefaults()
	if c.JWTTTL != 2*time.Hour || c.Addr != "0.0.0.0:9000" || c.DatabaseURL != "sqlite:jarvis.db" || c.JWTIssuer != "jarvis" {
		t.Fatalf("config = %+v", c)
	}
	if c.PublicURL != "http://0.0.0.0:9000" || c.GoogleRedirectURL != "http://0.0.0.0:9000/auth/google/callback" {
		t.Fatalf("derived = %q %q", c.PublicURL, c.GoogleRedirectURL)
	}
	if strings.Join(c.AllowedDomains, ",") != "example.com,corp.example" {
		t.Fatalf("domains = %v", c.AllowedDomains)
	}
}

func TestSecretFromFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte("a-very-long-secret-from-a-file-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(lookup(map[string]string{"JARVIS_JWT_SECRET_FILE": p}), nil)
	if err != nil || string(c.JWTSecret) != "a-very-long-secret-from-a-file-0123456789" {
		t.Fatalf("secret = %q, %v", c.JWTSecret, err)
	}
	if _, err := Load(lookup(map[string]string{"JARVIS_JWT_SECRET_FILE": p + ".missing"}), nil); err == nil {
		t.Fatal("a missing secret file was accepted")
	}
}

func TestBadValuesAreNamed(t *testing.T) {
	_, err := Load(lookup(map[string]string{"JARVIS_JWT_TTL": "forever", "JARVIS_OPEN_SIGNUP": "maybe", "JARVIS_TRUSTED_PROXIES": "10.0.0.0/99"}), nil)
	for _, name := range []string{"JARVIS_JWT_TTL", "JARVIS_OPEN_SIGNUP", "JARVIS_TRUSTED_PROXIES"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
}

func TestDumpRedactsSecrets(t *testing.T) {
	env := map[string]string{"JARVIS_JWT_SECRET": "topsecret-topsecret-topsecret-topsecret", "OPENAI_API_KEY": "sk-123", "JARVIS_DATABASE_URL": "postgres://u:pw@h/db"}
	c, _ := Load(lookup(env), nil)
	dump := strings.Join(c.Dump(lookup(env)), "\n")
	for _, v := range env {
		if strings.Contains(dump, v) {
			t.Fatalf("dump shows %q", v)
		}
	}
}

// .env.example documents every option.
func TestEnvExampleListsEveryOption(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range Options {
		if !strings.Contains(string(b), "\n"+o.Env+"=") {
			t.Errorf(".env.example lacks %s", o.Env)
		}
	}
}

// Each flag is its variable's name in lower case, without JARVIS_, with
// dashes (as the README says); older names live on only as aliases.
func TestFlagNamesFollowTheVariables(t *testing.T) {
	for _, o := range Options {
		want := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(o.Env, "JARVIS_")), "_", "-")
		if o.Flag != want {
			t.Errorf("%s has flag --%s, want --%s", o.Env, o.Flag, want)
		}
	}
}

// The shutdown settings: defaults, 0 for no delay, and bad values named.
func TestShutdownSettings(t *testing.T) {
	c, err := Load(lookup(nil), nil)
	if err != nil || c.ShutdownDelay != 5*time.Second || c.ShutdownGrace != 20*time.Second {
		t.Fatalf("defaults: delay %v grace %v, %v", c.ShutdownDelay, c.ShutdownGrace, err)
	}
	c, err = Load(lookup(map[string]string{"JARVIS_SHUTDOWN_DELAY": "0", "JARVIS_SHUTDOWN_GRACE": "45s"}), nil)
	if err != nil || c.ShutdownDelay != 0 || c.ShutdownGrace != 45*time.Second {
		t.Fatalf("set: delay %v grace %v, %v", c.ShutdownDelay, c.ShutdownGrace, err)
	}
	_, err = Load(lookup(map[string]string{"JARVIS_SHUTDOWN_DELAY": "soon"}), nil)
	if err == nil || !strings.Contains(err.Error(), `JARVIS_SHUTDOWN_DELAY: "soon" is not a duration`) {
		t.Fatalf("a bad delay: %v", err)
	}
	c, _ = Load(lookup(map[string]string{"JARVIS_SHUTDOWN_DELAY": "-1s"}), nil)
	c.ApplyDefaults()
	if err := c.ValidateSettings(); err == nil || !strings.Contains(err.Error(), "JARVIS_SHUTDOWN_DELAY must not be negative") {
		t.Fatalf("a negative delay: %v", err)
	}
}

// The pool sizes and rate limits: defaults, values, and bad values named.
func TestPoolAndRateLimitSettings(t *testing.T) {
	c, err := Load(lookup(nil), nil)
	if err != nil || c.DBMaxConns != 0 || c.DBMaxIdleConns != 0 || c.GoogleRequestsPerMinute != 300 || c.ChatTurnsPerMinute != 20 || c.AnonymousRequestsPerMinute != 60 {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	c, err = Load(lookup(map[string]string{"JARVIS_DB_MAX_CONNS": "40", "JARVIS_DB_MAX_IDLE_CONNS": "30", "JARVIS_GOOGLE_REQUESTS_PER_MINUTE": "1200",
		"JARVIS_CHAT_TURNS_PER_MINUTE": "5", "JARVIS_ANONYMOUS_REQUESTS_PER_MINUTE": "600"}), nil)
	if err != nil || c.DBMaxConns != 40 || c.DBMaxIdleConns != 30 || c.GoogleRequestsPerMinute != 1200 || c.ChatTurnsPerMinute != 5 || c.AnonymousRequestsPerMinute != 600 {
		t.Fatalf("set: %+v, %v", c, err)
	}
	bad := map[string]string{"JARVIS_DB_MAX_CONNS": "0", "JARVIS_DB_MAX_IDLE_CONNS": "lots", "JARVIS_GOOGLE_REQUESTS_PER_MINUTE": "-5",
		"JARVIS_CHAT_TURNS_PER_MINUTE": "1.5", "JARVIS_ANONYMOUS_REQUESTS_PER_MINUTE": "2000000"}
	_, err = Load(lookup(bad), nil)
	for name, v := range bad {
		if err == nil || !strings.Contains(err.Error(), name+`: "`+v+`" is not a whole number from 1 to`) {
			t.Errorf("error %v does not name %s=%s", err, name, v)
		}
	}
	c, _ = Load(lookup(map[string]string{"JARVIS_DB_MAX_CONNS": "10", "JARVIS_DB_MAX_IDLE_CONNS": "20"}), nil)
	c.ApplyDefaults()
	if err := c.ValidateSettings(); err == nil || !strings.Contains(err.Error(), "JARVIS_DB_MAX_IDLE_CONNS (20) must not exceed JARVIS_DB_MAX_CONNS (10)") {
		t.Fatalf("more idle than open: %v", err)
	}
}

// TestMetricsAddr: metrics are off by default, and their listener must be
// an address of its own.
func TestMetricsAddr(t *testing.T) {
	c, err := Load(lookup(map[string]string{"GOOGLE_CLIENT_ID": "id", "GOOGLE_CLIENT_SECRET": "s"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.ApplyDefaults()
	if c.MetricsAddr != "" {
		t.Fatalf("metrics on by default at %q", c.MetricsAddr)
	}
	if err := c.ValidateSettings(); err != nil {
		t.Fatal(err)
	}
	for addr, ok := range map[string]bool{"127.0.0.1:9090": true, ":9090": true, "9090": false, "127.0.0.1:8080": false} {
		c.MetricsAddr = addr
		if err := c.ValidateSettings(); (err == nil) != ok || (err != nil && !strings.Contains(err.Error(), "JARVIS_METRICS_ADDR")) {
			t.Errorf("JARVIS_METRICS_ADDR=%s: %v", addr, err)
		}
	}
}

// The MCP limits: defaults, values, and bad values named at start.
func TestMCPLimitSettings(t *testing.T) {
	valid := map[string]string{"GOOGLE_CLIENT_ID": "id", "GOOGLE_CLIENT_SECRET": "s"}
	c, err := Load(lookup(valid), nil)
	if err != nil || c.MCPClientRequestsPerMinute != 120 || c.MCPUserRequestsPerMinute != 300 || c.MCPMaxRequestBytes != 1<<20 ||
		c.MCPCallTimeout != 30*time.Second || c.MCPSessionIdleTimeout != 30*time.Minute || c.MCPSessionsPerUser != 50 {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	c.ApplyDefaults()
	if err := c.ValidateSettings(); err != nil {
		t.Fatal(err)
	}
	set := map[string]string{"JARVIS_MCP_CLIENT_REQUESTS_PER_MINUTE": "3", "JARVIS_MCP_USER_REQUESTS_PER_MINUTE": "10", "JARVIS_MCP_MAX_REQUEST_BYTES": "65536",
		"JARVIS_MCP_CALL_TIMEOUT": "2m", "JARVIS_MCP_SESSION_IDLE_TIMEOUT": "5m", "JARVIS_MCP_SESSIONS_PER_USER": "2"}
	c, err = Load(lookup(set), nil)
	if err != nil || c.MCPClientRequestsPerMinute != 3 || c.MCPUserRequestsPerMinute != 10 || c.MCPMaxRequestBytes != 65536 ||
		c.MCPCallTimeout != 2*time.Minute || c.MCPSessionIdleTimeout != 5*time.Minute || c.MCPSessionsPerUser != 2 {
		t.Fatalf("set: %+v, %v", c, err)
	}
	bad := map[string]string{"JARVIS_MCP_CLIENT_REQUESTS_PER_MINUTE": "0", "JARVIS_MCP_USER_REQUESTS_PER_MINUTE": "many",
		"JARVIS_MCP_SESSIONS_PER_USER": "-1"}
	_, err = Load(lookup(bad), nil)
	for name, v := range bad {
		if err == nil || !strings.Contains(err.Error(), name+`: "`+v+`" is not a whole number from 1 to`) {
			t.Errorf("error %v does not name %s=%s", err, name, v)
		}
	}
	for _, v := range []string{"1MiB", "100", "1073741824"} {
		_, err = Load(lookup(map[string]string{"JARVIS_MCP_MAX_REQUEST_BYTES": v}), nil)
		if err == nil || !strings.Contains(err.Error(), `JARVIS_MCP_MAX_REQUEST_BYTES: "`+v+`" is not a whole number of bytes from 1024 to 67108864`) {
			t.Errorf("JARVIS_MCP_MAX_REQUEST_BYTES=%s: %v", v, err)
		}
	}
	_, err = Load(lookup(map[string]string{"JARVIS_MCP_CALL_TIMEOUT": "30", "JARVIS_MCP_SESSION_IDLE_TIMEOUT": "half an hour"}), nil)
	if err == nil || !strings.Contains(err.Error(), `JARVIS_MCP_CALL_TIMEOUT: "30" is not a duration`) ||
		!strings.Contains(err.Error(), `JARVIS_MCP_SESSION_IDLE_TIMEOUT: "half an hour" is not a duration`) {
		t.Errorf("durations that are not: %v", err)
	}
	for name, v := range map[string]string{"JARVIS_MCP_CALL_TIMEOUT": "0s", "JARVIS_MCP_SESSION_IDLE_TIMEOUT": "48h"} {
		c, err := Load(lookup(map[string]string{"GOOGLE_CLIENT_ID": "id", "GOOGLE_CLIENT_SECRET": "s", name: v}), nil)
		if err != nil {
			t.Fatal(err)
		}
		c.ApplyDefaults()
		if err := c.ValidateSettings(); err == nil || !strings.Contains(err.Error(), name+" must be from") {
			t.Errorf("%s=%s: %v", name, v, err)
		}
	}
}

// An MCP client's authorization lasts 90 days unless configured; a
// lifetime that is not a duration, or out of bounds, is named.
func TestOAuthRefreshLifetime(t *testing.T) {
	valid := map[string]string{"GOOGLE_CLIENT_ID": "id", "GOOGLE_CLIENT_SECRET": "s"}
	c, err := Load(lookup(valid), nil)
	if err != nil || c.OAuthRefreshLifetime != 90*24*time.Hour {
		t.Fatalf("default: %v, %v", c.OAuthRefreshLifetime, err)
	}
	valid["JARVIS_OAUTH_REFRESH_LIFETIME"] = "720h"
	if c, err = Load(lookup(valid), nil); err != nil || c.OAuthRefreshLifetime != 30*24*time.Hour {
		t.Fatalf("set: %v, %v", c.OAuthRefreshLifetime, err)
	}
	c.ApplyDefaults()
	if err := c.ValidateSettings(); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(lookup(map[string]string{"JARVIS_OAUTH_REFRESH_LIFETIME": "90d"}), nil); err == nil ||
		!strings.Contains(err.Error(), `JARVIS_OAUTH_REFRESH_LIFETIME: "90d" is not a duration`) {
		t.Fatalf("not a duration: %v", err)
	}
	for _, v := range []string{"30m", "9000h"} {
		valid["JARVIS_OAUTH_REFRESH_LIFETIME"] = v
		c, _ := Load(lookup(valid), nil)
		c.ApplyDefaults()
		if err := c.ValidateSettings(); err == nil || !strings.Contains(err.Error(), "JARVIS_OAUTH_REFRESH_LIFETIME must be from 1h to 8760h") {
			t.Errorf("%s: %v", v, err)
		}
	}
}
