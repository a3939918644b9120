package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// A scenario does something to the cluster while the load runs, marking
// what it did, and says whether the run met its target.
type scenario struct {
	name   string
	title  string
	target string
	// prepare adjusts the cluster's configuration (a PostgreSQL or Redis
	// of the scenario's own) and returns what undoes it.
	prepare func(ctx context.Context, cfg *ClusterConfig, log io.Writer) (func(), error)
	act     func(ctx context.Context, s *scene) error
	judge   func(s *scene) (bool, string)
}

// scene is a scenario's run: the cluster, the load and what happened.
type scene struct {
	c      *Cluster
	w      *Workload
	began  time.Time
	events []event
	run    *Run
	check  *Check
	probes []string
	// restarted counts the replicas that exited on their own during the
	// run (those the scenario restarted are running again).
	restarted int
	// marks by name, for the judges
	at map[string]time.Time
}

type event struct {
	at   time.Time
	what string
}

func (s *scene) mark(key, what string) {
	now := time.Now()
	s.events = append(s.events, event{now, what})
	s.at[key] = now
}

func (s *scene) since(t time.Time) string {
	return fmt.Sprintf("%.1f s", t.Sub(s.began).Seconds())
}

var scenarios = []*scenario{
	{name: "rolling-restart", title: "Rolling restart of every replica",
		target: "no failed request",
		act:    rollingRestart, judge: judgeNoErrors},
	{name: "kill9", title: "`kill -9` of one replica",
		target: "only the requests in flight on the killed replica fail; every acknowledged draft and delivered message is there afterwards",
		act:    kill9, judge: judgeKill9},
	{name: "postgres-restart", title: "PostgreSQL stopped, then started again",
		target:  "errors only while it is down; recovery without restarting Jarvis",
		prepare: ownPostgres, act: postgresRestart, judge: judgeOutage("pg-down", "pg-ready")},
	{name: "redis-stop", title: "Redis stopped, then started again",
		target:  "Jarvis keeps serving (which limits fail open, which fail closed)",
		prepare: ownRedis, act: redisStop, judge: judgeRedis},
}

func scenarioNames() []string {
	var out []string
	for _, s := range scenarios {
		out = append(out, s.name)
	}
	return out
}

func findScenario(name string) *scenario {
	for _, s := range scenarios {
		if s.name == name {
			return s
		}
	}
	return nil
}

// fault runs a scenario under load and writes its section of the report.
func fault(ctx context.Context, o options, name string, stdout io.Writer) error {
	sc := findScenario(name)
	if sc == nil {
		return fmt.Errorf("unknown scenario %q (want one of %s)", name, strings.Join(scenarioNames(), ", "))
	}
	o.cluster.Users = min(o.cluster.Users, 40)
	s, err := runScenario(ctx, sc, o.cluster, o.rate, true, stdout)
	if err != nil {
		return err
	}
	pass, verdict := sc.judge(s)
	section := scenarioReport(sc, s, o, pass, verdict)
	fmt.Fprintln(stdout, section)
	if !o.noWrite {
		if err := updateReport(o.out, sc.name, section); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s into %s\n", sc.name, o.out)
	}
	if !pass {
		return fmt.Errorf("%s: target not met: %s", sc.name, verdict)
	}
	return nil
}

