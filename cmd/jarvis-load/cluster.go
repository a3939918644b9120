package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"

	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sandbox/model"
)

// ClusterConfig describes the cluster the tool starts: three (Replicas)
// `jarvis serve` processes behind HAProxy, on a fresh PostgreSQL database
// and a Redis database of their own, with `jarvis sandbox` as Google.
type ClusterConfig struct {
	// Jarvis is the jarvis binary; empty builds it from the module.
	Jarvis string
	// Replicas is how many `jarvis serve` processes run (3).
	Replicas int
	// Postgres is the server's admin URL; the tool creates a database
	// on it and drops it at the end.
	Postgres string
	// Redis is the Redis URL (with its db number), flushed at start and end.
	Redis string
	// Users is how many sandbox accounts exist (load-NNN@example.com).
	Users int
	// Messages is how many generated messages each mailbox starts with.
	Messages int
	// Latency is the sandbox's latency per Google call.
	Latency time.Duration
	// ShutdownDelay is the replicas' JARVIS_SHUTDOWN_DELAY.
	ShutdownDelay time.Duration
	// CheckInterval is HAProxy's health-check interval.
	CheckInterval time.Duration
	// Dir holds the binaries' logs, the sandbox's data and HAProxy's
	// config; empty makes a temporary one, removed by Close.
	Dir string
	// Log receives progress lines.
	Log io.Writer
}

func (c *ClusterConfig) defaults() {
	if c.Replicas == 0 {
		c.Replicas = 3
	}
	if c.Postgres == "" {
		c.Postgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	if c.Redis == "" {
		c.Redis = "redis://127.0.0.1:6379/12"
	}
	if c.Users == 0 {
		c.Users = 100
	}
	if c.Latency == 0 {
		c.Latency = 20 * time.Millisecond
	}
	if c.ShutdownDelay == 0 {
		c.ShutdownDelay = 5 * time.Second
	}
	if c.CheckInterval == 0 {
		c.CheckInterval = 500 * time.Millisecond
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// Cluster is a running set of replicas, their load balancer, database,
// Redis and sandbox.
type Cluster struct {
	cfg     ClusterConfig
	dir     string
	tempDir bool
	bin     string

	// URL is the load balancer's address: what clients use.
	URL string
	// Sandbox is the sandbox's base URL.
	Sandbox string
	// DatabaseURL is the database the replicas share.
	DatabaseURL string
	dbName      string

	env      []string
	replicas []*replica
	sandbox  *exec.Cmd
	haproxy  *exec.Cmd

	mu sync.Mutex
}

type replica struct {
	n    int
	addr string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// StartCluster builds (if needed) and starts everything; Close stops it
// and removes what it made.
func StartCluster(ctx context.Context, cfg ClusterConfig) (c *Cluster, err error) {
	cfg.defaults()
	if _, err := exec.LookPath("haproxy"); err != nil {
		return nil, errors.New("haproxy is not installed (apt-get install -y haproxy): the replicas need a real load balancer")
	}
	c = &Cluster{cfg: cfg, dir: cfg.Dir}
	defer func() {
		if err != nil {
			c.Close()
			c = nil
		}
	}()
	if c.dir == "" {
		if c.dir, err = os.MkdirTemp("", "jarvis-load-"); err != nil {
			return c, err
		}
		c.tempDir = true
	}
	if c.bin, err = buildJarvis(ctx, cfg.Jarvis, c.dir, cfg.Log); err != nil {
		return c, err
	}
	if err = c.createDatabase(ctx); err != nil {
		return c, err
	}
	if err = flushRedis(ctx, cfg.Redis); err != nil {
		return c, err
	}
	ports, err := freePorts(cfg.Replicas + 2)
	if err != nil {
		return c, err
	}
	lbPort, sbPort := ports[0], ports[1]
	c.URL = fmt.Sprintf("http://127.0.0.1:%d", lbPort)
	c.Sandbox = fmt.Sprintf("http://127.0.0.1:%d", sbPort)
	if err = c.startSandbox(ctx, sbPort); err != nil {
		return c, err
	}
	c.env = c.replicaEnv()
	if err = c.migrate(ctx); err != nil {
		return c, err
	}
	for i := range cfg.Replicas {
		r := &replica{n: i + 1, addr: fmt.Sprintf("127.0.0.1:%d", ports[i+2])}
		c.replicas = append(c.replicas, r)
		if err = c.startReplica(r); err != nil {
			return c, err
		}
	}
	for _, r := range c.replicas {
		if err = c.waitReady(ctx, r, 60*time.Second); err != nil {
			return c, err
		}
	}
	if err = c.startHAProxy(lbPort); err != nil {
		return c, err
	}
	if err = waitOK(ctx, c.URL+"/readyz", 20*time.Second); err != nil {
		b, _ := os.ReadFile(filepath.Join(c.dir, "haproxy.log"))
		return c, fmt.Errorf("load balancer: %w\n%s", err, b)
	}
	fmt.Fprintf(cfg.Log, "cluster up: %d replicas behind HAProxy at %s, sandbox at %s, database %s\n", cfg.Replicas, c.URL, c.Sandbox, c.dbName)
	return c, nil
}

// buildJarvis returns bin when set, else builds ./cmd/jarvis of the module
// into dir (without the race detector: the replicas are the system under
// load, not under test).
func buildJarvis(ctx context.Context, bin, dir string, log io.Writer) (string, error) {
	if bin != "" {
		return bin, nil
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "jarvis")
	fmt.Fprintf(log, "building jarvis from %s\n", root)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/jarvis")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/jarvis: %v\n%s", err, b)
	}
	return out, nil
}

func moduleRoot(ctx context.Context) (string, error) {
	b, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(b))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the jarvis module, or give --jarvis")
	}
	return filepath.Dir(mod), nil
}

