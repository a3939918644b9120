// Package config reads Jarvis's configuration from the environment, with
// command-line flags able to override every option. Each option has a
// default, a parser that validates it, and, for secrets, a NAME_FILE variant
// and redaction wherever the configuration is shown.
package config

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is Jarvis's whole configuration.
type Config struct {
	Addr        string
	PublicURL   string
	DatabaseURL string
	RedisURL    string
	// DBMaxConns and DBMaxIdleConns size the PostgreSQL pool (0: the
	// defaults, see sqldb.Pool).
	DBMaxConns     int
	DBMaxIdleConns int

	JWTSecret []byte
	JWTIssuer string
	JWTTTL    time.Duration

	EncryptionKeys string

	GoogleClientID     string
	GoogleClientSecret string
	GoogleRedirectURL  string
	GoogleBaseURL      string

	AllowedEmails  []string
	AllowedDomains []string
	OpenSignup     bool

	TrustedProxies []netip.Prefix

	LLMProvider      string
	LLMModel         string
	OpenAIAPIKey     string
	OpenAIBaseURL    string
	AnthropicAPIKey  string
	AnthropicBaseURL string

	LogFormat string
	LogLevel  string
	// ShutdownDelay is how long, after SIGTERM, readiness answers 503
	// while the listener stays open, so that load balancers notice before
	// connections are refused; ShutdownGrace is how long in-flight
	// requests and running jobs may then finish.
	ShutdownDelay time.Duration
	ShutdownGrace time.Duration

	// MetricsAddr is where Prometheus scrapes /metrics, apart from the
	// API; empty: no metrics.
	MetricsAddr string

	// ApprovalTTL is how long a chat proposal waits for the user's decision.
	ApprovalTTL time.Duration

	// MCPAllowedOrigins are browser origins, besides the public URL's, that
	// may call /mcp.
	MCPAllowedOrigins []string
	// The limits of /mcp: requests a minute per client of a user and per
	// user, a request body's size, one tool call's time, how long a
	// 2025-11-25 session may idle, and how many a user may hold open on a
	// replica.
	MCPClientRequestsPerMinute int
	MCPUserRequestsPerMinute   int
	MCPMaxRequestBytes         int64
	MCPCallTimeout             time.Duration
	MCPSessionIdleTimeout      time.Duration
	MCPSessionsPerUser         int

	// SendUndo is the undo window: a send without send_at goes this long
	// after it is asked for, and can be cancelled until then (0: at once).
	SendUndo time.Duration

	// GmailQuotaPerMinute is each Google account's Gmail budget in quota
	// units per minute, shared by every replica.
	GmailQuotaPerMinute int

	// The API's rate limits, per minute, shared by every replica: Google
	// requests and chat turns per user, and unauthenticated writes (sign-in)
	// per client address.
	GoogleRequestsPerMinute    int
	ChatTurnsPerMinute         int
	AnonymousRequestsPerMinute int

	// OAuthLoopbackClients is JARVIS_OAUTH_ALLOW_LOOPBACK_CLIENTS as given
	// ("" when not): see AllowLoopbackClients.
	OAuthLoopbackClients string
	// OAuthClientCAFile names a PEM file of certificate authorities
	// trusted, besides the system's, when fetching MCP clients' metadata
	// documents (a private CA, a test's); empty: the system's only.
	OAuthClientCAFile string
	// OAuthRefreshLifetime is how long an MCP client's grant lasts from the
	// user's consent, however often its refresh token is rotated.
	OAuthRefreshLifetime time.Duration

	// Sandbox runs the built-in local Google (and model) beside Jarvis.
	Sandbox     bool
	SandboxAddr string

	// Sync: the local index and how Jarvis learns of changes.
	IndexBodies          bool
	GmailPush            string // push, pull or poll
	PubSubTopic          string
	PubSubSubscription   string
	PubSubAudience       string
	PubSubServiceAccount string
	PollInterval         time.Duration
	SyncWorkers          int
}

// maxSendUndoSeconds bounds the undo window of a send.
const maxSendUndoSeconds = 600

// The bounds of JARVIS_MCP_MAX_REQUEST_BYTES, JARVIS_MCP_CALL_TIMEOUT and
// JARVIS_MCP_SESSION_IDLE_TIMEOUT.
const (
	minMCPRequestBytes = 1 << 10
	maxMCPRequestBytes = 64 << 20
	minMCPCallTimeout  = time.Second
	maxMCPCallTimeout  = 10 * time.Minute
	minMCPSessionIdle  = time.Minute
	maxMCPSessionIdle  = 24 * time.Hour
)