// runScenario starts a cluster, puts it under load at rate, acts, and
// verifies afterwards that nothing acknowledged was lost.
func runScenario(ctx context.Context, sc *scenario, cfg ClusterConfig, rate float64, faults bool, log io.Writer) (*scene, error) {
	if sc.prepare != nil {
		undo, err := sc.prepare(ctx, &cfg, log)
		if err != nil {
			return nil, err
		}
		defer undo()
	}
	opts := options{cluster: cfg}
	c, w, err := setUp(ctx, opts, log)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if !faults {
		if err := c.SetFaults(ctx, map[string]any{"fail": []string{}}); err != nil {
			return nil, err
		}
	}
	s := &scene{c: c, w: w, at: map[string]time.Time{}}
	loadCtx, stopLoad := context.WithCancel(ctx)
	done := make(chan *Run, 1)
	s.began = time.Now()
	injected := c.InjectedFaults()
	go func() { done <- w.Attack(loadCtx, rate, 30*time.Minute) }()
	actErr := sc.act(ctx, s)
	_ = sleepCtx(ctx, 3*time.Second)
	stopLoad()
	s.run = <-done
	s.run.Duration = time.Since(s.began)
	s.run.Injected = c.InjectedFaults() - injected
	s.restarted = c.RestartedReplicas()
	if actErr != nil {
		return nil, fmt.Errorf("%s: %w (logs in %s)", sc.name, actErr, c.Dir())
	}
	if err := c.SetFaults(ctx, map[string]any{"fail": []string{}}); err != nil {
		return nil, err
	}
	check, err := w.Verify(ctx, 60*time.Second)
	if err != nil {
		return nil, fmt.Errorf("%s: verify: %w", sc.name, err)
	}
	s.check = check
	fmt.Fprintf(log, "%s: %s; afterwards %s\n", sc.name, summary(s.run), check)
	return s, nil
}

func rollingRestart(ctx context.Context, s *scene) error {
	if err := sleepCtx(ctx, 3*time.Second); err != nil {
		return err
	}
	for n := 1; n <= s.c.Replicas(); n++ {
		s.mark(fmt.Sprintf("term%d", n), fmt.Sprintf("SIGTERM to replica %d", n))
		if err := s.c.Signal(n, syscall.SIGTERM); err != nil {
			return err
		}
		wait, cancel := context.WithTimeout(ctx, time.Minute)
		err := s.c.WaitExit(wait, n)
		cancel()
		if err != nil {
			return fmt.Errorf("replica %d did not exit cleanly after SIGTERM: %w", n, err)
		}
		s.mark(fmt.Sprintf("exit%d", n), fmt.Sprintf("replica %d exited (status 0)", n))
		if err := s.c.Restart(ctx, n); err != nil {
			return err
		}
		s.mark(fmt.Sprintf("back%d", n), fmt.Sprintf("replica %d started again and back in HAProxy", n))
	}
	return nil
}

func kill9(ctx context.Context, s *scene) error {
	if err := sleepCtx(ctx, 4*time.Second); err != nil {
		return err
	}
	s.mark("kill", "kill -9 of replica 2")
	if err := s.c.Signal(2, syscall.SIGKILL); err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = s.c.WaitExit(wait, 2)
	if err := sleepCtx(ctx, 6*time.Second); err != nil {
		return err
	}
	if err := s.c.Restart(ctx, 2); err != nil {
		return err
	}
	s.mark("back", "replica 2 started again and back in HAProxy")
	return sleepCtx(ctx, 3*time.Second)
}

// failuresBeyondFaults are the failed requests not caused by an injected
// fault.
func failuresBeyondFaults(r *Run) []Failure {
	var out []Failure
	for _, f := range r.Failures {
		if f.Outcome == "error" {
			out = append(out, f)
		}
	}
	return out
}

func judgeNoErrors(s *scene) (bool, string) {
	fails := failuresBeyondFaults(s.run)
	lost := s.check.Lost()
	if len(fails) == 0 && lost == 0 {
		return true, fmt.Sprintf("no request failed beyond the injected faults (%d of %d requests answered; %d passed on an injected fault); nothing lost",
			s.run.Requests-s.run.Faults, s.run.Requests, s.run.Faults)
	}
	return false, fmt.Sprintf("%d requests failed (%s); %d acknowledged writes missing", len(fails), topReasons(s.run.Reasons, 5), lost)
}

