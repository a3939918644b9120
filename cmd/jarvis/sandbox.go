package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/logging"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sandbox/model"
)

// Sandbox is the local Google and the sandbox model, served together on
// their own listener: the model under /v1/, Google everywhere else.
type Sandbox struct {
	Google *sandbox.Server
	Model  *model.Handler
	URL    string
	srv    *http.Server

	mu    sync.Mutex
	fresh map[net.Conn]bool // connections that have not sent a request yet
	// opened counts the connections clients have opened, to measure reuse.
	opened int
}

// Connections counts the connections clients have opened to the sandbox.
func (s *Sandbox) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened
}

// track remembers the connections a client opened but has not used (a
// transport dials spares), which Shutdown would otherwise wait 5 s for.
func (s *Sandbox) track(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st == http.StateNew {
		s.opened++
		s.fresh[c] = true
	} else {
		delete(s.fresh, c)
	}
}

// newSandbox listens on addr and serves a sandbox configured by gcfg (whose
// BaseURL is set from the listener).
func newSandbox(addr string, gcfg sandbox.Config, log *slog.Logger) (*Sandbox, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, listenError("sandbox", addr, err)
	}
	gcfg.BaseURL = "http://" + ln.Addr().String()
	gcfg.Logger = log
	g, err := sandbox.New(gcfg)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	for _, p := range g.LoadReport() {
		log.Warn("sandbox skipped a file", "problem", p)
	}
	mdl := model.New(model.Config{ChunkDelay: 15 * time.Millisecond})
	mux := http.NewServeMux()
	mux.Handle("/v1/chat/", mdl)
	mux.Handle("/v1/messages", mdl)
	mux.Handle("/v1/models", mdl)
	mux.Handle("/", g.Handler())
	sb := &Sandbox{Google: g, Model: mdl, URL: gcfg.BaseURL, fresh: map[net.Conn]bool{}}
	sb.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ConnState: sb.track}
	go func() {
		if err := sb.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("sandbox stopped", "err", err)
		}
	}()
	return sb, nil
}

// Close stops the sandbox.
func (s *Sandbox) Close() error {
	s.Model.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.srv.SetKeepAlivesEnabled(false)
	s.mu.Lock()
	for c := range s.fresh {
		c.Close()
	}
	s.mu.Unlock()
	err := s.srv.Shutdown(ctx)
	if cerr := s.Google.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("sandbox: save state: %w", cerr))
	}
	return err
}

// startSandbox starts the sandbox for `serve --sandbox` (configured by the
// sandbox flags given to serve, in sb) and points the configuration at it:
// Google's base URL and OAuth client, open sign-up, and the sandbox model
// unless a real provider is configured.
func startSandbox(cfg *config.Config, sb sandbox.Config, log *slog.Logger) (*Sandbox, error) {
	if sb.ClientID == "" && cfg.GoogleClientID != "" {
		sb.ClientID, sb.ClientSecret = cfg.GoogleClientID, cfg.GoogleClientSecret
	}
	if sb.ClientID == "" {
		sb.ClientID, sb.ClientSecret = sandbox.DefaultClientID, sandbox.DefaultClientSecret
	}
	sb.RedirectURIs = append(sb.RedirectURIs, cfg.GoogleRedirectURL)
	if sb.StateFile == "" {
		sb.StateFile = sandboxStatePath(cfg.DatabaseURL)
	}
	s, err := newSandbox(cfg.SandboxAddr, sb, log.With("component", "sandbox"))
	if err != nil {
		return nil, err
	}
	cfg.GoogleBaseURL = s.URL
	cfg.GoogleClientID, cfg.GoogleClientSecret = sb.ClientID, sb.ClientSecret
	cfg.OpenSignup = true
	if cfg.LLMProvider == "" && cfg.OpenAIAPIKey == "" && cfg.AnthropicAPIKey == "" {
		cfg.LLMProvider = "sandbox"
	}
	log.Info("sandbox Google is running: sign in with any of its accounts", "url", s.URL, "accounts", strings.Join(s.Google.Accounts(), ", "), "state", sb.StateFile)
	return s, nil
}

// sandboxStatePath is where `serve --sandbox` keeps the sandbox's state:
// beside a SQLite database, or in the working directory for PostgreSQL,
// like the development secrets.
func sandboxStatePath(dsn string) string {
	return filepath.Join(filepath.Dir(devSecretsPath(dsn)), "jarvis-sandbox.json")
}

// runSandbox runs the sandbox on its own, for any client that wants a Gmail
// to test against.
func runSandbox(ctx context.Context, args []string, stdout, stderr io.Writer, lookup env) error {
	flags := newFlagSet("sandbox")
	addr := flags.String("addr", "127.0.0.1:8090", "listen address")
	logFormat := flags.String("log-format", "auto", "json, text or auto")
	var gcfg sandbox.Config
	sandbox.RegisterFlags(flags, &gcfg)
	if err := parseFlags(flags, args, "Usage: jarvis sandbox [flags]\n\nRuns the local Google (OAuth, Gmail, Calendar) and the sandbox model on their own.", stdout); err != nil {
		return err
	}
	log := logging.New(stderr, *logFormat, "info")
	sb, err := newSandbox(*addr, gcfg, log)
	if err != nil {
		return err
	}
	defer sb.Close()
	id, secret := gcfg.ClientID, gcfg.ClientSecret
	if id == "" {
		id, secret = sandbox.DefaultClientID, sandbox.DefaultClientSecret
	}
	fmt.Fprintf(stdout, "Sandbox Google is running.\n\n  base URL:       %s\n  client id:      %s\n  client secret:  %s\n  accounts:       %s\n  model (OpenAI): %s/v1  (model %s, any API key)\n\n"+
		"Point Jarvis at it with JARVIS_GOOGLE_BASE_URL=%s, or any OAuth client at %s/.well-known/openid-configuration.\n",
		sb.URL, id, secret, strings.Join(sb.Google.Accounts(), ", "), sb.URL, model.Name, sb.URL, sb.URL)
	if f := sb.Google.StateFile(); f != "" {
		fmt.Fprintf(stdout, "State is kept in %s.\n", f)
	}
	<-ctx.Done()
	return nil
}
