// Package oauthserver is Jarvis as the OAuth 2.1 authorization server of
// its MCP endpoint: metadata (RFC 8414, RFC 9728), the authorization code
// flow with PKCE S256 only, clients known by their Client ID Metadata
// Document or registered dynamically (RFC 7591), the user's consent,
// tokens bound to the MCP resource (RFC 8707) — short-lived opaque access
// tokens and rotating refresh tokens with reuse detection — and revocation
// (RFC 7009). It implements jarvis.MCPTokenVerifier for the tokens it
// issues.
package oauthserver

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/jarvis-hq/jarvis"
)

// Token prefixes: every MCP token starts with "jmcp_", so that the REST
// API can refuse one by its look, and each kind has its own.
const (
	TokenPrefix   = "jmcp_"
	AccessPrefix  = "jmcp_at_"
	RefreshPrefix = "jmcp_rt_"
	codePrefix    = "jmcp_ac_"
)

// Client types, as MCPAuthRequest.ClientType names them.
const (
	ClientMetadataDocument = "metadata_document"
	ClientDynamic          = "dynamic"
)

// AccountLister lists a user's Google accounts.
type AccountLister interface {
	ListGoogleAccounts(ctx context.Context, userID string) ([]jarvis.GoogleAccount, error)
}

// UserFinder finds a user, for the org of audit rows written where no
// user is signed in (the token and revocation endpoints).
type UserFinder interface {
	FindUserByID(ctx context.Context, id string) (*jarvis.User, error)
}

// Config configures the authorization server.
type Config struct {
	// Issuer is Jarvis's public URL (JARVIS_PUBLIC_URL), without a
	// trailing slash: the issuer identifier, and the base of every
	// endpoint. The MCP resource is Issuer + "/mcp".
	Issuer   string
	Store    Store
	Accounts AccountLister
	Users    UserFinder
	Auditor  jarvis.Auditor
	Logger   *slog.Logger
	// AllowLoopbackClients lets a client's metadata document live at an
	// http URL or a loopback or private address (tests and the offline
	// sandbox). Off, such a document is refused.
	AllowLoopbackClients bool
	// MetadataClient fetches metadata documents; nil: a client that
	// refuses non-public addresses at dial time (see NewMetadataClient).
	MetadataClient *http.Client
	// MetadataRootCAs, when not nil, are the certificate authorities
	// trusted when fetching metadata documents (the system's and a
	// private one, JARVIS_OAUTH_CLIENT_CA_FILE); nil: the system's.
	MetadataRootCAs *x509.CertPool
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Lifetimes; zero: 15 minutes, 30 days, 10 minutes, 10 minutes.
	// RefreshTTL is how long a refresh token lasts unused: each rotation
	// issues a new one.
	AccessTTL, RefreshTTL, CodeTTL, RequestTTL time.Duration
	// RefreshLifetime is how long a grant (a family of rotated refresh
	// tokens) lasts from the user's consent, however often it is refreshed;
	// then the user must connect the app again. Zero: 90 days.
	RefreshLifetime time.Duration
}

// Server is the authorization server.
type Server struct {
	cfg      Config
	resource string
	log      *slog.Logger
	clients  *clientResolver
	// touched remembers when this process last recorded each grant's use
	// (user and client), so that a busy client costs one write a minute,
	// not one per call.
	touched sync.Map
}

var _ jarvis.MCPTokenVerifier = (*Server)(nil)

// New returns the authorization server.
func New(cfg Config) (*Server, error) {
	if cfg.Issuer == "" || cfg.Store == nil || cfg.Accounts == nil || cfg.Users == nil || cfg.Auditor == nil {
		return nil, errors.New("oauthserver: Issuer, Store, Accounts, Users and Auditor are required")
	}
	cfg.Issuer = strings.TrimRight(cfg.Issuer, "/")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = 15 * time.Minute
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = 30 * 24 * time.Hour
	}
	if cfg.RefreshLifetime <= 0 {
		cfg.RefreshLifetime = 90 * 24 * time.Hour
	}
	if cfg.CodeTTL <= 0 {
		cfg.CodeTTL = 10 * time.Minute
	}
	if cfg.RequestTTL <= 0 {
		cfg.RequestTTL = 10 * time.Minute
	}
	hc := cfg.MetadataClient
	if hc == nil {
		hc = NewMetadataClient(cfg.AllowLoopbackClients, cfg.MetadataRootCAs)
	}
	s := &Server{cfg: cfg, resource: cfg.Issuer + "/mcp", log: cfg.Logger}
	s.clients = newClientResolver(hc, cfg.Store, cfg.AllowLoopbackClients, s.now)
	return s, nil
}

// Resource is the MCP endpoint's resource identifier (RFC 8707): the only
// audience of the tokens this server issues.
func (s *Server) Resource() string { return s.resource }

// Issuer is the issuer identifier.
func (s *Server) Issuer() string { return s.cfg.Issuer }

// ResourceMetadataURL is the URL of the MCP endpoint's protected-resource
// metadata, for WWW-Authenticate's resource_metadata.
func (s *Server) ResourceMetadataURL() string {
	return s.cfg.Issuer + "/.well-known/oauth-protected-resource/mcp"
}

