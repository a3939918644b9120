package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// notifySocket listens where systemd would (NOTIFY_SOCKET) and hands each
// datagram to the channel it returns.
func notifySocket(t *testing.T, path string) <-chan string {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	msgs := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	return msgs
}

// nextNotification returns the next notification, failing after 60 s
// (a start under -race on a busy machine can take many seconds).
func nextNotification(t *testing.T, msgs <-chan string, logs fmt.Stringer) string {
	t.Helper()
	select {
	case m := <-msgs:
		return m
	case <-time.After(60 * time.Second):
		t.Fatalf("no notification from jarvis serve\n%s", logs)
		return ""
	}
}

func httpStatus(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Under systemd's Type=notify, `jarvis serve` says READY=1 once its listener
// answers, feeds the watchdog at half WatchdogSec while /livez answers, and
// says STOPPING=1 when SIGTERM starts the drain, while /readyz answers 503.
func TestServeNotifiesSystemd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sock := filepath.Join(dir, "notify")
	msgs := notifySocket(t, sock)
	addr := freeAddr(t)
	env := map[string]string{
		"JARVIS_DATABASE_URL":   "sqlite:" + filepath.Join(dir, "jarvis.db"),
		"JARVIS_SANDBOX_ADDR":   freeAddr(t),
		"JARVIS_SHUTDOWN_DELAY": "400ms",
		"NOTIFY_SOCKET":         sock,
		"WATCHDOG_USEC":         "200000", // pings every 100 ms
		"WATCHDOG_PID":          strconv.Itoa(os.Getpid()),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	logs := &syncBuffer{}
	go func() {
		done <- run(ctx, []string{"serve", "--sandbox", "--migrate", "--addr", addr}, nil, io.Discard, logs, lookupMap(env))
	}()
	base := "http://" + addr

	ready := nextNotification(t, msgs, logs)
	if !strings.HasPrefix(ready, "READY=1\n") || !strings.Contains(ready, "STATUS=serving http://"+addr) {
		t.Fatalf("first notification = %q, want READY=1 with a status\n%s", ready, logs.String())
	}
	// READY=1 is sent once the listener is up: no waiting for it.
	if s := httpStatus(base + "/livez"); s != 200 {
		t.Fatalf("/livez = %d right after READY=1", s)
	}
	start := time.Now()
	for range 3 {
		if m := nextNotification(t, msgs, logs); m != "WATCHDOG=1" {
			t.Fatalf("notification while serving = %q, want WATCHDOG=1", m)
		}
	}
	// Three pings at 100 ms: not sooner than two intervals, and not a busy loop.
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("three watchdog pings in %v: faster than half of WATCHDOG_USEC", d)
	}

	cancel() // SIGTERM
	for {
		m := nextNotification(t, msgs, logs)
		if m == "WATCHDOG=1" {
			continue // sent before the signal
		}
		if !strings.HasPrefix(m, "STOPPING=1\n") {
			t.Fatalf("notification after SIGTERM = %q, want STOPPING=1", m)
		}
		break
	}
	// Draining: not ready, still serving, and the watchdog still fed.
	if s := httpStatus(base + "/readyz"); s != 503 {
		t.Fatalf("/readyz while draining = %d, want 503", s)
	}
	if m := nextNotification(t, msgs, logs); m != "WATCHDOG=1" {
		t.Fatalf("notification while draining = %q, want WATCHDOG=1", m)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// The notification environment: nothing without NOTIFY_SOCKET, no watchdog
// meant for another process, an abstract socket (@name) reached, and a
// WATCHDOG_USEC that is not a number refused before anything starts.
func TestNotifierEnvironment(t *testing.T) {
	t.Parallel()
	n, err := newNotifier(lookupMap(map[string]string{"WATCHDOG_USEC": "1000000"}))
	if err != nil || n.addr != nil || n.watchdog != 0 {
		t.Fatalf("without NOTIFY_SOCKET: %+v, %v", n, err)
	}
	if err := n.send("READY=1"); err != nil {
		t.Fatalf("send without NOTIFY_SOCKET: %v", err)
	}
	n, err = newNotifier(lookupMap(map[string]string{"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}))
	if err != nil || n.watchdog != 0 {
		t.Fatalf("another process's watchdog: %+v, %v", n, err)
	}
	n, err = newNotifier(lookupMap(map[string]string{"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000"}))
	if err != nil || n.watchdog != 15*time.Second {
		t.Fatalf("WatchdogSec=30: %+v, %v", n, err)
	}

	abstract := "@jarvis-notify-test-" + strconv.Itoa(os.Getpid())
	msgs := notifySocket(t, abstract)
	logs := &syncBuffer{}
	n, err = newNotifier(lookupMap(map[string]string{"NOTIFY_SOCKET": abstract}))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.send("READY=1"); err != nil {
		t.Fatal(err)
	}
	if m := nextNotification(t, msgs, logs); m != "READY=1" {
		t.Fatalf("abstract socket got %q", m)
	}

	err, _, _ = runCLI(t, map[string]string{"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "soon"}, "serve", "--sandbox")
	if err == nil || !strings.Contains(err.Error(), "WATCHDOG_USEC") {
		t.Fatalf("serve with WATCHDOG_USEC=soon: %v", err)
	}
}
