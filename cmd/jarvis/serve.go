package main

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/actions"
	"github.com/jarvis-hq/jarvis/internal/audit"
	"github.com/jarvis-hq/jarvis/internal/cache"
	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/events"
	"github.com/jarvis-hq/jarvis/internal/google"
	"github.com/jarvis-hq/jarvis/internal/httpapi"
	"github.com/jarvis-hq/jarvis/internal/jobs"
	"github.com/jarvis-hq/jarvis/internal/jwtauth"
	"github.com/jarvis-hq/jarvis/internal/logging"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
	"github.com/jarvis-hq/jarvis/internal/metrics"
	"github.com/jarvis-hq/jarvis/internal/oauthserver"
	"github.com/jarvis-hq/jarvis/internal/outbox"
	"github.com/jarvis-hq/jarvis/internal/quota"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/telemetry"
	"github.com/jarvis-hq/jarvis/internal/vault"
	"github.com/jarvis-hq/jarvis/web"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, lookup env) error {
	flags := newFlagSet("serve")
	config.RegisterFlags(flags)
	migrate := flags.Bool("migrate", false, "apply pending database migrations before serving")
	flags.Bool("sandbox", false, "run the built-in local Google and sandbox model (the offline demo)")
	var sb sandbox.Config
	sandbox.RegisterFlags(flags, &sb) // used with --sandbox: --data DIR, --latency, --fail, …
	const synopsis = "Usage: jarvis serve [--sandbox] [--migrate] [flags]\n\n" +
		"Runs the HTTP API and the dashboard. Every option is also an environment variable (named in\n" +
		"brackets); a flag wins over the environment."
	if err := parseFlags(flags, args, synopsis, stdout); err != nil {
		return err
	}
	var notes []string
	cfg, err := loadConfig(flags, lookup, flags.Lookup("sandbox").Value.String() == "true", (*config.Config).ValidateSettings,
		func(f string, a ...any) { notes = append(notes, fmt.Sprintf(f, a...)) })
	if err != nil {
		return err
	}
	sd, err := newNotifier(lookup)
	if err != nil {
		return configError(err)
	}
	m := NewMain(cfg, stderr)
	if m.Tracing, err = telemetry.FromEnv(ctx, lookup); err != nil {
		return err
	}
	m.Migrate = *migrate
	m.SandboxConfig = sb
	for _, n := range notes {
		m.Logger.Info(n)
	}
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	// Under systemd (Type=notify): ready once the listener is up, the
	// watchdog fed while /livez answers, and told when the drain starts.
	if err := sd.send("READY=1\nSTATUS=serving " + m.URL()); err != nil {
		m.Logger.Warn("systemd notification", "err", err)
	}
	go sd.watch(ctx, m.URL()+"/livez", m.Logger)
	<-ctx.Done()
	_ = sd.send("STOPPING=1\nSTATUS=draining")
	drained := make(chan struct{})
	defer close(drained)
	go sd.keepAlive(drained)
	if errors.Is(context.Cause(ctx), errInterrupted) {
		// Ctrl-C at a terminal: no load balancer is waiting to be told.
		cfg.ShutdownDelay = 0
	}
	m.Logger.Info("shutting down: readiness answers 503, then the listener closes and in-flight requests and jobs finish",
		"delay", cfg.ShutdownDelay.String(), "grace", cfg.ShutdownGrace.String())
	return m.Close()
}