// Option describes one setting: its environment name, flag, default and meaning.
type Option struct {
	Env  string
	Flag string
	// Aliases are older flag names that still work; help does not list them.
	Aliases []string
	Default string
	Secret  bool
	Help    string
	set     func(c *Config, v string) error
}

// Options lists every setting, in the order .env.example documents them.
var Options = []Option{
	{Env: "JARVIS_ADDR", Flag: "addr", Default: "127.0.0.1:8080", Help: "Listen address.",
		set: func(c *Config, v string) error { c.Addr = v; return nil }},
	{Env: "JARVIS_PUBLIC_URL", Flag: "public-url", Default: "", Help: "External URL, for redirects and cookies. Default: http:// + JARVIS_ADDR.",
		set: func(c *Config, v string) error { c.PublicURL = strings.TrimRight(v, "/"); return nil }},
	{Env: "JARVIS_DATABASE_URL", Flag: "database-url", Aliases: []string{"database"}, Default: "sqlite:jarvis.db", Secret: true, Help: "postgres://… or sqlite:PATH (a bare path is SQLite too).",
		set: func(c *Config, v string) error { c.DatabaseURL = v; return nil }},
	{Env: "JARVIS_REDIS_URL", Flag: "redis-url", Aliases: []string{"redis"}, Default: "", Secret: true, Help: "redis://… to keep per-user rate limits in Redis, shared by replicas (optional; the database is used otherwise).",
		set: func(c *Config, v string) error { c.RedisURL = v; return nil }},
	{Env: "JARVIS_DB_MAX_CONNS", Flag: "db-max-conns", Help: "PostgreSQL: the most connections this process opens, 1 to 1000. Default: the URL's pool_max_conns, else 20.",
		set: func(c *Config, v string) (err error) { c.DBMaxConns, err = parseCount(v, 1000); return }},
	{Env: "JARVIS_DB_MAX_IDLE_CONNS", Flag: "db-max-idle-conns", Help: "PostgreSQL: how many of those connections are kept open while idle (closed after 5 idle minutes), 1 to JARVIS_DB_MAX_CONNS. Default: all of them, so that a burst does not open new sessions.",
		set: func(c *Config, v string) (err error) { c.DBMaxIdleConns, err = parseCount(v, 1000); return }},
	{Env: "JARVIS_JWT_SECRET", Flag: "jwt-secret", Secret: true, Help: "HS256 signing secret, at least 32 bytes. Required (the sandbox generates and saves one).",
		set: func(c *Config, v string) error { c.JWTSecret = []byte(v); return nil }},
	{Env: "JARVIS_JWT_ISSUER", Flag: "jwt-issuer", Default: "jarvis", Help: "The iss of Jarvis's tokens (aud is always jarvis).",
		set: func(c *Config, v string) error { c.JWTIssuer = v; return nil }},
	{Env: "JARVIS_JWT_TTL", Flag: "jwt-ttl", Default: "1h", Help: "Lifetime of Jarvis's tokens.",
		set: func(c *Config, v string) (err error) { c.JWTTTL, err = parseDuration(v); return }},
	{Env: "JARVIS_ENCRYPTION_KEYS", Flag: "encryption-keys", Secret: true, Help: "Token encryption keys, id:base64key[,…]; the first is primary. Required (the sandbox generates and saves one). Make one with: jarvis keys generate.",
		set: func(c *Config, v string) error { c.EncryptionKeys = v; return nil }},
	{Env: "GOOGLE_CLIENT_ID", Flag: "google-client-id", Help: "Google OAuth client id. Required unless --sandbox.",
		set: func(c *Config, v string) error { c.GoogleClientID = v; return nil }},
	{Env: "GOOGLE_CLIENT_SECRET", Flag: "google-client-secret", Secret: true, Help: "Google OAuth client secret. Required unless --sandbox.",
		set: func(c *Config, v string) error { c.GoogleClientSecret = v; return nil }},
	{Env: "GOOGLE_REDIRECT_URL", Flag: "google-redirect-url", Help: "OAuth redirect URL. Default: JARVIS_PUBLIC_URL/auth/google/callback.",
		set: func(c *Config, v string) error { c.GoogleRedirectURL = v; return nil }},
	{Env: "JARVIS_GOOGLE_BASE_URL", Flag: "google-base-url", Help: "One base URL for Google's OAuth, OIDC discovery, Gmail and Calendar (a sandbox or a proxy). Empty: real Google.",
		set: func(c *Config, v string) error { c.GoogleBaseURL = strings.TrimRight(v, "/"); return nil }},
	{Env: "JARVIS_ALLOWED_EMAILS", Flag: "allowed-emails", Help: "Comma list of emails that may sign in.",
		set: func(c *Config, v string) error { c.AllowedEmails = splitLower(v); return nil }},
	{Env: "JARVIS_ALLOWED_DOMAINS", Flag: "allowed-domains", Help: "Comma list of domains whose verified emails (or Google Workspace hd) may sign in.",
		set: func(c *Config, v string) error { c.AllowedDomains = splitLower(v); return nil }},
	{Env: "JARVIS_OPEN_SIGNUP", Flag: "open-signup", Default: "false", Help: "Let any Google account sign in. Off by default: a fresh instance must not hand its LLM key to anyone.",
		set: func(c *Config, v string) (err error) { c.OpenSignup, err = parseBool(v); return }},
	{Env: "JARVIS_TRUSTED_PROXIES", Flag: "trusted-proxies", Help: "Comma list of CIDRs whose X-Forwarded-For is believed (e.g. 10.0.0.0/8).",
		set: func(c *Config, v string) (err error) { c.TrustedProxies, err = parsePrefixes(v); return }},
	{Env: "JARVIS_LLM_PROVIDER", Flag: "llm-provider", Help: "openai or anthropic. Default: the sandbox model under --sandbox, else whichever API key is set.",
		set: func(c *Config, v string) error { c.LLMProvider = strings.ToLower(v); return nil }},
	{Env: "JARVIS_LLM_MODEL", Flag: "llm-model", Help: "Model name, e.g. gpt-4.1-mini, claude-sonnet-4-5, llama3.1 (Ollama).",
		set: func(c *Config, v string) error { c.LLMModel = v; return nil }},
	{Env: "OPENAI_API_KEY", Flag: "openai-api-key", Secret: true, Help: "OpenAI (or compatible server) API key.",
		set: func(c *Config, v string) error { c.OpenAIAPIKey = v; return nil }},
	{Env: "OPENAI_BASE_URL", Flag: "openai-base-url", Help: "OpenAI-compatible base URL (Ollama: http://localhost:11434/v1).",
		set: func(c *Config, v string) error { c.OpenAIBaseURL = v; return nil }},
	{Env: "ANTHROPIC_API_KEY", Flag: "anthropic-api-key", Secret: true, Help: "Anthropic API key.",
		set: func(c *Config, v string) error { c.AnthropicAPIKey = v; return nil }},
	{Env: "ANTHROPIC_BASE_URL", Flag: "anthropic-base-url", Help: "Anthropic base URL.",
		set: func(c *Config, v string) error { c.AnthropicBaseURL = v; return nil }},
	{Env: "JARVIS_LOG_FORMAT", Flag: "log-format", Default: "auto", Help: "json, text, or auto (text on a terminal, JSON otherwise).",
		set: func(c *Config, v string) error { c.LogFormat = strings.ToLower(v); return nil }},
	{Env: "JARVIS_LOG_LEVEL", Flag: "log-level", Default: "info", Help: "debug, info, warn or error.",
		set: func(c *Config, v string) error { c.LogLevel = strings.ToLower(v); return nil }},
	{Env: "JARVIS_METRICS_ADDR", Flag: "metrics-addr", Help: "Where Prometheus metrics are served, at /metrics, on a listener of their own (e.g. 127.0.0.1:9090). Empty: no metrics.",
		set: func(c *Config, v string) error { c.MetricsAddr = v; return nil }},
	{Env: "JARVIS_SHUTDOWN_DELAY", Flag: "shutdown-delay", Default: "5s", Help: "After SIGTERM, how long readiness (/readyz) answers 503 while requests are still served, so that load balancers stop sending new ones before the listener closes. 0 closes at once.",
		set: func(c *Config, v string) (err error) { c.ShutdownDelay, err = parseDuration(v); return }},
	{Env: "JARVIS_SHUTDOWN_GRACE", Flag: "shutdown-grace", Default: "20s", Help: "After the shutdown delay, how long in-flight requests and running background jobs may finish; jobs still running then are cancelled and retried by another replica.",
		set: func(c *Config, v string) (err error) { c.ShutdownGrace, err = parseDuration(v); return }},
	{Env: "JARVIS_OAUTH_ALLOW_LOOPBACK_CLIENTS", Flag: "oauth-allow-loopback-clients", Help: "true lets an MCP client's metadata document (its client_id) be an http URL or live on a loopback or private address: for tests and the offline sandbox, never on the internet. Default: true under --sandbox, false otherwise.",
		set: func(c *Config, v string) error {
			if _, err := parseBool(v); v != "" && err != nil {
				return err
			}
			c.OAuthLoopbackClients = v
			return nil
		}},
	{Env: "JARVIS_OAUTH_CLIENT_CA_FILE", Flag: "oauth-client-ca-file", Help: "A PEM file of certificate authorities trusted, besides the system's, when Jarvis fetches an MCP client's metadata document (a private CA, or a test's). Empty: the system's only.",
		set: func(c *Config, v string) error { c.OAuthClientCAFile = v; return nil }},
	{Env: "JARVIS_OAUTH_REFRESH_LIFETIME", Flag: "oauth-refresh-lifetime", Default: "2160h", Help: "How long an MCP client's authorization lasts from the user's consent, however often it refreshes its token (2160h: 90 days), from 1h to 8760h; then the token endpoint answers invalid_grant and the user connects the app again.",
		set: func(c *Config, v string) (err error) { c.OAuthRefreshLifetime, err = parseDuration(v); return }},
	{Env: "JARVIS_APPROVAL_TTL", Flag: "approval-ttl", Default: "24h", Help: "How long a chat proposal can be approved or rejected; then it expires.",
		set: func(c *Config, v string) (err error) { c.ApprovalTTL, err = parseDuration(v); return }},
	{Env: "JARVIS_MCP_ALLOWED_ORIGINS", Flag: "mcp-allowed-origins", Help: "Comma list of browser origins (https://app.example.com), besides JARVIS_PUBLIC_URL's, whose pages may call /mcp. Requests without an Origin header (desktop and IDE clients) are not affected.",
		set: func(c *Config, v string) error { c.MCPAllowedOrigins = splitLower(v); return nil }},
	{Env: "JARVIS_MCP_CLIENT_REQUESTS_PER_MINUTE", Flag: "mcp-client-requests-per-minute", Default: "120", Help: "How many /mcp requests each MCP client may make a minute for one user, shared by all replicas; past it 429 with Retry-After.",
		set: func(c *Config, v string) (err error) {
			c.MCPClientRequestsPerMinute, err = parseCount(v, 1000000)
			return
		}},
	{Env: "JARVIS_MCP_USER_REQUESTS_PER_MINUTE", Flag: "mcp-user-requests-per-minute", Default: "300", Help: "How many /mcp requests each user may make a minute across all their MCP clients, shared by all replicas.",
		set: func(c *Config, v string) (err error) {
			c.MCPUserRequestsPerMinute, err = parseCount(v, 1000000)
			return
		}},
	{Env: "JARVIS_MCP_MAX_REQUEST_BYTES", Flag: "mcp-max-request-bytes", Default: "1048576", Help: "The largest /mcp request body, in bytes, from 1024 to 67108864 (64 MiB); a larger one is 413.",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < minMCPRequestBytes || n > maxMCPRequestBytes {
				return fmt.Errorf("%q is not a whole number of bytes from %d to %d", v, minMCPRequestBytes, maxMCPRequestBytes)
			}
			c.MCPMaxRequestBytes = n
			return nil
		}},
	{Env: "JARVIS_MCP_CALL_TIMEOUT", Flag: "mcp-call-timeout", Default: "30s", Help: "How long one MCP tool call may take, from 1s to 10m; then it fails as upstream_timeout.",
		set: func(c *Config, v string) (err error) { c.MCPCallTimeout, err = parseDuration(v); return }},
	{Env: "JARVIS_MCP_SESSION_IDLE_TIMEOUT", Flag: "mcp-session-idle-timeout", Default: "30m", Help: "How long a 2025-11-25 MCP session may go unused before it is closed, from 1m to 24h.",
		set: func(c *Config, v string) (err error) { c.MCPSessionIdleTimeout, err = parseDuration(v); return }},
	{Env: "JARVIS_MCP_SESSIONS_PER_USER", Flag: "mcp-sessions-per-user", Default: "50", Help: "How many 2025-11-25 MCP sessions each user may hold open on one replica; past it 429 (protocol 2026-07-28 needs none).",
		set: func(c *Config, v string) (err error) { c.MCPSessionsPerUser, err = parseCount(v, 100000); return }},
	{Env: "JARVIS_SEND_UNDO_SECONDS", Flag: "send-undo-seconds", Default: "10", Help: "The undo window of a send, in seconds: a message sent without send_at goes this long after it is asked for, and DELETE /gmail/scheduled/{id} cancels it until then. 0 sends at once; at most 600.",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > maxSendUndoSeconds {
				return fmt.Errorf("must be a whole number of seconds from 0 to %d", maxSendUndoSeconds)
			}
			c.SendUndo = time.Duration(n) * time.Second
			return nil
		}},
	{Env: "JARVIS_INDEX_BODIES", Flag: "index-bodies", Default: "true", Help: "Keep each message's text (capped at 32 KiB) in the local index for search; false keeps metadata only.",
		set: func(c *Config, v string) (err error) { c.IndexBodies, err = parseBool(v); return }},
	{Env: "JARVIS_GMAIL_PUSH", Flag: "gmail-push", Help: "How Jarvis learns of new mail: push (Pub/Sub pushes to /webhooks/google/pubsub), pull (Jarvis pulls a Pub/Sub subscription) or poll (history every JARVIS_POLL_INTERVAL). Default: push under --sandbox (wired to the sandbox's Pub/Sub), poll otherwise.",
		set: func(c *Config, v string) error { c.GmailPush = strings.ToLower(v); return nil }},
	{Env: "JARVIS_PUBSUB_TOPIC", Flag: "pubsub-topic", Help: "Push and pull: the Pub/Sub topic Gmail publishes to, projects/P/topics/T (users.watch names it).",
		set: func(c *Config, v string) error { c.PubSubTopic = v; return nil }},
	{Env: "JARVIS_PUBSUB_SUBSCRIPTION", Flag: "pubsub-subscription", Help: "Pull: the subscription Jarvis pulls, projects/P/subscriptions/S.",
		set: func(c *Config, v string) error { c.PubSubSubscription = v; return nil }},
	{Env: "JARVIS_PUBSUB_AUDIENCE", Flag: "pubsub-audience", Help: "Push: the audience the push subscription's OIDC tokens carry. Default: JARVIS_PUBLIC_URL/webhooks/google/pubsub.",
		set: func(c *Config, v string) error { c.PubSubAudience = v; return nil }},
	{Env: "JARVIS_PUBSUB_SERVICE_ACCOUNT", Flag: "pubsub-service-account", Help: "Push: the service account email of the push subscription's OIDC tokens.",
		set: func(c *Config, v string) error { c.PubSubServiceAccount = v; return nil }},
	{Env: "JARVIS_POLL_INTERVAL", Flag: "poll-interval", Default: "60s", Help: "How often accounts are looked at: every one in poll mode, quiet ones (no push for 10 intervals) in push and pull modes.",
		set: func(c *Config, v string) (err error) { c.PollInterval, err = parseDuration(v); return }},
	{Env: "JARVIS_SYNC_WORKERS", Flag: "sync-workers", Default: "4", Help: "Background jobs (account syncs) this process runs at once.",
		set: func(c *Config, v string) (err error) { c.SyncWorkers, err = strconv.Atoi(v); return }},
	{Env: "JARVIS_GMAIL_QUOTA_PER_MINUTE", Flag: "gmail-quota-per-minute", Default: "12000", Help: "Each Google account's Gmail budget in quota units per minute at Google's per-method costs, shared by all replicas (Google allows 15000; the default leaves headroom).",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000000 {
				return errors.New("must be a whole number of quota units per minute, from 1 to 1000000")
			}
			c.GmailQuotaPerMinute = n
			return nil
		}},
	{Env: "JARVIS_GOOGLE_REQUESTS_PER_MINUTE", Flag: "google-requests-per-minute", Default: "300", Help: "How many Gmail and Calendar requests each user may make a minute, shared by all replicas; past it 429 rate_limited.",
		set: func(c *Config, v string) (err error) { c.GoogleRequestsPerMinute, err = parseCount(v, 1000000); return }},
	{Env: "JARVIS_CHAT_TURNS_PER_MINUTE", Flag: "chat-turns-per-minute", Default: "20", Help: "How many chat turns (POST /chat) each user may send a minute, shared by all replicas.",
		set: func(c *Config, v string) (err error) { c.ChatTurnsPerMinute, err = parseCount(v, 1000000); return }},
	{Env: "JARVIS_ANONYMOUS_REQUESTS_PER_MINUTE", Flag: "anonymous-requests-per-minute", Default: "60", Help: "How many requests each client address (IPv6: each /64) may make a minute to the routes that write without authentication (sign-in start and callbacks), shared by all replicas.",
		set: func(c *Config, v string) (err error) {
			c.AnonymousRequestsPerMinute, err = parseCount(v, 1000000)
			return
		}},
	{Env: "JARVIS_SANDBOX_ADDR", Flag: "sandbox-addr", Default: "127.0.0.1:8090", Help: "With --sandbox: where the local Google and model listen.",
		set: func(c *Config, v string) error { c.SandboxAddr = v; return nil }},
}