func (c *Cluster) createDatabase(ctx context.Context) error {
	db, err := sql.Open("pgx", c.cfg.Postgres)
	if err != nil {
		return err
	}
	defer db.Close()
	c.dbName = "jarvis_load_" + randomHex(4)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+c.dbName); err != nil {
		c.dbName = ""
		return fmt.Errorf("create database: %w", err)
	}
	u, err := url.Parse(c.cfg.Postgres)
	if err != nil {
		return err
	}
	u.Path = "/" + c.dbName
	c.DatabaseURL = u.String()
	return nil
}

func (c *Cluster) dropDatabase() error {
	if c.dbName == "" {
		return nil
	}
	db, err := sql.Open("pgx", c.cfg.Postgres)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+c.dbName+" WITH (FORCE)")
	return err
}

func flushRedis(ctx context.Context, u string) error {
	opts, err := redis.ParseURL(u)
	if err != nil {
		return fmt.Errorf("redis url: %w", err)
	}
	r := redis.NewClient(opts)
	defer r.Close()
	if err := r.FlushDB(ctx).Err(); err != nil {
		return fmt.Errorf("redis %s: %w", u, err)
	}
	return nil
}

// startSandbox writes one empty account folder per user (the mailboxes
// are generated) and starts `jarvis sandbox`, its Pub/Sub pushing to the
// load balancer.
func (c *Cluster) startSandbox(ctx context.Context, port int) error {
	data := filepath.Join(c.dir, "mail")
	for i := range c.cfg.Users {
		if err := os.MkdirAll(filepath.Join(data, UserEmail(i)), 0o755); err != nil {
			return err
		}
	}
	args := []string{"sandbox", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--data", data,
		"--latency", c.cfg.Latency.String(), "--log-format", "json",
		"--pubsub-push", c.URL + "/webhooks/google/pubsub",
		"--push-backoff-min", "500ms", "--push-backoff-max", "5s"}
	if c.cfg.Messages > 0 {
		args = append(args, "--generate", strconv.Itoa(c.cfg.Messages), "--seed", "1")
	}
	cmd := exec.Command(c.bin, args...)
	logf, err := os.Create(filepath.Join(c.dir, "sandbox.log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start sandbox: %w", err)
	}
	c.sandbox = cmd
	return waitOK(ctx, c.Sandbox+"/sandbox/faults", 60*time.Second)
}