func judgeKill9(s *scene) (bool, string) {
	kill := s.at["kill"]
	var before, after int
	for _, f := range failuresBeyondFaults(s.run) {
		if f.At.Before(kill) {
			before++
		} else {
			after++
		}
	}
	lost := s.check.Lost()
	msg := fmt.Sprintf("%d requests failed, all sent before the kill (in flight on the killed replica: %s); %d sent after it failed; %s",
		before, orNone(topReasons(s.run.Reasons, 4)), after, s.check)
	if after > 0 {
		msg = fmt.Sprintf("%d requests failed that were sent after the kill (%s); %d in flight at the kill; %s",
			after, topReasons(s.run.Reasons, 4), before, s.check)
	}
	return after == 0 && lost == 0, msg
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// judgeOutage passes when no request sent after the outage ended
// (readiness back) failed, and no replica restarted.
func judgeOutage(down, ready string) func(s *scene) (bool, string) {
	return func(s *scene) (bool, string) {
		start, end := s.at[down], s.at[ready]
		var during, after []Failure
		for _, f := range failuresBeyondFaults(s.run) {
			if f.At.After(end) {
				after = append(after, f)
			} else if !f.At.Before(start.Add(-30 * time.Second)) {
				during = append(during, f)
			}
		}
		restarted := s.restarted
		msg := fmt.Sprintf("%d requests failed while it was down or coming back (%s), %d after Jarvis was ready again; replicas restarted: %d; %s",
			len(during), orNone(topReasons(reasonsOf(during), 4)), len(after), restarted, s.check)
		return len(after) == 0 && restarted == 0 && s.check.Lost() == 0, msg
	}
}

func reasonsOf(fs []Failure) map[string]int {
	m := map[string]int{}
	for _, f := range fs {
		m[f.Kind+": "+f.Why]++
	}
	return m
}

// ownPostgres points the cluster at a PostgreSQL cluster of the
// scenario's own (Debian's pg_createcluster, port 5439), so that stopping
// it disturbs nothing else on the machine.
func ownPostgres(ctx context.Context, cfg *ClusterConfig, log io.Writer) (func(), error) {
	version, err := pgVersion()
	if err != nil {
		return nil, err
	}
	const name, port = "jarvisload", "5439"
	if out, _ := exec.CommandContext(ctx, "pg_lsclusters", "-h").Output(); !strings.Contains(string(out), " "+name+" ") {
		fmt.Fprintf(log, "creating PostgreSQL cluster %s %s on port %s\n", version, name, port)
		cmd := exec.CommandContext(ctx, "pg_createcluster", version, name, "-p", port, "--", "--auth-local=trust", "--auth-host=trust")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("pg_createcluster: %v\n%s", err, b)
		}
	}
	if err := pgCtl(ctx, version, name, "start"); err != nil && !strings.Contains(err.Error(), "already running") {
		return nil, err
	}
	cfg.Postgres = "postgres://postgres@127.0.0.1:" + port + "/postgres?sslmode=disable"
	return func() { _ = pgCtl(context.Background(), version, name, "stop") }, nil
}

func pgVersion() (string, error) {
	entries, err := os.ReadDir("/etc/postgresql")
	if err != nil || len(entries) == 0 {
		return "", errors.New("no PostgreSQL cluster under /etc/postgresql: the scenario needs Debian's postgresql-common (pg_createcluster)")
	}
	return entries[len(entries)-1].Name(), nil
}

func pgCtl(ctx context.Context, version, name, action string) error {
	args := []string{"--skip-systemctl-redirect", version, name, action}
	if action == "stop" {
		args = append(args, "-m", "fast")
	}
	b, err := exec.CommandContext(ctx, "pg_ctlcluster", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctlcluster %s: %v: %s", strings.Join(args, " "), err, b)
	}
	return nil
}

