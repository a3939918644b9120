package oauthserver

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/jarvis-hq/jarvis"
)

// challengeRE is an S256 code challenge: base64url of 32 bytes, unpadded.
var challengeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// DefaultScopes are granted when a client asks for none: reading only.
var DefaultScopes = []string{jarvis.ScopeMailRead, jarvis.ScopeCalendarRead}

// parseScopes reads a scope parameter: known scopes, each once, in
// Jarvis's order; offline_access is ignored (refresh tokens are always
// issued). Empty: DefaultScopes.
func parseScopes(s string) ([]string, string) {
	asked := map[string]bool{}
	for _, sc := range strings.Fields(s) {
		if sc == "offline_access" {
			continue
		}
		if !slices.Contains(jarvis.MCPScopes, sc) {
			return nil, sc
		}
		asked[sc] = true
	}
	if len(asked) == 0 {
		return append([]string(nil), DefaultScopes...), ""
	}
	var out []string
	for _, sc := range jarvis.MCPScopes {
		if asked[sc] {
			out = append(out, sc)
		}
	}
	return out, ""
}

// errorRedirect is the redirect URI with an RFC 6749 error, the state and
// the issuer (RFC 9207).
func (s *Server) errorRedirect(redirectURI, state, code, description string) string {
	q := url.Values{"error": {code}, "iss": {s.cfg.Issuer}}
	if description != "" {
		q.Set("error_description", description)
	}
	if state != "" {
		q.Set("state", state)
	}
	return appendQuery(redirectURI, q)
}

func appendQuery(uri string, q url.Values) string {
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	return uri + sep + q.Encode()
}

// Authorize checks an authorization request (the query of GET
// /oauth/authorize) and stores it for the user's consent. It answers in
// one of three ways: the request, waiting for consent; an error to send
// the browser back to the client with (redirect, once the client and its
// redirect URI are known to fit); or an error to show the user (err: a
// client or redirect URI Jarvis cannot trust is never redirected to).
func (s *Server) Authorize(ctx context.Context, q url.Values) (req *jarvis.MCPAuthRequest, redirect string, err error) {
	for _, k := range []string{"client_id", "redirect_uri"} {
		if len(q[k]) > 1 {
			return nil, "", jarvis.Invalid(k, "The %s parameter is given more than once.", k)
		}
	}
	c, err := s.clients.resolve(ctx, q.Get("client_id"))
	if err != nil {
		return nil, "", err
	}
	redirectURI := q.Get("redirect_uri")
	if redirectURI == "" {
		return nil, "", jarvis.Invalid("redirect_uri", "The redirect_uri parameter is missing.")
	}
	if !slices.Contains(c.RedirectURIs, redirectURI) {
		return nil, "", jarvis.Invalid("redirect_uri", "The redirect_uri is not one of the client's registered redirect URIs.")
	}
	// From here on the redirect URI is the client's own: errors go back to it.
	state := q.Get("state")
	fail := func(code, description string) (*jarvis.MCPAuthRequest, string, error) {
		if len(state) > 1024 {
			state = ""
		}
		return nil, s.errorRedirect(redirectURI, state, code, description), nil
	}
	for k, v := range q {
		if len(v) > 1 {
			return fail("invalid_request", "The "+k+" parameter is given more than once.")
		}
	}
	if len(state) > 1024 {
		return fail("invalid_request", "The state parameter is longer than 1024 characters.")
	}
	if rt := q.Get("response_type"); rt != "code" {
		return fail("unsupported_response_type", "Only response_type=code is supported.")
	}
	switch m := q.Get("code_challenge_method"); {
	case q.Get("code_challenge") == "":
		return fail("invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256.")
	case m != "S256":
		return fail("invalid_request", "Only code_challenge_method=S256 is supported.")
	case !challengeRE.MatchString(q.Get("code_challenge")):
		return fail("invalid_request", "The code_challenge is not an S256 challenge (43 base64url characters).")
	}
	if res := q.Get("resource"); res != s.resource {
		return fail("invalid_target", "The resource parameter must be "+s.resource+".")
	}
	scopes, unknown := parseScopes(q.Get("scope"))
	if unknown != "" {
		return fail("invalid_scope", "Unknown scope "+truncate(unknown, 64)+".")
	}
	now := s.now()
	id := newSecret("")
	r := &Request{MCPAuthRequest: jarvis.MCPAuthRequest{ID: id, ClientID: c.ID, ClientName: c.Name, ClientURI: c.URI, ClientType: c.Type,
		RedirectURI: redirectURI, RedirectHost: redirectHost(redirectURI), Scopes: scopes, ExpiresAt: now.Add(s.cfg.RequestTTL)},
		State: state, CodeChallenge: q.Get("code_challenge"), Resource: s.resource, CreatedAt: now}
	if err := s.cfg.Store.SaveOAuthRequest(ctx, hashSecret(id), r); err != nil {
		return nil, "", err
	}
	out := r.MCPAuthRequest
	return &out, "", nil
}