// Main is the whole Jarvis server, wired. Tests start it on 127.0.0.1:0.
type Main struct {
	Config *config.Config
	Logger *slog.Logger
	// Migrate applies pending migrations at start instead of refusing to run.
	Migrate bool
	// SyncAudit writes each audit row within its request. By default rows
	// go through the batching writer, which flushes at least every 100 ms,
	// before the audit log is read, and on Close.
	SyncAudit bool
	// Listener, when set, is served instead of listening on Config.Addr.
	Listener net.Listener
	// HTTP is the API's own configuration beyond Config (rate limits, observers).
	HTTP httpapi.Config
	// ReadHeaderTimeout bounds how long a client may take to send its
	// request headers; default 10 s.
	ReadHeaderTimeout time.Duration
	// ScheduleJobsEvery, when set, is how often due jobs are made runnable
	// beside River's 5-second pass (see jobs.Config.ScheduleEvery).
	ScheduleJobsEvery time.Duration
	// ActionRuns, when set, changes how approved actions interrupted by a
	// dying process are found and run again (tests make it fast and
	// inject the deaths); the defaults otherwise.
	ActionRuns ActionRuns

	DB         *sqldb.DB
	API        *httpapi.Server
	HTTPServer *http.Server
	Sandbox    *Sandbox
	// SandboxConfig configures the sandbox that Config.Sandbox starts.
	SandboxConfig sandbox.Config
	Google        *google.Service
	// Quota is every Google account's Gmail budget; calls made with a
	// quota.InBackground context (the sync) leave its reserve to people.
	// Run makes it from the configuration unless it is set.
	Quota *quota.Limiter
	Audit *audit.Recorder
	// Integrations is the token store (tokens sealed with the vault).
	Integrations *sqldb.Integrations
	// Index is the local index; Engine syncs it; Jobs runs the syncs.
	Index  *sqldb.MailIndex
	Engine *mailsync.Engine
	Jobs   *jobs.Runner
	// Outbox sends mail held until its time, with the jobs.
	Outbox *outbox.Service
	// OAuth is the authorization server of /mcp; it verifies the tokens
	// it issues (jarvis.MCPTokenVerifier).
	OAuth *oauthserver.Server
	// Metrics are made when JARVIS_METRICS_ADDR is set, and served there.
	Metrics *metrics.Metrics
	// Tracing, when set, makes spans and exports them (serve sets it from
	// the OTEL_* environment); Close flushes it last.
	Tracing *telemetry.Tracing

	metricsListener net.Listener

	listener net.Listener
	closers  []func() error
	redis    *cache.Redis
	events   *events.Bus
	actions  *actions.Service
	stop     context.CancelFunc
}

// ActionRuns is how interrupted actions are found and run again.
type ActionRuns struct {
	// Lease is how long a run holds its action (actions.DefaultRunLease).
	Lease time.Duration
	// SweepEvery is how often they are looked for (jobs.DefaultActionSweepEvery).
	SweepEvery time.Duration
	// Interrupt abandons runs, as a dying process would (see actions.Config).
	Interrupt func(a *jarvis.Action, step string) bool
}

// NewMain returns a Main for cfg, logging to w.
func NewMain(cfg *config.Config, w io.Writer) *Main {
	return &Main{Config: cfg, Logger: logging.New(w, cfg.LogFormat, cfg.LogLevel)}
}

// URL is the base URL the server listens on.
func (m *Main) URL() string { return "http://" + m.listener.Addr().String() }

