package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// notifier speaks systemd's service notification protocol (sd_notify(3)):
// one datagram per state change to the socket NOTIFY_SOCKET names. Without
// NOTIFY_SOCKET (not started by systemd with Type=notify) it does nothing.
type notifier struct {
	addr *net.UnixAddr
	// watchdog is half of WatchdogSec (WATCHDOG_USEC), or 0 without one.
	watchdog time.Duration
}

// newNotifier reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. A
// watchdog meant for another process (WATCHDOG_PID) is not ours to feed.
func newNotifier(lookup env) (*notifier, error) {
	n := &notifier{}
	if path, ok := lookup("NOTIFY_SOCKET"); ok && path != "" {
		// An abstract socket's name starts with @, which net reads as such.
		n.addr = &net.UnixAddr{Name: path, Net: "unixgram"}
	}
	usec, ok := lookup("WATCHDOG_USEC")
	if !ok || usec == "" || n.addr == nil {
		return n, nil
	}
	if pid, ok := lookup("WATCHDOG_PID"); ok && pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return n, nil
	}
	us, err := strconv.ParseInt(usec, 10, 64)
	if err != nil || us <= 0 {
		return nil, fmt.Errorf("WATCHDOG_USEC: %q is not a positive number of microseconds", usec)
	}
	n.watchdog = time.Duration(us) * time.Microsecond / 2
	return n, nil
}

// send sends one notification, e.g. "READY=1"; a no-op without NOTIFY_SOCKET.
func (n *notifier) send(state string) error {
	if n.addr == nil {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sd_notify %s: %w", state, err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify %s: %w", state, err)
	}
	return nil
}

// watch feeds the watchdog until ctx ends: every half interval it asks the
// server's own /livez through its listener and pings only when that
// answers, so that a process that no longer serves is restarted rather than
// kept alive by a ticker. Once draining (ctx done) the caller pings with
// keepAlive instead, as the listener closes while requests finish.
func (n *notifier) watch(ctx context.Context, livez string, log *slog.Logger) {
	if n.watchdog <= 0 {
		return
	}
	client := &http.Client{Timeout: n.watchdog}
	t := time.NewTicker(n.watchdog)
	defer t.Stop()
	for {
		if err := livezOK(ctx, client, livez); err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Warn("watchdog: /livez did not answer; systemd is not told the process is alive", "err", err)
		} else if err := n.send("WATCHDOG=1"); err != nil {
			log.Warn("watchdog", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// keepAlive pings the watchdog unconditionally until stop is closed: the
// shutdown itself is bounded by the delay and the grace.
func (n *notifier) keepAlive(stop <-chan struct{}) {
	if n.watchdog <= 0 {
		return
	}
	t := time.NewTicker(n.watchdog)
	defer t.Stop()
	for {
		_ = n.send("WATCHDOG=1")
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

func livezOK(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}