func postgresRestart(ctx context.Context, s *scene) error {
	version, err := pgVersion()
	if err != nil {
		return err
	}
	if err := sleepCtx(ctx, 4*time.Second); err != nil {
		return err
	}
	s.mark("pg-down", "PostgreSQL stopped (pg_ctlcluster stop -m fast)")
	if err := pgCtl(ctx, version, "jarvisload", "stop"); err != nil {
		return err
	}
	if err := sleepCtx(ctx, 5*time.Second); err != nil {
		return err
	}
	s.mark("pg-up", "PostgreSQL started again")
	if err := pgCtl(ctx, version, "jarvisload", "start"); err != nil {
		return err
	}
	if err := waitOK(ctx, s.c.URL+"/readyz", time.Minute); err != nil {
		return err
	}
	s.mark("pg-ready", "Jarvis ready again through HAProxy")
	return sleepCtx(ctx, 6*time.Second)
}

// ownRedis starts a redis-server of the scenario's own on a free port.
func ownRedis(ctx context.Context, cfg *ClusterConfig, log io.Writer) (func(), error) {
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	r := &redisServer{port: ports[0], dir: cfg.Dir}
	if r.dir == "" {
		r.dir = os.TempDir()
	}
	if err := r.start(ctx); err != nil {
		return nil, err
	}
	activeRedis = r
	cfg.Redis = fmt.Sprintf("redis://127.0.0.1:%d/0", r.port)
	return func() { r.stop(); activeRedis = nil }, nil
}

// activeRedis is the scenario's own Redis while redis-stop runs.
var activeRedis *redisServer

type redisServer struct {
	port int
	dir  string
	cmd  *exec.Cmd
}

func (r *redisServer) start(ctx context.Context) error {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return errors.New("redis-server is not installed: the scenario starts a Redis of its own")
	}
	cmd := exec.Command(bin, "--port", fmt.Sprint(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	logf, err := os.Create(filepath.Join(r.dir, fmt.Sprintf("redis-%d.log", r.port)))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	r.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := flushRedis(ctx, fmt.Sprintf("redis://127.0.0.1:%d/0", r.port)); err == nil {
			return nil
		}
		_ = sleepCtx(ctx, 100*time.Millisecond)
	}
	return errors.New("redis-server did not answer within 10 s")
}

func (r *redisServer) stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	_ = r.cmd.Wait()
	r.cmd = nil
}

func redisStop(ctx context.Context, s *scene) error {
	r := activeRedis
	if r == nil {
		return errors.New("no Redis of the scenario's own")
	}
	if err := sleepCtx(ctx, 4*time.Second); err != nil {
		return err
	}
	s.mark("redis-down", "Redis stopped")
	r.stop()
	if err := sleepCtx(ctx, 3*time.Second); err != nil {
		return err
	}
	s.probes = probeReplica(ctx, s)
	if err := sleepCtx(ctx, 5*time.Second); err != nil {
		return err
	}
	s.mark("redis-up", "Redis started again (empty)")
	if err := r.start(ctx); err != nil {
		return err
	}
	if err := waitOK(ctx, s.c.URL+"/readyz", time.Minute); err != nil {
		return err
	}
	s.mark("redis-ready", "Jarvis ready again through HAProxy")
	return sleepCtx(ctx, 5*time.Second)
}

