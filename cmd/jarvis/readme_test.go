package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startServeCommand runs `jarvis serve` with args (plus --addr on a free
// port) in the background until the test ends, and returns its URL once
// /health answers.
func startServeCommand(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	addr := freeAddr(t)
	if _, ok := env["JARVIS_SHUTDOWN_DELAY"]; !ok {
		env["JARVIS_SHUTDOWN_DELAY"] = "0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &syncBuffer{}
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", addr}, args...), nil, logs, logs, lookupMap(env))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v\n%s", err, logs.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	url := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, logs.String())
		default:
		}
		if resp, err := http.Get(url + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not come up:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readmeBlock returns the first ```sh block after the README heading.
func readmeBlock(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q", heading)
	}
	_, rest, ok = strings.Cut(rest, "\n```sh\n")
	if !ok {
		t.Fatalf("README's %q has no sh block", heading)
	}
	block, _, ok := strings.Cut(rest, "\n```\n")
	if !ok {
		t.Fatalf("README's %q block is not closed", heading)
	}
	return block + "\n"
}

// needTool finds a program the README's session uses. Under CI=true a
// missing one fails the test (make test installs them); elsewhere the test
// is skipped, saying what to install.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed: the README's curl session needs it (apt-get install -y %s)", name, name)
	}
	t.Skipf("%s is not installed (apt-get install -y %s)", name, name)
	return ""
}

// The README's "A session with curl" runs as written, step by step, against
// a real `jarvis serve --sandbox` on free ports: every curl must get a 2xx
// or 3xx answer and every jq must succeed, or the test fails naming the step.
func TestReadmeCurlSession(t *testing.T) {
	bash, curl := needTool(t, "bash"), needTool(t, "curl")
	needTool(t, "jq")
	dir := t.TempDir()
	url := startServeCommand(t, map[string]string{"JARVIS_SANDBOX_ADDR": freeAddr(t)},
		"--sandbox", "--migrate", "--database-url", "sqlite:"+filepath.Join(dir, "jarvis.db"))

	script := readmeBlock(t, "## A session with curl")
	const base = "J=http://127.0.0.1:8080\n"
	if !strings.HasPrefix(script, base) {
		t.Fatalf("the session no longer starts with %q", base)
	}
	script = "J=" + url + "\n" + strings.TrimPrefix(script, base)

	// curl as the README calls it, but failing on an HTTP error status, so
	// that a step that goes wrong stops the session.
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	wrapper := "#!/bin/sh\nexec " + curl + " --fail-with-body \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "curl"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "-euxo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatalf("the README's curl session failed (%v):\n%s", err, out)
	}
	// Each step printed what the README says it shows.
	for _, want := range []string{`"email": "ada@example.com"`, `"subject":`, `"text":`, `"thread_id":`, `"end":`, `"summary":`,
		`"email": "grace@example.com"`, `"account": "grace@example.com"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the session's output lacks %s:\n%s", want, out)
		}
	}
}
