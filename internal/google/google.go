// Package google connects Jarvis to a user's Google account with the
// official clients: sign-in with OAuth 2.0 and OpenID Connect
// (golang.org/x/oauth2, go-oidc), a token source that persists every refresh
// and refreshes once across replicas, and Gmail and Calendar
// (google.golang.org/api). One base URL points all of it at real Google or
// at a sandbox.
package google

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/oauth2"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/quota"
)

// OAuth scopes Jarvis asks for.
const (
	ScopeGmailReadonly    = "https://www.googleapis.com/auth/gmail.readonly"
	ScopeGmailCompose     = "https://www.googleapis.com/auth/gmail.compose"
	ScopeGmailModify      = "https://www.googleapis.com/auth/gmail.modify"
	ScopeCalendarReadonly = "https://www.googleapis.com/auth/calendar.readonly"
	ScopeCalendarEvents   = "https://www.googleapis.com/auth/calendar.events"
)

// Scopes is what a sign-in requests.
var Scopes = []string{oidc.ScopeOpenID, "email", "profile", ScopeGmailReadonly, ScopeGmailCompose, ScopeGmailModify, ScopeCalendarReadonly, ScopeCalendarEvents}

// realIssuer is Google's OpenID Connect issuer.
const realIssuer = "https://accounts.google.com"

// Config configures the Google services.
type Config struct {
	ClientID     string
	ClientSecret string
	RedirectURL  string
	// BaseURL points OAuth, OIDC discovery, Gmail and Calendar at one place
	// (a sandbox, a proxy). Empty means real Google.
	BaseURL string

	// Who may sign in (see SignIn.Complete).
	AllowedEmails  []string
	AllowedDomains []string
	OpenSignup     bool

	// HTTPClient makes the upstream calls; a tuned default when nil.
	HTTPClient *http.Client
	// CallTimeout bounds one service call, retries included, unless the
	// caller's deadline is sooner. Default 20 s.
	CallTimeout time.Duration
	// Concurrency bounds the parallel thread fetches of an inbox page. Default 50.
	Concurrency int
	// BackgroundCalls is how many calls the background work (the sync's
	// parallel fetches in every job at once) may have in flight beside the
	// requests. With Concurrency it sizes the idle connections kept to each
	// Google host, so that neither a page nor a sync reopens connections.
	BackgroundCalls int
	// Quota, when set, charges every Gmail call to its account's budget
	// (see package quota); calls marked quota.Background wait for it.
	Quota *quota.Limiter
	// Observer, when set, is told of every call to Google and every
	// token refresh (metrics).
	Observer Observer
	// Tracer, when set, makes a client span of every call to Google
	// (traces); nil: none.
	Tracer trace.TracerProvider
	Now    func() time.Time
	Logger *slog.Logger
}

// Stores are what the Google services keep and read.
type Stores struct {
	Users    jarvis.UserStore
	Profiles interface {
		UpdateUserProfile(ctx context.Context, userID, name, picture string) error
	}
	Integrations jarvis.IntegrationStore
	States       jarvis.SignInStates
	// Identities, when set, keeps the Google identity each user is bound to
	// beyond a disconnect, and binds it with a compare-and-swap.
	Identities interface {
		FindUserByGoogleIdentity(ctx context.Context, issuer, sub string) (*jarvis.User, error)
		BindGoogleIdentity(ctx context.Context, userID, issuer, sub string) error
	}
	// Invitations, when set, lets someone invited to an org sign up while
	// sign-up is otherwise closed.
	Invitations interface {
		HasPendingInvitation(ctx context.Context, email string) (bool, error)
	}
	Auditor jarvis.Auditor
}

// Service is Jarvis's connection to Google: sign-in, Gmail and Calendar.
type Service struct {
	cfg    Config
	st     Stores
	http   *http.Client
	now    func() time.Time
	log    *slog.Logger
	oauth  oauth2.Config
	revoke string
	gmail  string // Gmail endpoint for option.WithEndpoint
	cal    string // Calendar endpoint

	mu       sync.Mutex
	provider *oidc.Provider
	hours    jarvis.WorkingHoursSource // see SetWorkingHours
}

