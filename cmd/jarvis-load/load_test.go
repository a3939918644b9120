package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// The short versions of the rolling-restart and kill -9 scenarios: three
// replicas of the jarvis binary (built without the race detector) behind
// HAProxy, on PostgreSQL and Redis, under a light mixed load without
// injected faults, so that any failed request is the scenario's.

var (
	buildOnce sync.Once
	buildDir  string
	builtBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// jarvisBinary builds ./cmd/jarvis once for the package's tests.
func jarvisBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "jarvis-load-test-")
		if err != nil {
			buildErr = err
			return
		}
		buildDir = dir
		builtBin, buildErr = buildJarvis(context.Background(), "", dir, testLog{t})
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// needServices skips without HAProxy, PostgreSQL or Redis — and fails
// instead under CI=true, where scripts/services.sh installs and starts them.
func needServices(t *testing.T) (pg, rd string) {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: CI must run the load scenarios (scripts/services.sh installs and starts what they need)", what)
		}
		t.Skip(what)
	}
	if testing.Short() {
		t.Skip("starts a cluster of processes")
	}
	if _, err := exec.LookPath("haproxy"); err != nil {
		missing("haproxy is not installed (apt-get install -y haproxy)")
	}
	pg = os.Getenv("JARVIS_TEST_POSTGRES_URL")
	if pg == "" {
		missing("JARVIS_TEST_POSTGRES_URL is not set")
	}
	rd = "redis://127.0.0.1:6379/11"
	if err := flushRedis(context.Background(), rd); err != nil {
		missing("no Redis at 127.0.0.1:6379: " + err.Error())
	}
	return pg, rd
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func runShort(t *testing.T, name string) *scene {
	pg, rd := needServices(t)
	bin := jarvisBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg := ClusterConfig{Jarvis: bin, Postgres: pg, Redis: rd, Users: 8, Messages: 10,
		ShutdownDelay: 2 * time.Second, CheckInterval: 200 * time.Millisecond, Log: testLog{t}}
	cfg.defaults()
	sc := findScenario(name)
	s, err := runScenario(ctx, sc, cfg, 20, false, testLog{t})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range s.events {
		t.Logf("%s: %s", s.since(e.at), e.what)
	}
	if s.run.Requests < 100 {
		t.Fatalf("only %d requests were answered under load", s.run.Requests)
	}
	if s.check.Drafts == 0 || s.check.Delivered == 0 {
		t.Fatalf("nothing to verify: %s", s.check)
	}
	return s
}

// A rolling restart of all three replicas under load fails no request:
// each drains (readiness 503, HAProxy stops sending, in-flight requests
// finish) before it stops, and nothing acknowledged is lost.
func TestRollingRestartUnderLoad(t *testing.T) {
	s := runShort(t, "rolling-restart")
	if ok, verdict := judgeNoErrors(s); !ok {
		t.Fatalf("rolling restart: %s", verdict)
	}
	if s.run.Faults != 0 {
		t.Fatalf("%d requests failed with an upstream error though no fault was injected: %s", s.run.Faults, topReasons(s.run.FaultReasons, 5))
	}
}

// kill -9 of one replica under load fails only the requests in flight on
// it, and loses no acknowledged draft nor delivered message.
func TestKill9UnderLoad(t *testing.T) {
	s := runShort(t, "kill9")
	if ok, verdict := judgeKill9(s); !ok {
		t.Fatalf("kill -9: %s", verdict)
	}
	t.Logf("kill -9: %s", func() string { _, v := judgeKill9(s); return v }())
}