// Run opens every dependency, checks the schema and starts serving in the
// background. Close stops it.
func (m *Main) Run(ctx context.Context) (err error) {
	cfg := m.Config
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stop = stop
	if err := cfg.Validate(); err != nil {
		return configError(err)
	}
	m.traceOnClose()
	if cfg.Sandbox {
		if m.Sandbox, err = startSandbox(cfg, m.SandboxConfig, m.Logger); err != nil {
			return err
		}
		m.closers = append(m.closers, m.Sandbox.Close)
	}
	m.Logger.Debug("configuration from the environment", "options", cfg.Dump(os.LookupEnv))

	if m.DB, err = sqldb.OpenPool(ctx, cfg.DatabaseURL, sqldb.Pool{MaxConns: cfg.DBMaxConns, MaxIdleConns: cfg.DBMaxIdleConns, Tracer: m.tracer()}); err != nil {
		return err
	}
	m.closers = append(m.closers, m.DB.Close)
	if err := m.checkSchema(ctx); err != nil {
		return err
	}
	m.newMetrics()
	keys, err := vault.ParseKeys(cfg.EncryptionKeys)
	if err != nil {
		return fmt.Errorf("JARVIS_ENCRYPTION_KEYS: %w", err)
	}
	tokens, err := jwtauth.New(cfg.JWTSecret, cfg.JWTIssuer, cfg.JWTTTL, nil)
	if err != nil {
		return err
	}
	recorder := audit.New(m.DB, audit.Options{Async: !m.SyncAudit, Logger: m.Logger})
	m.Audit = recorder
	integrations := sqldb.NewIntegrations(m.DB, vault.Cipher{Keys: keys})
	m.Integrations = integrations
	// Tokens sealed before they were bound to their user are sealed again,
	// bound, once (a no-op when there are none).
	if n, failed, err := integrations.ResealLegacy(ctx); err != nil {
		return fmt.Errorf("re-seal stored tokens: %w", err)
	} else if n+failed > 0 {
		m.Logger.Info("re-sealed stored Google tokens, bound to their user", "rows", n, "unreadable", failed)
	}

	var limiter jarvis.RateLimiter = m.DB
	// The Gmail quota is shared by the replicas: in Redis, else in
	// PostgreSQL; SQLite runs one process, which keeps it in memory.
	var quotaStore quota.Store = quota.NewMemory()
	if m.DB.Dialect() == sqldb.Postgres {
		quotaStore = sqldb.NewGmailQuota(m.DB)
	}
	checks := map[string]func(context.Context) error{"database": m.DB.Ping}
	advisory := map[string]func(context.Context) error{}
	if cfg.RedisURL != "" {
		rdb, err := cache.OpenRedis(ctx, cfg.RedisURL)
		if err != nil {
			return err
		}
		m.closers = append(m.closers, rdb.Close)
		// Every replica shares Redis and serves without it (the limits
		// fail open), so its loss is reported, never unready.
		limiter, advisory["redis"] = rdb, rdb.Ping
		m.redis = rdb
		quotaStore = rdb
	}
	if m.Quota == nil {
		m.Quota = quota.New(quotaStore, quota.Config{PerMinute: cfg.GmailQuotaPerMinute, Logger: m.Logger.With("component", "quota"),
			Observer: m.quotaObserver()})
	}
	deps := httpapi.Deps{
		Users: m.DB, Profiles: m.DB, Orgs: m.DB, Invitations: m.DB, AuditLog: m.DB, Auditor: recorder, Tokens: tokens, Revocations: m.DB,
		Idempotency: m.DB, Limiter: limiter, Integrations: integrations, States: m.DB, Logger: m.Logger,
		Dashboard: web.Handler(),
		Checks:    checks,
		Advisory:  advisory,
	}
	if err := m.wireGoogle(ctx, &deps, integrations, recorder); err != nil {
		return err
	}
	if err := m.wireChat(ctx, &deps, recorder); err != nil {
		return err
	}
	if err := m.wireSync(ctx, bg, &deps); err != nil {
		return err
	}
	if err := m.wireOAuth(&deps, integrations, recorder); err != nil {
		return err
	}
	// /mcp takes personal tokens and the authorization server's.
	if err := m.wireMCP(&deps, integrations, recorder, m.OAuth); err != nil {
		return err
	}
	hc := m.HTTP
	// Limits a caller of Main set win over the configuration.
	hc.GoogleRateLimit = cmp.Or(hc.GoogleRateLimit, cfg.GoogleRequestsPerMinute)
	hc.ChatRateLimit = cmp.Or(hc.ChatRateLimit, cfg.ChatTurnsPerMinute)
	hc.AnonymousRateLimit = cmp.Or(hc.AnonymousRateLimit, cfg.AnonymousRequestsPerMinute)
	hc.PublicURL, hc.TrustedProxies, hc.SessionTTL = cfg.PublicURL, cfg.TrustedProxies, cfg.JWTTTL
	hc.CSRFKey = deriveKey(cfg.JWTSecret, "jarvis csrf key")
	hc.Observe = m.observeRequests(hc.Observe)
	hc.Tracer = m.tracer()
	m.API = httpapi.New(hc, deps)

	if m.ReadHeaderTimeout <= 0 {
		m.ReadHeaderTimeout = 10 * time.Second
	}
	m.HTTPServer = &http.Server{
		Handler:           m.API,
		ReadHeaderTimeout: m.ReadHeaderTimeout,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    2 << 20, // a huge bearer token is refused as 401 by the token check, before parsing
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return bg },
	}
	if m.listener = m.Listener; m.listener == nil {
		if m.listener, err = net.Listen("tcp", cfg.Addr); err != nil {
			return listenError("jarvis", cfg.Addr, err)
		}
	}
	if m.events != nil {
		m.HTTPServer.RegisterOnShutdown(m.events.Close)
	}
	go func() {
		if err := m.HTTPServer.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("server stopped", "err", err)
		}
	}()
	// The audit writer closes after the HTTP server has drained.
	m.closers = append(m.closers, recorder.Close)
	if err := m.serveMetrics(); err != nil {
		return err
	}
	go m.janitor(bg)
	m.Logger.Info("jarvis is serving", "url", m.URL(), "public_url", cfg.PublicURL, "database", string(m.DB.Dialect()), "version", jarvis.Version)
	return nil
}