// Load reads the configuration from the environment (lookup) and then from
// the flags set on fs by RegisterFlags. It names every value it cannot
// parse (leaving that option at its default, so that Validate does not
// report it twice) and returns the configuration with them. Validate must
// still be called.
func Load(lookup func(string) (string, bool), fs *flag.FlagSet) (*Config, error) {
	c := &Config{}
	set := map[string]string{}
	if fs != nil {
		fs.Visit(func(f *flag.Flag) { set[f.Name] = f.Value.String() })
	}
	var errs []error
	for _, o := range Options {
		v, err := o.value(lookup)
		if err != nil {
			errs = append(errs, err)
			v = o.Default
		}
		name := o.Env
		for _, f := range append([]string{o.Flag}, o.Aliases...) {
			if fv, ok := set[f]; ok {
				v, name = fv, "--"+f
			}
		}
		if err := o.set(c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			_ = o.set(c, o.Default)
		}
	}
	if fs != nil {
		if f := fs.Lookup("sandbox"); f != nil {
			c.Sandbox = f.Value.String() == "true"
		}
	}
	return c, errors.Join(errs...)
}

// value reads an option from NAME or, for secrets, from the file NAME_FILE names.
func (o Option) value(lookup func(string) (string, bool)) (string, error) {
	if v, ok := lookup(o.Env); ok && v != "" {
		return v, nil
	}
	if o.Secret {
		if path, ok := lookup(o.Env + "_FILE"); ok && path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				return "", fmt.Errorf("%s_FILE: %w", o.Env, err)
			}
			return strings.TrimRight(string(b), "\r\n"), nil
		}
	}
	return o.Default, nil
}