// AuthRequest returns an authorization request waiting for consent, for
// the consent page. ENOTFOUND when it is unknown, decided or expired.
func (s *Server) AuthRequest(ctx context.Context, id string) (*jarvis.MCPAuthRequest, error) {
	if id == "" || len(id) > 100 {
		return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Authorization request not found.")
	}
	r, err := s.cfg.Store.OAuthRequest(ctx, hashSecret(id), s.now())
	if err != nil {
		return nil, err
	}
	out := r.MCPAuthRequest
	out.ID = id
	out.RedirectHost = redirectHost(r.RedirectURI)
	return &out, nil
}

// Decide records the user's answer to an authorization request, once, and
// returns where to send the browser: the client's redirect URI with a code
// (allowed) or access_denied, the state and the issuer. ENOTFOUND when the
// request is unknown, decided or expired; EINVALID (field scopes or
// accounts) for scopes not asked for or accounts not the user's.
func (s *Server) Decide(ctx context.Context, userID, id string, d jarvis.MCPConsentDecision) (string, error) {
	req, err := s.AuthRequest(ctx, id)
	if err != nil {
		return "", err
	}
	var scopes, accounts []string
	if d.Allow {
		if scopes, err = narrowScopes(req.Scopes, d.Scopes); err != nil {
			return "", err
		}
		if accounts, err = s.checkAccounts(ctx, userID, d.Accounts); err != nil {
			return "", err
		}
	}
	r, err := s.cfg.Store.TakeOAuthRequest(ctx, hashSecret(id), s.now())
	if err != nil {
		return "", err
	}
	audit := jarvis.AuditEntry{TargetType: "oauth_client", TargetID: r.ClientID,
		Metadata: map[string]any{"client_id": r.ClientID, "client_type": r.ClientType, "redirect_host": redirectHost(r.RedirectURI), "scopes_requested": r.Scopes}}
	if !d.Allow {
		audit.Action, audit.Outcome = jarvis.AuditOAuthConsentDenied, jarvis.OutcomeDenied
		s.audit(ctx, userID, audit)
		return s.errorRedirect(r.RedirectURI, r.State, "access_denied", "The user denied the request."), nil
	}
	now := s.now()
	raw := newSecret(codePrefix)
	code := &Code{ID: newID(), Hash: hashSecret(raw), UserID: userID, ClientID: r.ClientID, ClientName: r.ClientName, RedirectURI: r.RedirectURI,
		Scopes: scopes, Accounts: accounts, CodeChallenge: r.CodeChallenge, Resource: r.Resource, CreatedAt: now, ExpiresAt: now.Add(s.cfg.CodeTTL)}
	consentID, err := s.cfg.Store.GrantOAuthConsent(ctx, code)
	if err != nil {
		return "", err
	}
	s.touched.Delete(userID + "\x00" + r.ClientID) // a new consent's first use is recorded
	audit.Action, audit.Outcome = jarvis.AuditOAuthConsentGranted, jarvis.OutcomeSuccess
	audit.Metadata["scopes"], audit.Metadata["accounts"], audit.Metadata["consent_id"], audit.Metadata["grant_id"] = scopes, accounts, consentID, code.ID
	s.audit(ctx, userID, audit)
	q := url.Values{"code": {raw}, "iss": {s.cfg.Issuer}}
	if r.State != "" {
		q.Set("state", r.State)
	}
	return appendQuery(r.RedirectURI, q), nil
}

// narrowScopes checks the scopes the user granted: a non-empty subset of
// those asked for, returned in Jarvis's order.
func narrowScopes(asked, granted []string) ([]string, error) {
	if len(granted) == 0 {
		return nil, jarvis.Invalid("scopes", "Grant at least one scope, or deny the request.")
	}
	var out []string
	for _, sc := range jarvis.MCPScopes {
		if slices.Contains(granted, sc) {
			out = append(out, sc)
		}
	}
	for _, sc := range granted {
		if !slices.Contains(asked, sc) {
			return nil, jarvis.Invalid("scopes", "The scope %q was not asked for.", truncate(sc, 64))
		}
	}
	return out, nil
}

// checkAccounts checks the accounts the user granted: at least one, each
// one of theirs.
func (s *Server) checkAccounts(ctx context.Context, userID string, granted []string) ([]string, error) {
	if len(granted) == 0 {
		return nil, jarvis.Invalid("accounts", "Choose at least one Google account, or deny the request.")
	}
	mine, err := s.cfg.Accounts.ListGoogleAccounts(ctx, userID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range mine {
		if slices.Contains(granted, a.ID) {
			out = append(out, a.ID)
		}
	}
	if len(out) != len(granted) {
		for _, g := range granted {
			if !slices.ContainsFunc(mine, func(a jarvis.GoogleAccount) bool { return a.ID == g }) {
				return nil, jarvis.Invalid("accounts", "%q is not one of your Google accounts.", truncate(g, 64))
			}
		}
		return nil, jarvis.Invalid("accounts", "An account is listed twice.")
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
