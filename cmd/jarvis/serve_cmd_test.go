package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// `jarvis serve --sandbox --migrate --data DIR`, as the README runs it: the
// development secrets are generated beside the database, the sandbox serves
// the mailbox from DIR, and SIGTERM (a cancelled context) stops it cleanly.
func TestServeSandboxCommand(t *testing.T) {
	dir := t.TempDir()
	mail := filepath.Join(dir, "mail", "me@example.com")
	if err := os.MkdirAll(mail, 0o755); err != nil {
		t.Fatal(err)
	}
	raw := "From: Zoë <zoe@example.org>\r\nTo: me@example.com\r\nSubject: Hello from a file\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <f1@example.org>\r\n\r\nLoaded from --data.\r\n"
	if err := os.WriteFile(filepath.Join(mail, "hello.eml"), []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	addr, sbAddr := freeAddr(t), freeAddr(t)
	env := map[string]string{"JARVIS_DATABASE_URL": "sqlite:" + filepath.Join(dir, "db", "jarvis.db"), "JARVIS_SANDBOX_ADDR": sbAddr, "JARVIS_SHUTDOWN_DELAY": "0"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &syncBuffer{}
	go func() {
		done <- run(ctx, []string{"serve", "--sandbox", "--migrate", "--addr", addr, "--data", filepath.Join(dir, "mail")}, nil, io.Discard, logs, lookup)
	}()
	e := &testEnv{t: t, URL: "http://" + addr, client: &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	waitFor(t, "serve --sandbox to come up", func() bool {
		resp, err := http.Get(e.URL + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	if _, err := os.Stat(filepath.Join(dir, "db", ".jarvis-secrets.env")); err != nil {
		t.Fatalf("development secrets not saved beside the database: %v", err)
	}
	tok := e.signIn("me@example.com")
	var page threadPage
	e.json("GET", "/gmail/threads", tok, nil, 200, &page)
	if len(page.Threads) != 1 || page.Threads[0].Subject != "Hello from a file" {
		t.Fatalf("threads = %+v", page)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	// The log names the secrets file by its full path, and the grace
	// period as a duration people read.
	if out := logs.String(); !strings.Contains(out, filepath.Join(dir, "db", ".jarvis-secrets.env")) || !strings.Contains(out, `"grace":"20s"`) {
		t.Fatalf("logs:\n%s", out)
	}
}
