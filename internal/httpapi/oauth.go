package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// OAuthServer is Jarvis as the OAuth 2.1 authorization server of its MCP
// endpoint (internal/oauthserver). The protocol endpoints answer as OAuth
// does (RFC 6749 errors); the consent and the connected apps are served
// here, for the signed-in user.
type OAuthServer interface {
	AuthorizationServerMetadata() map[string]any
	ProtectedResourceMetadata() map[string]any
	// Authorize checks an authorization request: the request waiting for
	// consent; or a redirect back to the client with an error; or an error
	// to show the user (a client or redirect URI that cannot be trusted).
	Authorize(ctx context.Context, q url.Values) (*jarvis.MCPAuthRequest, string, error)
	AuthRequest(ctx context.Context, id string) (*jarvis.MCPAuthRequest, error)
	// Decide records the user's answer and returns where the browser goes.
	Decide(ctx context.Context, userID, id string, d jarvis.MCPConsentDecision) (string, error)
	ServeToken(w http.ResponseWriter, r *http.Request)
	ServeRevoke(w http.ResponseWriter, r *http.Request)
	ServeRegister(w http.ResponseWriter, r *http.Request)
	ConnectedApps(ctx context.Context, userID string) ([]jarvis.MCPConnectedApp, error)
	RevokeApp(ctx context.Context, userID, id string) error
}

// oauthRegistrationsPerHour is how many clients an address may register
// in an hour, when Config leaves it 0.
const oauthRegistrationsPerHour = 20

func (s *Server) registerOAuthRoutes() {
	s.handle("GET /.well-known/oauth-authorization-server", s.oauthRoute(s.asMetadata))
	s.handle("GET /.well-known/oauth-protected-resource/mcp", s.oauthRoute(s.resourceMetadata))
	s.handle("GET /.well-known/oauth-protected-resource", s.oauthRoute(s.resourceMetadata))
	s.handle("GET /oauth/authorize", s.oauthRoute(s.authorize))
	s.handle("POST /oauth/token", s.oauthRoute(s.oauthEndpoint(func(o OAuthServer) http.HandlerFunc { return o.ServeToken })))
	s.handle("POST /oauth/revoke", s.oauthRoute(s.oauthEndpoint(func(o OAuthServer) http.HandlerFunc { return o.ServeRevoke })))
	s.handle("POST /oauth/register", s.oauthRoute(s.registerClient))
	// Preflights of browser-based clients (an MCP inspector in a web page):
	// these answers carry no cookie and read none.
	for _, p := range []string{"/.well-known/oauth-authorization-server", "/.well-known/oauth-protected-resource/mcp", "/oauth/token", "/oauth/revoke", "/oauth/register"} {
		s.handle("OPTIONS "+p, s.oauthRoute(preflight))
	}
	s.handle("GET /oauth/consent/{id}", s.oauthRoute(s.authed(s.getConsent).ServeHTTP))
	s.handle("POST /oauth/consent/{id}", s.oauthRoute(s.authed(s.decideConsent).ServeHTTP))
	s.handle("GET /settings/apps", s.oauthRoute(s.authed(s.listApps).ServeHTTP))
	s.handle("DELETE /settings/apps/{id}", s.oauthRoute(s.authed(s.revokeApp).ServeHTTP))
}

// oauthRoute answers 503 when no authorization server is configured.
func (s *Server) oauthRoute(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.OAuth == nil {
			s.unavailable(w, r, jarvis.EUNAVAILABLE, "The OAuth authorization server")
			return
		}
		h(w, r)
	})
}

// publicCORS lets a browser-based MCP client read a public OAuth answer
// (no cookie is ever read by these routes).
func publicCORS(w http.ResponseWriter) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
}

// preflight answers a CORS preflight of a public OAuth route.
func preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	publicCORS(w)
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, MCP-Protocol-Version")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) asMetadata(w http.ResponseWriter, r *http.Request) {
	publicCORS(w)
	writeJSON(w, http.StatusOK, s.OAuth.AuthorizationServerMetadata())
}

func (s *Server) resourceMetadata(w http.ResponseWriter, r *http.Request) {
	publicCORS(w)
	writeJSON(w, http.StatusOK, s.OAuth.ProtectedResourceMetadata())
}

// oauthEndpoint serves a token or revocation request, counted against the
// client address's anonymous limit.
func (s *Server) oauthEndpoint(pick func(OAuthServer) http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		publicCORS(w)
		if !s.allowAnonymous(w, r) {
			return
		}
		pick(s.OAuth)(w, r)
	}
}

// registerClient is dynamic client registration, limited per address
// and hour.
func (s *Server) registerClient(w http.ResponseWriter, r *http.Request) {
	publicCORS(w)
	if s.Limiter != nil {
		limit := s.cfg.OAuthRegistrationsPerHour
		if limit <= 0 {
			limit = oauthRegistrationsPerHour
		}
		ok, retry, err := s.Limiter.Allow(r.Context(), "oauth-register:"+clientBucket(jarvis.ClientFromContext(r.Context()).IP), limit, time.Hour)
		if err != nil {
			s.log.WarnContext(r.Context(), "rate limit store unavailable: registration not counted", "err", err)
		} else if !ok {
			s.Error(w, r, &jarvis.Error{Code: jarvis.ERATELIMITED, Message: "Too many client registrations from this address: retry later.", RetryAfter: retry})
			return
		}
	}
	s.OAuth.ServeRegister(w, r)
}

// authorize is the authorization endpoint: a request Jarvis can trust goes
// to the consent page (through Google sign-in when the browser is not
// signed in); an error about the client or its redirect URI is shown on
// that page, never sent to the redirect URI; any other error goes back
// to the client.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !s.allowAnonymous(w, r) {
		return
	}
	req, redirect, err := s.OAuth.Authorize(r.Context(), r.URL.Query())
	switch {
	case err != nil:
		var je *jarvis.Error
		if wantsHTML(r) && errors.As(err, &je) && je.Code == jarvis.EINVALID {
			q := url.Values{"error": {"invalid_" + je.Field}, "error_description": {je.Message}}
			http.Redirect(w, r, "/consent?"+q.Encode(), http.StatusSeeOther)
			return
		}
		s.Error(w, r, err)
	case redirect != "":
		http.Redirect(w, r, redirect, http.StatusFound)
	default:
		consent := "/consent?" + url.Values{"request": {req.ID}}.Encode()
		if _, _, err := s.authenticate(r); err != nil {
			http.Redirect(w, r, "/auth/google/start?"+url.Values{"redirect": {consent}}.Encode(), http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, consent, http.StatusSeeOther)
	}
}

func (s *Server) getConsent(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	req, err := s.OAuth.AuthRequest(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, req)
}

type consentAnswer struct {
	RedirectTo string `json:"redirect_to" doc:"Where to send the browser: the client's redirect URI with the code (or error=access_denied), the state and iss."`
}

func (s *Server) decideConsent(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	var d jarvis.MCPConsentDecision
	if err := decodeJSON(w, r, 8<<10, &d); err != nil {
		s.Error(w, r, err)
		return
	}
	to, err := s.OAuth.Decide(r.Context(), u.ID, r.PathValue("id"), d)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, consentAnswer{RedirectTo: to})
}

type appsResponse struct {
	Apps []jarvis.MCPConnectedApp `json:"apps"`
}

func (s *Server) listApps(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	apps, err := s.OAuth.ConnectedApps(r.Context(), u.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, appsResponse{Apps: apps})
}

func (s *Server) revokeApp(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if err := s.OAuth.RevokeApp(r.Context(), u.ID, r.PathValue("id")); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
