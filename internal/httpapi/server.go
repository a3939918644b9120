// Package httpapi is Jarvis's HTTP API: routes, handlers, middleware,
// RFC 9457 problems and server-sent events, on the standard library's
// ServeMux. It talks to the rest of the system only through the interfaces
// of package jarvis.
package httpapi

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/jarvis-hq/jarvis"
)

// Config holds what the API needs to know about its deployment.
type Config struct {
	// PublicURL is the external URL of Jarvis: its origin is the only one
	// trusted for cookie-authenticated writes, and https makes cookies Secure.
	PublicURL      string
	TrustedProxies []netip.Prefix
	// SessionTTL is the lifetime of a browser session (and its JWT).
	SessionTTL time.Duration
	// RateLimit is how many Google or chat requests a user may make per minute.
	GoogleRateLimit int
	ChatRateLimit   int
	// AnonymousRateLimit is how many requests a client address may make per
	// minute to the routes that write without authentication (sign-in start
	// and callbacks). IPv6 clients are counted per /64.
	AnonymousRateLimit int
	// OAuthRegistrationsPerHour is how many OAuth clients an address may
	// register in an hour (default 20).
	OAuthRegistrationsPerHour int
	// CSRFKey keys the CSRF token derived from each session. Replicas
	// must share it; when empty a random key is made, valid for this
	// process only.
	CSRFKey []byte
	// Observe, when set, is told the route pattern, status and duration
	// of every request (for metrics, and for the test that holds the
	// OpenAPI description to what the server really answers). pattern is
	// the ServeMux pattern that served it, "" when none did.
	Observe func(method, pattern string, status int, elapsed time.Duration)
	// Tracer, when set, makes a server span of every request (see
	// startSpan); nil: none.
	Tracer trace.TracerProvider
}

// Deps are the services behind the API. Optional ones may be nil: their
// routes then answer 503.
type Deps struct {
	Users        jarvis.UserStore
	Profiles     ProfileStore
	Orgs         jarvis.OrgStore
	Invitations  jarvis.InvitationStore
	AuditLog     jarvis.AuditStore
	Auditor      jarvis.Auditor
	Tokens       jarvis.TokenAuthority
	Revocations  jarvis.TokenRevocations
	Idempotency  jarvis.IdempotencyStore
	Limiter      jarvis.RateLimiter
	Integrations jarvis.IntegrationStore
	SignIn       jarvis.SignInService
	// States are the sign-ins in flight: a browser callback refused for
	// want of its binding cookie consumes its state here.
	States jarvis.SignInStates
	Mail   jarvis.MailService
	Labels LabelService
	// Organiser changes threads: labels and the trash.
	Organiser jarvis.MailOrganiser
	Calendar  jarvis.CalendarService
	// CalendarWriter changes events and proposes meeting times.
	CalendarWriter jarvis.CalendarWriter
	Chat           jarvis.ChatService
	// Actions is the approval queue and Policies the owners' policies
	// (nil: their routes answer 503).
	Actions  jarvis.ActionService
	Policies jarvis.PolicyService
	// MCP serves /mcp (nil: 503) and PersonalTokens the Settings routes
	// of the tokens local MCP clients use (nil: 503).
	MCP            http.Handler
	PersonalTokens jarvis.PersonalTokenService
	// Outbox sends mail, held until its time (nil: the sending routes
	// answer 503).
	Outbox jarvis.Outbox
	// OAuth is the authorization server of /mcp (nil: its routes answer 503).
	OAuth OAuthServer
	// Push takes Pub/Sub's pushes (nil: not in push mode); Syncs reads the
	// sync state of accounts (nil: no local index).
	Push  PushIntake
	Syncs SyncStates
	// CalendarPush takes Calendar's channel notifications (nil: not in
	// push mode).
	CalendarPush CalendarIntake
	// Events streams each user's changes (nil: no GET /events).
	Events EventBus
	// Dashboard serves the web app at "/".
	Dashboard http.Handler
	// Checks are what /readyz (and /ready) verifies, by name.
	Checks map[string]func(context.Context) error
	// Advisory are checks /readyz reports without turning unready: a
	// dependency every replica shares and each serves without (Redis,
	// whose limits fail open), which no other replica would cure.
	Advisory map[string]func(context.Context) error
	Logger   *slog.Logger
}

// ProfileStore records sign-ins on a user.
type ProfileStore interface {
	UpdateUserProfile(ctx context.Context, userID, name, picture string) error
}

// LabelService lists the Gmail labels of one of the user's accounts.
type LabelService interface {
	ListLabels(ctx context.Context, userID, account string) (*jarvis.LabelList, error)
}

// Server is the HTTP API.
type Server struct {
	Deps
	cfg    Config
	log    *slog.Logger
	origin string
	secure bool
	// signInBinding binds browser sign-ins to the browser that started them.
	signInBinding browserBinding
	mux           *http.ServeMux
	handler       http.Handler
	routes        []string
	// draining is set by Drain: readiness answers 503 from then on.
	draining atomic.Bool
	tracer   trace.Tracer // nil: no spans
}