// replicaEnv is every replica's environment: the shared database, Redis,
// secrets and the sandbox as Google and as the model.
func (c *Cluster) replicaEnv() []string {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"JARVIS_PUBLIC_URL=" + c.URL,
		"JARVIS_DATABASE_URL=" + c.DatabaseURL,
		"JARVIS_REDIS_URL=" + c.cfg.Redis,
		"JARVIS_JWT_SECRET=" + randomHex(32),
		"JARVIS_ENCRYPTION_KEYS=k1:" + base64.StdEncoding.EncodeToString(key),
		"GOOGLE_CLIENT_ID=" + sandbox.DefaultClientID,
		"GOOGLE_CLIENT_SECRET=" + sandbox.DefaultClientSecret,
		"JARVIS_GOOGLE_BASE_URL=" + c.Sandbox,
		"JARVIS_OPEN_SIGNUP=true",
		"JARVIS_GMAIL_PUSH=push",
		"JARVIS_PUBSUB_TOPIC=" + sandbox.DefaultPushTopic,
		"JARVIS_PUBSUB_SERVICE_ACCOUNT=" + sandbox.DefaultPushAccount,
		"JARVIS_LLM_PROVIDER=openai",
		"OPENAI_BASE_URL=" + c.Sandbox + "/v1",
		"OPENAI_API_KEY=sandbox",
		"JARVIS_LLM_MODEL=" + model.Name,
		"JARVIS_TRUSTED_PROXIES=127.0.0.1/32",
		// Every simulated user signs in from this one address at the start.
		"JARVIS_ANONYMOUS_REQUESTS_PER_MINUTE=100000",
		"JARVIS_SHUTDOWN_DELAY=" + c.cfg.ShutdownDelay.String(),
		"JARVIS_LOG_FORMAT=json",
		"JARVIS_LOG_LEVEL=warn",
	}
}

func (c *Cluster) migrate(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, c.bin, "migrate", "up")
	cmd.Env = c.env
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("jarvis migrate up: %v\n%s", err, b)
	}
	return nil
}

