package main

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jarvis-hq/jarvis/internal/config"
)

func lookupMap(env map[string]string) env {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// runCLI runs one jarvis command line and returns its error, stdout and stderr.
func runCLI(t *testing.T, env map[string]string, args ...string) (error, string, string) {
	t.Helper()
	var out, errOut strings.Builder
	err := run(context.Background(), args, nil, &out, &errOut, lookupMap(env))
	return err, out.String(), errOut.String()
}

// listDir returns every path under dir, for "nothing was created" checks.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if p != dir {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// serve names every bad setting at once, before it creates anything: no
// secrets file, no folder, no database.
func TestServeReportsEveryBadSettingAndCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, dbURL := range []string{"mysql://root@localhost/jarvis", "htp://typo", filepath.Join(dir, "nonexistent", "dir", "x.db")} {
		env := map[string]string{"JARVIS_DATABASE_URL": dbURL, "JARVIS_JWT_TTL": "forever", "JARVIS_LOG_LEVEL": "loud",
			"JARVIS_REDIS_URL": "localhost:6379", "JARVIS_SANDBOX_ADDR": freeAddr(t)}
		err, _, _ := runCLI(t, env, "serve", "--sandbox", "--migrate", "--addr", freeAddr(t))
		if err == nil {
			t.Fatalf("%s: serve started", dbURL)
		}
		for _, want := range []string{"JARVIS_DATABASE_URL", "JARVIS_JWT_TTL", `"forever" is not a duration`, `JARVIS_LOG_LEVEL must be debug, info, warn or error, not "loud"`, "JARVIS_REDIS_URL must be a redis://"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error does not say %q:\n%v", dbURL, want, err)
			}
		}
		if got := listDir(t, dir); len(got) > 0 {
			t.Fatalf("%s: serve left %v behind", dbURL, got)
		}
	}
	// A good URL in a folder that does not exist is refused too, naming the folder.
	err, _, _ := runCLI(t, map[string]string{"JARVIS_SANDBOX_ADDR": freeAddr(t)}, "serve", "--sandbox", "--database-url", "sqlite:"+filepath.Join(dir, "no", "x.db"), "--addr", freeAddr(t))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "no")+" for the SQLite database does not exist") {
		t.Fatalf("serve = %v", err)
	}
	if got := listDir(t, dir); len(got) > 0 {
		t.Fatalf("serve left %v behind", got)
	}
}

// A second server on the same address says Jarvis is probably running.
func TestServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	env := map[string]string{"JARVIS_DATABASE_URL": "sqlite:" + filepath.Join(dir, "x.db")}
	// The sandbox's address is taken (it starts first), then Jarvis's own.
	err, _, _ = runCLI(t, env, "serve", "--sandbox", "--migrate", "--sandbox-addr", ln.Addr().String(), "--addr", freeAddr(t))
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()+" is already in use: Jarvis is probably already running") {
		t.Fatalf("serve with the sandbox address taken = %v", err)
	}
	err, _, _ = runCLI(t, env, "serve", "--sandbox", "--migrate", "--sandbox-addr", freeAddr(t), "--addr", ln.Addr().String())
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()+" is already in use: Jarvis is probably already running") {
		t.Fatalf("serve with its address taken = %v", err)
	}
}

// Bad flag values get one line that names the flag and the problem.
func TestTokenFlagErrors(t *testing.T) {
	env := map[string]string{"JARVIS_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "x.db")}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"token", "--email", "notanemail"}, `--email: "notanemail" is not an email address`},
		{[]string{"token"}, "token needs --email EMAIL"},
		{[]string{"token", "--email", "a@example.com", "--ttl", "15"}, "--ttl: 15 is not a duration, e.g. 15m"},
		{[]string{"token", "--email", "a@example.com", "--ttl", "9999h"}, "--ttl: 9999h0m0s is not between 0 and 720h"},
		{[]string{"token", "--emial", "a@example.com"}, "unknown flag -emial"},
		{[]string{"token", "--email"}, "--email needs a value"},
	}
	for _, tc := range cases {
		err, out, errOut := runCLI(t, env, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v = %v, want %q", tc.args, err, tc.want)
		}
		if strings.Contains(out+errOut, "Usage") {
			t.Errorf("%v printed the usage:\n%s%s", tc.args, out, errOut)
		}
	}
}

// -h prints a command's own flags, with placeholders and defaults, and succeeds.
func TestHelpOutput(t *testing.T) {
	cases := []struct {
		args          []string
		want, notWant []string
	}{
		{[]string{"token", "-h"}, []string{"--email VALUE", "--ttl DURATION", "--database-url VALUE (or --database)", "default sqlite:jarvis.db"},
			[]string{"--addr", "--google-client-id", "--encryption-keys", "--sandbox"}},
		{[]string{"keys", "-h"}, []string{"generate", "rotate"}, nil},
		{[]string{"keys", "rotate", "--help"}, []string{"--encryption-keys VALUE", "--database-url VALUE"}, []string{"--addr"}},
		{[]string{"migrate", "-h"}, []string{"up|down|status", "--database-url VALUE"}, []string{"--jwt-secret"}},
		{[]string{"serve", "-h"}, []string{"--addr VALUE", "(JARVIS_ADDR; default 127.0.0.1:8080)", "--encryption-keys VALUE\n",
			"--redis-url VALUE (or --redis)", "--latency DURATION", "--sandbox\n", "(JARVIS_SHUTDOWN_GRACE; default 20s)"},
			[]string{"-encryption-keys jarvis keys generate", "alias of"}},
		{[]string{"sandbox", "-h"}, []string{"--addr VALUE", "default 127.0.0.1:8090"}, nil},
		{[]string{"chat", "-h"}, []string{"--token VALUE", "--url VALUE", "default http://127.0.0.1:8080"}, []string{"-token jarvis token"}},
		{[]string{"mcp", "-h"}, []string{"--stdio\n", "--url VALUE", "JARVIS_TOKEN", "personal token"}, []string{"--addr"}},
	}
	for _, tc := range cases {
		err, out, _ := runCLI(t, map[string]string{"JARVIS_TOKEN": "secret-token-value"}, tc.args...)
		if strings.Contains(out, "secret-token-value") {
			t.Errorf("%v: help shows the token from the environment", tc.args)
		}
		if !errors.Is(err, errHelpShown) {
			t.Errorf("%v = %v", tc.args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: help lacks %q:\n%s", tc.args, w, out)
			}
		}
		for _, w := range tc.notWant {
			if strings.Contains(out, w) {
				t.Errorf("%v: help shows %q:\n%s", tc.args, w, out)
			}
		}
	}
}

// The flags are the variables' names in lower case; the old names still work.
func TestDatabaseAndRedisFlagNames(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"--database-url", "--database"} {
		db := filepath.Join(dir, strings.TrimPrefix(name, "--")+".db")
		if err, _, _ := runCLI(t, nil, "migrate", name, "sqlite:"+db, "up"); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := os.Stat(db); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for _, name := range []string{"--redis-url", "--redis"} {
		flags := newFlagSet("serve")
		config.RegisterFlags(flags)
		if err := parseFlags(flags, []string{name, "redis://127.0.0.1:1"}, "", io.Discard); err != nil {
			t.Fatal(err)
		}
		cfg, err := loadConfig(flags, lookupMap(nil), false, nil, func(string, ...any) {})
		if err != nil || cfg.RedisURL != "redis://127.0.0.1:1" {
			t.Fatalf("%s: %+v, %v", name, cfg, err)
		}
	}
}