// New returns the Google service. It contacts nobody until first used.
func New(cfg Config, st Stores) *Service {
	s := &Service{cfg: cfg, st: st, http: cfg.HTTPClient, now: cfg.Now, log: cfg.Logger}
	if s.cfg.Concurrency <= 0 {
		s.cfg.Concurrency = 50
	}
	if s.http == nil {
		s.http = newHTTPClient(IdleConnsPerHost(s.cfg.Concurrency, cfg.BackgroundCalls))
	}
	if cfg.Observer != nil {
		s.http = withTransport(s.http, func(rt http.RoundTripper) http.RoundTripper { return observedTransport{base: rt, obs: cfg.Observer} })
	}
	if cfg.Tracer != nil {
		s.http = withTransport(s.http, func(rt http.RoundTripper) http.RoundTripper { return newTracedTransport(rt, cfg.Tracer) })
	}
	if s.now == nil {
		s.now = func() time.Time { return time.Now().UTC() }
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if st.Integrations != nil {
		s.st.Integrations = decryptWatch{IntegrationStore: st.Integrations, log: s.log, auditor: st.Auditor}
	}
	if s.cfg.CallTimeout <= 0 {
		s.cfg.CallTimeout = 20 * time.Second
	}
	s.oauth = oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL, Scopes: Scopes}
	if base := strings.TrimRight(cfg.BaseURL, "/"); base != "" {
		s.oauth.Endpoint = oauth2.Endpoint{AuthURL: base + "/o/oauth2/v2/auth", TokenURL: base + "/token"}
		s.revoke = base + "/revoke"
		s.gmail = base + "/"
		s.cal = base + "/calendar/v3/"
	} else {
		s.oauth.Endpoint = oauth2.Endpoint{AuthURL: "https://accounts.google.com/o/oauth2/v2/auth", TokenURL: "https://oauth2.googleapis.com/token"}
		s.revoke = "https://oauth2.googleapis.com/revoke"
	}
	return s
}

// withTransport returns a copy of c whose transport wrap wraps.
func withTransport(c *http.Client, wrap func(http.RoundTripper) http.RoundTripper) *http.Client {
	cc := *c
	if cc.Transport == nil {
		cc.Transport = http.DefaultTransport
	}
	cc.Transport = wrap(cc.Transport)
	return &cc
}

// IdleConnsPerHost is how many idle connections the Google client keeps to
// each host: two inbox pages' fan-out at once plus the background calls,
// and at least 100. Go's default of 2 would make a page of 50 threads open
// (and a moment later close) 48 connections, each a TCP and TLS handshake,
// whenever the host speaks HTTP/1.1 (a proxy, the sandbox; Google itself
// multiplexes on HTTP/2).
func IdleConnsPerHost(pageConcurrency, backgroundCalls int) int {
	return max(100, 2*pageConcurrency+backgroundCalls)
}

// newHTTPClient is an upstream client with timeouts on every phase and
// idlePerHost idle connections kept to each host (OAuth, Gmail and
// Calendar may be three).
func newHTTPClient(idlePerHost int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 3 * idlePerHost
	t.MaxIdleConnsPerHost = idlePerHost
	t.IdleConnTimeout = 90 * time.Second
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{Transport: t, Timeout: 60 * time.Second}
}

// SetCallTimeout changes the bound on one service call.
func (s *Service) SetCallTimeout(d time.Duration) { s.cfg.CallTimeout = d }

// issuer is the OIDC issuer to discover: the base URL, or Google's.
func (s *Service) issuer() string {
	if s.cfg.BaseURL != "" {
		return strings.TrimRight(s.cfg.BaseURL, "/")
	}
	return realIssuer
}

// oidcProvider discovers the issuer once (and again after a failure).
func (s *Service) oidcProvider(ctx context.Context) (*oidc.Provider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider != nil {
		return s.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, s.http), s.issuer())
	if err != nil {
		return nil, &jarvis.Error{Code: jarvis.EUPSTREAM, Message: "Google's sign-in service cannot be reached. Try again shortly.", Err: err}
	}
	s.provider = p
	return p, nil
}

// callContext bounds a service call by the call timeout.
func (s *Service) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.CallTimeout)
}

// record writes the audit row of a Google call made for the account g (nil
// when the call failed before it was known), with its id in
// metadata.account_id and the call's outcome, and returns err, naming g
// when err is about its grant and names no account yet.
func (s *Service) record(ctx context.Context, g *jarvis.GoogleIntegration, action, targetType, targetID string, err error, meta map[string]any) error {
	e := jarvis.AuditEntry{Action: action, TargetType: targetType, TargetID: targetID, Outcome: jarvis.OutcomeSuccess, Metadata: meta}
	if e.Metadata == nil {
		e.Metadata = map[string]any{}
	}
	if g != nil {
		e.Metadata["account_id"] = g.ID
	}
	if err != nil {
		e.Outcome = jarvis.OutcomeFailure
		e.Metadata["error_code"] = jarvis.ErrorCode(err)
		err = aboutAccount(err, g)
	}
	if len(e.Metadata) == 0 {
		e.Metadata = nil
	}
	s.st.Auditor.Record(ctx, e)
	return err
}

// aboutAccount names g in an error about a grant (EREAUTH, ESCOPEMISSING)
// that names no account yet.
func aboutAccount(err error, g *jarvis.GoogleIntegration) error {
	var je *jarvis.Error
	if g == nil || !errors.As(err, &je) || je.Account != nil {
		return err
	}
	switch je.Code {
	case jarvis.EREAUTH:
		return reauthError(g, err)
	case jarvis.ESCOPEMISSING:
		named := *je
		named.Account = g.Ref()
		return &named
	}
	return err
}