// deriveKey derives a key for one purpose from a secret, so that replicas
// sharing the secret share the key and the secret itself is used for one
// thing only.
func deriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// checkSchema refuses an out-of-date schema, or migrates it when asked.
func (m *Main) checkSchema(ctx context.Context) error {
	sqlite := m.DB.Dialect() == sqldb.SQLite
	if m.Migrate {
		n, err := m.DB.MigrateUp(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			m.Logger.Info("database migrated", "applied", n)
		}
		return jobs.Migrate(ctx, m.DB.SQL(), sqlite)
	}
	pending, err := m.DB.HasPendingMigrations(ctx)
	if err != nil {
		return err
	}
	if !pending {
		if pending, err = jobs.Pending(ctx, m.DB.SQL(), sqlite); err != nil {
			return err
		}
	}
	if pending {
		return errors.New("the database schema is out of date: run `jarvis migrate up` (or `jarvis serve --migrate`) first")
	}
	return nil
}

// janitor deletes expired server-side state now and then.
func (m *Main) janitor(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if n, err := m.DB.DeleteExpired(ctx); err != nil && ctx.Err() == nil {
			m.Logger.Warn("delete expired state", "err", err)
		} else if n > 0 {
			m.Logger.Debug("deleted expired state", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close shuts Jarvis down. Readiness (/readyz) turns 503 at once and the
// background jobs stop taking new work; requests are still served for
// Config.ShutdownDelay, so that load balancers notice; then the listener
// closes, open event streams end with a retry hint, and in-flight requests
// and running jobs have Config.ShutdownGrace to finish (jobs still running
// then are cancelled, which hands them back to be retried by any
// replica). Last, every dependency closes in reverse order.
func (m *Main) Close() error {
	var errs []error
	if m.HTTPServer != nil && m.listener != nil {
		m.API.Drain()
		deadline := time.Now().Add(m.Config.ShutdownDelay + m.Config.ShutdownGrace)
		jobsStopped := make(chan error, 1)
		go func() { jobsStopped <- m.stopJobs(deadline) }()
		if m.Config.ShutdownDelay > 0 {
			m.Logger.Info("draining: readiness answers 503 before the listener closes", "delay", m.Config.ShutdownDelay.String())
			time.Sleep(m.Config.ShutdownDelay)
		}
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		if err := m.HTTPServer.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		}
		cancel()
		if err := <-jobsStopped; err != nil {
			errs = append(errs, fmt.Errorf("stop background jobs: %w", err))
		}
	}
	if m.stop != nil {
		m.stop()
	}
	for i := len(m.closers) - 1; i >= 0; i-- {
		if err := m.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	m.closers = nil
	return errors.Join(errs...)
}

// stopJobs stops the background jobs: no new ones are taken, and those
// running may finish until deadline; then they are cancelled, and River
// records each for a retry soon, on whichever replica takes it.
func (m *Main) stopJobs(deadline time.Time) error {
	if m.Jobs == nil {
		return nil
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	err := m.Jobs.Stop(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	m.Logger.Warn("background jobs still running after the shutdown grace are cancelled, to be retried", "grace", m.Config.ShutdownGrace.String())
	ctx, cancel = context.WithTimeout(context.Background(), jobCancelWait)
	defer cancel()
	return m.Jobs.StopAndCancel(ctx)
}

// jobCancelWait bounds the wait for cancelled jobs to return.
const jobCancelWait = 5 * time.Second