func (c *Cluster) startReplica(r *replica) error {
	cmd := exec.Command(c.bin, "serve")
	cmd.Env = append(append([]string{}, c.env...), "JARVIS_ADDR="+r.addr)
	logf, err := os.OpenFile(filepath.Join(c.dir, fmt.Sprintf("replica-%d.log", r.n)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start replica %d: %w", r.n, err)
	}
	done := make(chan struct{})
	c.mu.Lock()
	r.cmd, r.done, r.err = cmd, done, nil
	c.mu.Unlock()
	go func() {
		err := cmd.Wait()
		logf.Close()
		c.mu.Lock()
		r.err = err
		c.mu.Unlock()
		close(done)
	}()
	return nil
}

func (c *Cluster) waitReady(ctx context.Context, r *replica, limit time.Duration) error {
	if err := waitOK(ctx, "http://"+r.addr+"/readyz", limit); err != nil {
		return fmt.Errorf("replica %d: %w (log: %s)", r.n, err, c.logTail(r.n))
	}
	return nil
}

func (c *Cluster) logTail(n int) string {
	b, _ := os.ReadFile(filepath.Join(c.dir, fmt.Sprintf("replica-%d.log", n)))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// startHAProxy writes its configuration and runs it in the foreground.
// Health checks ask /readyz every CheckInterval: two failures take a
// replica out (a draining one answers 503 at once; a busy one has 2 s to
// answer), two successes put it back. A connection refused is retried on another replica (redispatch);
// a request already sent is never retried.
func (c *Cluster) startHAProxy(port int) error {
	inter := c.cfg.CheckInterval.Milliseconds()
	var b strings.Builder
	fmt.Fprintf(&b, `global
  maxconn 4000

defaults
  mode http
  timeout connect 2s
  timeout client 120s
  timeout server 120s
  timeout http-keep-alive 30s
  retries 2
  option redispatch

frontend jarvis
  bind 127.0.0.1:%d
  option forwardfor
  default_backend replicas

backend replicas
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  timeout check 2s
  default-server inter %dms fastinter %dms downinter %dms fall 2 rise 2
`, port, inter, inter, inter)
	for _, r := range c.replicas {
		fmt.Fprintf(&b, "  server r%d %s check\n", r.n, r.addr)
	}
	cfgPath := filepath.Join(c.dir, "haproxy.cfg")
	if err := os.WriteFile(cfgPath, []byte(b.String()), 0o644); err != nil {
		return err
	}
	cmd := exec.Command("haproxy", "-db", "-f", cfgPath)
	logf, err := os.Create(filepath.Join(c.dir, "haproxy.log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start haproxy: %w", err)
	}
	c.haproxy = cmd
	return nil
}

// Signal sends sig to replica n (1-based).
func (c *Cluster) Signal(n int, sig syscall.Signal) error {
	r := c.replicas[n-1]
	c.mu.Lock()
	p := r.cmd.Process
	c.mu.Unlock()
	return p.Signal(sig)
}

// WaitExit waits for replica n to exit and returns how it ended.
func (c *Cluster) WaitExit(ctx context.Context, n int) error {
	r := c.replicas[n-1]
	c.mu.Lock()
	done := r.done
	c.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return r.err
}

// Restart starts replica n again (after it exited) and waits until both
// it and the load balancer see it ready.
func (c *Cluster) Restart(ctx context.Context, n int) error {
	r := c.replicas[n-1]
	if err := c.startReplica(r); err != nil {
		return err
	}
	if err := c.waitReady(ctx, r, 60*time.Second); err != nil {
		return err
	}
	// HAProxy puts it back after two good checks.
	return sleepCtx(ctx, 3*c.cfg.CheckInterval)
}

// InjectedFaults counts the faults the sandbox has injected so far (its
// log names each).
func (c *Cluster) InjectedFaults() int {
	b, _ := os.ReadFile(filepath.Join(c.dir, "sandbox.log"))
	return bytes.Count(b, []byte("sandbox: injected fault"))
}

// Replicas is how many replicas run.
func (c *Cluster) Replicas() int { return len(c.replicas) }

// Dir is where the logs are.
func (c *Cluster) Dir() string { return c.dir }

// SetFaults posts the sandbox's run-time faults.
func (c *Cluster) SetFaults(ctx context.Context, faults map[string]any) error {
	_, err := postJSON(ctx, http.DefaultClient, c.Sandbox+"/sandbox/faults", "", faults, nil)
	return err
}

// SandboxStats answers the sandbox's call counts.
func (c *Cluster) SandboxStats(ctx context.Context) (map[string]int64, error) {
	var out struct {
		Calls map[string]int64 `json:"calls"`
	}
	err := getJSON(ctx, http.DefaultClient, c.Sandbox+"/sandbox/stats", "", &out)
	return out.Calls, err
}

// Close stops every process (replicas drain on SIGTERM), drops the
// database, flushes the Redis database and removes a temporary folder.
func (c *Cluster) Close() error {
	var errs []error
	for _, r := range c.replicas {
		c.mu.Lock()
		cmd, done := r.cmd, r.done
		c.mu.Unlock()
		if cmd == nil {
			continue
		}
		select {
		case <-done:
			continue
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	for _, p := range []*exec.Cmd{c.haproxy, c.sandbox} {
		if p == nil || p.Process == nil {
			continue
		}
		_ = p.Process.Signal(syscall.SIGTERM)
		waited := make(chan struct{})
		go func() { _ = p.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			_ = p.Process.Kill()
			<-waited
		}
	}
	if err := c.dropDatabase(); err != nil {
		errs = append(errs, fmt.Errorf("drop database %s: %w", c.dbName, err))
	}
	if c.cfg.Redis != "" {
		_ = flushRedis(context.Background(), c.cfg.Redis)
	}
	if c.tempDir {
		_ = os.RemoveAll(c.dir)
	}
	return errors.Join(errs...)
}

// UserEmail is the address of sandbox user i.
func UserEmail(i int) string { return fmt.Sprintf("load-%04d@example.com", i) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// waitOK polls u until it answers 200, for at most limit.
func waitOK(ctx context.Context, u string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return fmt.Errorf("%s not ready within %s: %s", u, limit, last)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// httpError is a non-2xx answer.
type httpError struct {
	Status int
	Body   string
}

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

func doJSON(ctx context.Context, client *http.Client, method, u, token string, in, out any) (http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return resp.Header, &httpError{Status: resp.StatusCode, Body: string(b)}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.Header, fmt.Errorf("%s %s: %w", method, u, err)
		}
	}
	return resp.Header, nil
}

func getJSON(ctx context.Context, client *http.Client, u, token string, out any) error {
	_, err := doJSON(ctx, client, http.MethodGet, u, token, nil, out)
	return err
}

func postJSON(ctx context.Context, client *http.Client, u, token string, in, out any) (http.Header, error) {
	return doJSON(ctx, client, http.MethodPost, u, token, in, out)
}