// RegisterFlags adds a flag to fs for each option whose environment name is
// given (every option when none is), and the option's older aliases. A flag
// overrides the environment; secrets are better passed by environment or
// *_FILE. The usage text names the variable and the default.
func RegisterFlags(fs *flag.FlagSet, envs ...string) {
	for _, o := range Options {
		if len(envs) > 0 && !slices.Contains(envs, o.Env) {
			continue
		}
		usage := o.Help + " (" + o.Env
		if o.Default != "" {
			usage += "; default " + o.Default
		}
		usage += ")"
		fs.String(o.Flag, "", usage)
		for _, a := range o.Aliases {
			fs.String(a, "", AliasUsage+o.Flag)
		}
	}
}

// AliasUsage starts the usage text of an alias flag; help omits such flags.
const AliasUsage = "alias of --"

// ApplyDefaults fills the settings derived from others.
func (c *Config) ApplyDefaults() {
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	if c.GoogleRedirectURL == "" {
		c.GoogleRedirectURL = c.PublicURL + "/auth/google/callback"
	}
}

// Validate checks the settings together. serve calls it; it names every problem.
func (c *Config) Validate() error {
	return errors.Join(c.ValidateSettings(), c.ValidateSecrets())
}

// ValidateSecrets checks the JWT secret and the encryption keys, which the
// sandbox can generate once every other setting is known to be right.
func (c *Config) ValidateSecrets() error {
	var errs []error
	errs = append(errs, c.validateJWTSecret())
	if c.EncryptionKeys == "" {
		errs = append(errs, errors.New("JARVIS_ENCRYPTION_KEYS is required (make one with `jarvis keys generate`)"))
	}
	return errors.Join(errs...)
}