func (s *Server) now() time.Time { return s.cfg.Now().UTC() }

// AuthorizationServerMetadata is the RFC 8414 document.
func (s *Server) AuthorizationServerMetadata() map[string]any {
	i := s.cfg.Issuer
	return map[string]any{
		"issuer":                                         i,
		"authorization_endpoint":                         i + "/oauth/authorize",
		"token_endpoint":                                 i + "/oauth/token",
		"registration_endpoint":                          i + "/oauth/register",
		"revocation_endpoint":                            i + "/oauth/revoke",
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          []string{"none"},
		"revocation_endpoint_auth_methods_supported":     []string{"none"},
		"scopes_supported":                               jarvis.MCPScopes,
		"client_id_metadata_document_supported":          true,
		"authorization_response_iss_parameter_supported": true,
		"service_documentation":                          i + "/openapi.json",
	}
}

// ProtectedResourceMetadata is the RFC 9728 document of the MCP endpoint.
func (s *Server) ProtectedResourceMetadata() map[string]any {
	return map[string]any{
		"resource":                 s.resource,
		"authorization_servers":    []string{s.cfg.Issuer},
		"scopes_supported":         jarvis.MCPScopes,
		"bearer_methods_supported": []string{"header"},
		"resource_name":            "Jarvis",
	}
}

var errBadToken = &jarvis.Error{Code: jarvis.EUNAUTHORIZED, Message: "The access token is invalid, expired, revoked, or not for this resource."}

// VerifyMCPToken checks an access token presented at /mcp: EUNAUTHORIZED
// for anything but a live access token this server issued for its MCP
// resource (a Jarvis session token, a refresh token, a token of another
// audience, an expired or revoked one).
func (s *Server) VerifyMCPToken(ctx context.Context, raw string) (*jarvis.MCPGrant, error) {
	if !strings.HasPrefix(raw, AccessPrefix) || len(raw) > 200 {
		return nil, errBadToken
	}
	t, err := s.cfg.Store.OAuthToken(ctx, hashSecret(raw))
	if jarvis.IsCode(err, jarvis.ENOTFOUND) {
		return nil, errBadToken
	} else if err != nil {
		return nil, err
	}
	now := s.now()
	if t.Kind != KindAccess || !t.RevokedAt.IsZero() || !now.Before(t.ExpiresAt) || t.Resource != s.resource {
		return nil, errBadToken
	}
	s.touch(ctx, t.UserID, t.ClientID, now)
	return &jarvis.MCPGrant{UserID: t.UserID, ClientID: t.ClientID, ClientName: t.ClientName, TokenID: t.ID,
		Scopes: t.Scopes, Accounts: t.Accounts, ExpiresAt: t.ExpiresAt}, nil
}

// touch records that the client used the user's grant, at most once a
// minute per process (the store skips a write within the minute too).
func (s *Server) touch(ctx context.Context, userID, clientID string, now time.Time) {
	key := userID + "\x00" + clientID
	if last, ok := s.touched.Load(key); ok && now.Sub(last.(time.Time)) < time.Minute {
		return
	}
	s.touched.Store(key, now)
	if err := s.cfg.Store.TouchOAuthConsent(ctx, userID, clientID, now); err != nil {
		s.log.WarnContext(ctx, "record connected app use", "err", err)
	}
}

// ConnectedApps lists the user's connected apps, the latest first, each
// with the end of its latest grant: RefreshLifetime after the consent
// (updated_at), which issued that grant's code.
func (s *Server) ConnectedApps(ctx context.Context, userID string) ([]jarvis.MCPConnectedApp, error) {
	apps, err := s.cfg.Store.OAuthConsents(ctx, userID)
	for i := range apps {
		apps[i].ExpiresAt = apps[i].UpdatedAt.Add(s.cfg.RefreshLifetime)
	}
	return apps, err
}

// RevokeApp withdraws the user's consent to a connected app and revokes
// every token it holds. ENOTFOUND when the user has no such app.
func (s *Server) RevokeApp(ctx context.Context, userID, id string) error {
	app, err := s.cfg.Store.DeleteOAuthConsent(ctx, userID, id, s.now())
	if err != nil {
		return err
	}
	s.audit(ctx, userID, jarvis.AuditEntry{Action: jarvis.AuditOAuthAppRevoked, TargetType: "oauth_client",
		TargetID: app.ClientID, Outcome: jarvis.OutcomeSuccess, Metadata: map[string]any{"client_id": app.ClientID, "consent_id": app.ID}})
	return nil
}

// newSecret returns prefix followed by 256 random bits, base64url.
func newSecret(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is how a secret is stored and looked up: its SHA-256, hex.
func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// audit records e as done by (or for) the user, in the user's personal
// org, with ctx's request id and client.
func (s *Server) audit(ctx context.Context, userID string, e jarvis.AuditEntry) {
	e.ActorUserID = userID
	if u := jarvis.UserFromContext(ctx); u != nil && u.ID == userID {
		e.OrgID = u.PersonalOrgID
	} else if u, err := s.cfg.Users.FindUserByID(ctx, userID); err == nil {
		e.OrgID = u.PersonalOrgID
	}
	s.cfg.Auditor.Record(ctx, e)
}