// New builds the API.
func New(cfg Config, d Deps) *Server {
	s := &Server{Deps: d, cfg: cfg, log: d.Logger, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.cfg.SessionTTL <= 0 {
		s.cfg.SessionTTL = 12 * time.Hour
	}
	if s.cfg.GoogleRateLimit <= 0 {
		s.cfg.GoogleRateLimit = 300
	}
	if s.cfg.ChatRateLimit <= 0 {
		s.cfg.ChatRateLimit = 20
	}
	if s.cfg.AnonymousRateLimit <= 0 {
		s.cfg.AnonymousRateLimit = 60
	}
	if len(s.cfg.CSRFKey) == 0 {
		s.cfg.CSRFKey = make([]byte, 32)
		_, _ = rand.Read(s.cfg.CSRFKey)
	}
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Host != "" {
		s.origin = u.Scheme + "://" + u.Host
		s.secure = u.Scheme == "https"
	}
	if cfg.Tracer != nil {
		s.tracer = cfg.Tracer.Tracer(tracerName)
	}
	s.signInBinding = newBrowserBinding("signin", s.secure, signInBindingTTL)
	s.registerRoutes()
	s.handler = s.withRequest(s.mux)
	return s
}

// SetGoogleRateLimit changes how many Google requests a user may make per minute.
func (s *Server) SetGoogleRateLimit(n int) { s.cfg.GoogleRateLimit = n }

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes lists the registered "METHOD /pattern" routes, for the OpenAPI test.
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

// handle registers an API route.
func (s *Server) handle(pattern string, h http.Handler) {
	s.routes = append(s.routes, pattern)
	s.mux.Handle(pattern, apiHeaders(h))
}

func (s *Server) registerRoutes() {
	s.handle("GET /livez", http.HandlerFunc(s.health))
	s.handle("GET /readyz", http.HandlerFunc(s.ready))
	s.handle("GET /health", http.HandlerFunc(s.health))
	s.handle("GET /ready", http.HandlerFunc(s.ready))
	s.handle("GET /openapi.json", http.HandlerFunc(s.openAPI))
	s.handle("GET /me", s.authed(s.me))
	s.handle("POST /auth/logout", s.authed(s.logout))
	s.handle("POST /auth/logout-all", s.authed(s.logoutAll))

	s.handle("GET /orgs/{org_id}/members", s.authed(s.listMembers))
	s.handle("POST /orgs/{org_id}/members", s.authed(s.inviteMember))
	s.handle("PATCH /orgs/{org_id}/members/{user_id}", s.authed(s.updateMember))
	s.handle("DELETE /orgs/{org_id}/members/{user_id}", s.authed(s.removeMember))
	s.handle("GET /orgs/{org_id}/invitations", s.authed(s.listOrgInvitations))
	s.handle("DELETE /orgs/{org_id}/invitations/{id}", s.authed(s.revokeInvitation))
	s.handle("GET /invitations", s.authed(s.myInvitations))
	s.handle("POST /invitations/{id}/accept", s.authed(s.acceptInvitation))
	s.handle("POST /invitations/{id}/decline", s.authed(s.declineInvitation))
	s.handle("GET /orgs/{org_id}/audit-logs", s.authed(s.listAuditLogs))

	s.registerGoogleRoutes()
	s.registerCalendarWriteRoutes()
	s.registerSendRoutes()
	s.registerAccountRoutes()
	s.registerSyncRoutes()
	s.registerEventRoutes()
	s.registerChatRoutes()
	s.registerActionRoutes()
	s.registerOAuthRoutes()
	s.registerMCPRoutes()

	notFound := apiHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Error(w, r, jarvis.Errorf(jarvis.ENOTFOUND, "No route for %s %s.", r.Method, r.URL.Path))
	}))
	s.mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// API clients get a problem; browsers get the dashboard, which routes
		// its own pages.
		if s.Dashboard == nil || isAPIPath(r.URL.Path) || (wantsJSON(r) && !wantsHTML(r)) || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			notFound.ServeHTTP(w, r)
			return
		}
		s.Dashboard.ServeHTTP(w, r)
	}))
}

// apiPrefixes are the first path segments that belong to the API.
var apiPrefixes = []string{"/accounts/", "/auth/", "/gmail/", "/calendar/", "/orgs/", "/chat", "/conversations", "/me/", "/health/", "/ready/", "/livez/", "/readyz/", "/invitations/", "/actions/", "/settings/policy", "/settings/tokens"}

func isAPIPath(p string) bool {
	for _, pre := range apiPrefixes {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

// unavailable answers for a service that is not configured.
func (s *Server) unavailable(w http.ResponseWriter, r *http.Request, code, what string) {
	s.Error(w, r, jarvis.Errorf(code, "%s is not configured on this server.", what))
}