// ValidateSettings checks every setting except the secrets, together.
func (c *Config) ValidateSettings() error {
	var errs []error
	if _, _, err := splitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("JARVIS_ADDR: %w", err))
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("JARVIS_PUBLIC_URL must be an absolute http(s) URL"))
	}
	errs = append(errs, c.validateJWTSettings())
	if !c.Sandbox && (c.GoogleClientID == "" || c.GoogleClientSecret == "") {
		errs = append(errs, errors.New("Google is not configured: set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (for real Google, or for a sandbox at JARVIS_GOOGLE_BASE_URL), or run `jarvis serve --sandbox` for the built-in local Google"))
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			errs = append(errs, errors.New("JARVIS_REDIS_URL must be a redis://, rediss:// or unix:// URL"))
		}
	}
	if c.GoogleBaseURL != "" {
		if u, err := url.Parse(c.GoogleBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("JARVIS_GOOGLE_BASE_URL must be an absolute http(s) URL"))
		}
	}
	errs = append(errs, c.validateSync())
	switch c.LLMProvider {
	case "", "openai", "anthropic", "sandbox":
	default:
		errs = append(errs, fmt.Errorf("JARVIS_LLM_PROVIDER must be openai or anthropic, not %q", c.LLMProvider))
	}
	switch c.LogFormat {
	case "auto", "json", "text":
	default:
		errs = append(errs, fmt.Errorf("JARVIS_LOG_FORMAT must be json, text or auto, not %q", c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("JARVIS_LOG_LEVEL must be debug, info, warn or error, not %q", c.LogLevel))
	}
	if c.MetricsAddr != "" {
		if _, _, err := splitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("JARVIS_METRICS_ADDR: %w", err))
		} else if c.MetricsAddr == c.Addr {
			errs = append(errs, errors.New("JARVIS_METRICS_ADDR must differ from JARVIS_ADDR: metrics have a listener of their own"))
		}
	}
	if c.ShutdownGrace <= 0 {
		errs = append(errs, errors.New("JARVIS_SHUTDOWN_GRACE must be positive"))
	}
	if c.DBMaxConns > 0 && c.DBMaxIdleConns > c.DBMaxConns {
		errs = append(errs, fmt.Errorf("JARVIS_DB_MAX_IDLE_CONNS (%d) must not exceed JARVIS_DB_MAX_CONNS (%d)", c.DBMaxIdleConns, c.DBMaxConns))
	}
	if c.ShutdownDelay < 0 {
		errs = append(errs, errors.New("JARVIS_SHUTDOWN_DELAY must not be negative (0 closes the listener at once)"))
	}
	if c.ApprovalTTL <= 0 {
		errs = append(errs, errors.New("JARVIS_APPROVAL_TTL must be positive"))
	}
	if c.SendUndo < 0 || c.SendUndo > maxSendUndoSeconds*time.Second {
		errs = append(errs, fmt.Errorf("JARVIS_SEND_UNDO_SECONDS must be from 0 to %d", maxSendUndoSeconds))
	}
	if c.OAuthRefreshLifetime < time.Hour || c.OAuthRefreshLifetime > 365*24*time.Hour {
		errs = append(errs, fmt.Errorf("JARVIS_OAUTH_REFRESH_LIFETIME must be from 1h to 8760h (365 days), not %s", c.OAuthRefreshLifetime))
	}
	if c.MCPCallTimeout < minMCPCallTimeout || c.MCPCallTimeout > maxMCPCallTimeout {
		errs = append(errs, fmt.Errorf("JARVIS_MCP_CALL_TIMEOUT must be from 1s to 10m, not %s", c.MCPCallTimeout))
	}
	if c.MCPSessionIdleTimeout < minMCPSessionIdle || c.MCPSessionIdleTimeout > maxMCPSessionIdle {
		errs = append(errs, fmt.Errorf("JARVIS_MCP_SESSION_IDLE_TIMEOUT must be from 1m to 24h, not %s", c.MCPSessionIdleTimeout))
	}
	return errors.Join(errs...)
}