// probeReplica asks one replica directly, past the load balancer, what
// each kind of request answers while Redis is down.
func probeReplica(ctx context.Context, s *scene) []string {
	u := s.w.Users[0]
	base := "http://" + s.c.replicas[0].addr
	acct := "account=" + u.Account
	probes := []struct{ name, method, path, body string }{
		{"GET /livez", http.MethodGet, "/livez", ""},
		{"GET /readyz", http.MethodGet, "/readyz", ""},
		{"GET /me", http.MethodGet, "/me", ""},
		{"inbox page", http.MethodGet, "/gmail/threads?max_results=5&" + acct, ""},
		{"thread read", http.MethodGet, "/gmail/thread/" + u.Threads[0] + "?" + acct, ""},
		{"draft", http.MethodPost, "/gmail/draft?" + acct, `{"to":["x@example.com"],"subject":"probe","body_text":"probe"}`},
		{"chat turn", http.MethodPost, "/chat", `{"message":"hello"}`},
		{"sign-in start", http.MethodGet, "/auth/google/start", ""},
	}
	var out []string
	for _, p := range probes {
		var body io.Reader
		if p.body != "" {
			body = strings.NewReader(p.body)
		}
		req, _ := http.NewRequestWithContext(ctx, p.method, base+p.path, body)
		req.Header.Set("Authorization", "Bearer "+u.Token)
		req.Header.Set("Accept", "application/json")
		if p.body != "" {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "probe-"+randomHex(4))
		}
		resp, err := noFollow.Do(req)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: %v", p.name, err))
			continue
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		code := ""
		if resp.StatusCode >= 300 {
			var pr struct {
				Code, Field string
			}
			_ = json.Unmarshal(b, &pr)
			code = " " + strings.TrimSpace(pr.Code+" "+pr.Field)
		}
		out = append(out, fmt.Sprintf("%s: %d%s", p.name, resp.StatusCode, code))
	}
	return out
}

func judgeRedis(s *scene) (bool, string) {
	ok, msg := judgeOutage("redis-down", "redis-ready")(s)
	return ok, msg
}

// RestartedReplicas counts the replicas that are not running.
func (c *Cluster) RestartedReplicas() int {
	n := 0
	for _, r := range c.replicas {
		select {
		case <-r.done:
			n++
		default:
		}
	}
	return n
}

func scenarioReport(sc *scenario, s *scene, o options, pass bool, verdict string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", sc.title)
	fmt.Fprintf(&b, "Under the mixed load at %.0f requests a second (%d users; the sandbox's faults on), %d replicas behind HAProxy. Target: %s.\n\n",
		o.rate, o.cluster.Users, s.c.Replicas(), sc.target)
	b.WriteString("| Time | What happened |\n|---:|---|\n")
	for _, e := range s.events {
		fmt.Fprintf(&b, "| %s | %s |\n", s.since(e.at), e.what)
	}
	r := s.run
	fmt.Fprintf(&b, "\n%d Jarvis requests in %.0f s (p50 %s, p99 %s, max %s; the machine's load average %s at the end): %d failed beyond the injected faults, %d passed on an injected fault (of %d the sandbox injected).\n",
		r.Requests, r.Duration.Seconds(), ms(r.Jarvis.Latencies.P50), ms(r.Jarvis.Latencies.P99), ms(r.Jarvis.Latencies.Max), r.Load, r.Errors, r.Faults, r.Injected)
	if fails := failuresBeyondFaults(r); len(fails) > 0 {
		b.WriteString("\nFailed requests by second since the start (beyond the injected faults):\n\n")
		buckets := map[int]map[string]int{}
		for _, f := range fails {
			sec := int(f.At.Sub(s.began).Seconds())
			if buckets[sec] == nil {
				buckets[sec] = map[string]int{}
			}
			buckets[sec][f.Kind+": "+f.Why]++
		}
		var secs []int
		for k := range buckets {
			secs = append(secs, k)
		}
		sort.Ints(secs)
		for _, sec := range secs {
			fmt.Fprintf(&b, "- %d–%d s: %s\n", sec, sec+1, topReasons(buckets[sec], 4))
		}
	}
	if len(s.probes) > 0 {
		b.WriteString("\nAsked of one replica directly while Redis was down: " + strings.Join(s.probes, "; ") + ".\n")
	}
	result := "**Met**"
	if !pass {
		result = "**Not met**"
	}
	fmt.Fprintf(&b, "\n%s: %s.\n\n```sh\ngo run ./cmd/jarvis-load fault %s\n```\n", result, verdict, sc.name)
	return b.String()
}