// ValidateJWT checks the token settings, which `jarvis token` needs too.
func (c *Config) ValidateJWT() error {
	return errors.Join(c.validateJWTSecret(), c.validateJWTSettings())
}

func (c *Config) validateJWTSecret() error {
	var errs []error
	switch {
	case len(c.JWTSecret) == 0:
		errs = append(errs, errors.New("JARVIS_JWT_SECRET is required: at least 32 random bytes (e.g. `openssl rand -base64 48`)"))
	case len(c.JWTSecret) < 32:
		errs = append(errs, fmt.Errorf("JARVIS_JWT_SECRET is too short: %d bytes, at least 32 are needed", len(c.JWTSecret)))
	default:
		lower := strings.ToLower(string(c.JWTSecret))
		if strings.Contains(lower, "change-me") || strings.Contains(lower, "changeme") || strings.Count(lower, lower[:1]) == len(lower) {
			errs = append(errs, errors.New("JARVIS_JWT_SECRET is a placeholder value: generate a random one"))
		}
	}
	return errors.Join(errs...)
}

func (c *Config) validateJWTSettings() error {
	var errs []error
	if c.JWTIssuer == "" {
		errs = append(errs, errors.New("JARVIS_JWT_ISSUER must not be empty"))
	}
	if c.JWTTTL < time.Minute || c.JWTTTL > 30*24*time.Hour {
		errs = append(errs, errors.New("JARVIS_JWT_TTL must be between 1m and 720h"))
	}
	return errors.Join(errs...)
}

// Dump lists every option as the environment (or its default) sets it,
// before flags, with secrets redacted.
func (c *Config) Dump(lookup func(string) (string, bool)) []string {
	var out []string
	for _, o := range Options {
		v, _ := o.value(lookup)
		if o.Secret && v != "" {
			v = "[redacted]"
		}
		out = append(out, o.Env+"="+v)
	}
	return out
}

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration, e.g. 30s or 1h", v)
	}
	return d, nil
}

// parseCount reads a whole number from 1 to max; empty is 0 (the default).
func parseCount(v string, max int) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, fmt.Errorf("%q is not a whole number from 1 to %d", v, max)
	}
	return n, nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true, nil
	case "", "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean: %q", v)
}

func splitLower(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			out = append(out, strings.TrimPrefix(s, "@"))
		}
	}
	return out
}

func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("not an IP or CIDR: %q", s)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("not a CIDR: %q", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func splitHostPort(addr string) (string, string, error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", "", fmt.Errorf("%q has no port", addr)
	}
	return addr[:i], addr[i+1:], nil
}

// RandomSecret returns n random bytes, base64-encoded, for generated secrets.
func RandomSecret(read func([]byte) (int, error), n int) (string, error) {
	b := make([]byte, n)
	if _, err := read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// AllowLoopbackClients reports whether an MCP client's metadata document
// may be fetched from http or a non-public address: as
// JARVIS_OAUTH_ALLOW_LOOPBACK_CLIENTS says, else only under --sandbox.
func (c *Config) AllowLoopbackClients() bool {
	if c.OAuthLoopbackClients != "" {
		ok, _ := parseBool(c.OAuthLoopbackClients)
		return ok
	}
	return c.Sandbox
}

// IntakeMode is how Jarvis learns of new mail: JARVIS_GMAIL_PUSH, or by
// default push under --sandbox (its Pub/Sub is wired in) and poll otherwise.
func (c *Config) IntakeMode() string {
	if c.GmailPush != "" {
		return c.GmailPush
	}
	if c.Sandbox {
		return "push"
	}
	return "poll"
}

func (c *Config) validateSync() error {
	var errs []error
	switch c.IntakeMode() {
	case "push":
		if !c.Sandbox && (c.PubSubTopic == "" || c.PubSubServiceAccount == "") {
			errs = append(errs, errors.New("JARVIS_GMAIL_PUSH=push needs JARVIS_PUBSUB_TOPIC (for users.watch) and JARVIS_PUBSUB_SERVICE_ACCOUNT (whose OIDC tokens the pushes carry)"))
		}
	case "pull":
		if !c.Sandbox && (c.PubSubTopic == "" || c.PubSubSubscription == "") {
			errs = append(errs, errors.New("JARVIS_GMAIL_PUSH=pull needs JARVIS_PUBSUB_TOPIC and JARVIS_PUBSUB_SUBSCRIPTION"))
		}
	case "poll":
	default:
		errs = append(errs, fmt.Errorf("JARVIS_GMAIL_PUSH must be push, pull or poll, not %q", c.GmailPush))
	}
	if c.PollInterval <= 0 {
		errs = append(errs, errors.New("JARVIS_POLL_INTERVAL must be positive"))
	}
	if c.SyncWorkers <= 0 {
		errs = append(errs, errors.New("JARVIS_SYNC_WORKERS must be positive"))
	}
	return errors.Join(errs...)
}
