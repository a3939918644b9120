package httpapi

import "github.com/jarvis-hq/jarvis"

// clientRegistration documents RFC 7591's request and answer.
type clientRegistration struct {
	ClientID                string   `json:"client_id,omitempty" doc:"Answered: the id Jarvis gave the client (jdcr_…)."`
	ClientIDIssuedAt        int64    `json:"client_id_issued_at,omitempty" doc:"Answered: Unix seconds."`
	ClientName              string   `json:"client_name,omitempty" doc:"Shown on the consent page, marked unverified."`
	ClientURI               string   `json:"client_uri,omitempty"`
	RedirectURIs            []string `json:"redirect_uris" doc:"1 to 10: https URLs, http on localhost, 127.0.0.1 or [::1], or an app's own scheme; no fragment. Matched exactly."`
	GrantTypes              []string `json:"grant_types,omitempty" doc:"authorization_code and refresh_token."`
	ResponseTypes           []string `json:"response_types,omitempty" doc:"code."`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty" doc:"Always answered none: every client is public, with no secret."`
	Scope                   string   `json:"scope,omitempty"`
}

type oauthTokenAnswer struct {
	AccessToken  string `json:"access_token" doc:"jmcp_at_…: opaque, for /mcp only, 15 minutes."`
	TokenType    string `json:"token_type" doc:"Bearer."`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token" doc:"jmcp_rt_…: used once; the answer to a refresh carries the next one."`
	Scope        string `json:"scope" doc:"The scopes granted, space-separated."`
}

// oauthOperations are the routes of the authorization server. The
// protocol endpoints (token, revoke, register) answer errors as OAuth does
// — {error, error_description} — not as problems.
var oauthOperations = []operation{
	{method: "GET", path: "/.well-known/oauth-authorization-server", summary: "RFC 8414 authorization server metadata of Jarvis as the OAuth 2.1 server of /mcp: endpoints, S256 only, public clients (none), the scopes, client_id_metadata_document_supported and authorization_response_iss_parameter_supported", tag: "oauth",
		ok: 200, resp: map[string]any{}, errors: errs()},
	{method: "GET", path: "/.well-known/oauth-protected-resource/mcp", summary: "RFC 9728 protected resource metadata of /mcp: resource (JARVIS_PUBLIC_URL/mcp), authorization_servers, scopes_supported, bearer_methods_supported [header]. /mcp's 401 names it in WWW-Authenticate: Bearer resource_metadata=…", tag: "oauth",
		ok: 200, resp: map[string]any{}, errors: errs()},
	{method: "GET", path: "/.well-known/oauth-protected-resource", summary: "The same document as /.well-known/oauth-protected-resource/mcp, for clients that look at the root", tag: "oauth",
		ok: 200, resp: map[string]any{}, errors: errs()},
	{method: "GET", path: "/oauth/authorize", summary: "Authorization endpoint: the authorization code flow with PKCE S256 only (plain or no challenge refused), resource (RFC 8707) required to be JARVIS_PUBLIC_URL/mcp, scope from " + scopeList() + " (default mail.read calendar.read), state returned, redirect_uri matched exactly against the client's metadata document (client_id an https URL) or registration. A request it can trust goes (303) to the consent page /consent?request=ID, through Google sign-in when the browser is not signed in. A bad client_id or redirect_uri is shown to the user (a browser: 303 to /consent?error=…; else 400), never sent to the redirect URI; any other error goes back to the client (302) with error, error_description, state and iss (RFC 9207). 429 past the per-address limit", tag: "oauth",
		params: []param{q("response_type", "string", "code"), q("client_id", "string", "a metadata document's https URL, or the id POST /oauth/register gave"), q("redirect_uri", "string", ""),
			q("code_challenge", "string", "BASE64URL(SHA256(code_verifier))"), q("code_challenge_method", "string", "S256"), q("resource", "string", "JARVIS_PUBLIC_URL/mcp"),
			q("scope", "string", "space-separated"), q("state", "string", "")},
		ok: 303, errors: errs(302, 400, 429)},
	{method: "POST", path: "/oauth/token", summary: "Token endpoint, application/x-www-form-urlencoded, public clients (client_id; no secret). grant_type=authorization_code with code, redirect_uri, code_verifier (PKCE, required) and optionally resource: the code is used once — presented again, it is refused and every token issued from it is revoked. grant_type=refresh_token with refresh_token (and optionally a narrower scope): the refresh token is used once and the answer carries the next; a used one presented again revokes the whole grant (reuse detection). Errors as RFC 6749: 400 invalid_request, invalid_grant, invalid_target (another resource), invalid_scope, unsupported_grant_type; 401 invalid_client", tag: "oauth",
		ok: 200, resp: oauthTokenAnswer{}, errors: errs(400, 401, 429)},
	{method: "POST", path: "/oauth/revoke", summary: "RFC 7009 revocation, application/x-www-form-urlencoded: token and client_id. A refresh token revokes its whole grant, an access token itself; an unknown token, or another client's, is answered 200 all the same", tag: "oauth",
		ok: 200, errors: errs(400, 401, 429)},
	{method: "POST", path: "/oauth/register", summary: "Dynamic client registration (RFC 7591), the fallback for clients without a metadata document: a public client (token_endpoint_auth_method none) with its redirect URIs. 400 invalid_redirect_uri or invalid_client_metadata; 429 past 20 registrations per address and hour", tag: "oauth",
		body: clientRegistration{}, ok: 201, resp: clientRegistration{}, errors: errs(400, 429)},
	{method: "GET", path: "/oauth/consent/{id}", summary: "An authorization request waiting for the signed-in user's consent (the consent page reads it): the client (its name unverified), its redirect host, the scopes asked for. 404 when unknown, decided or expired (10 minutes)", tag: "oauth", auth: true,
		params: []param{path("id", "the request parameter of /consent")}, ok: 200, resp: jarvis.MCPAuthRequest{}, errors: authErrs(404)},
	{method: "POST", path: "/oauth/consent/{id}", summary: "Allow or deny an authorization request, once. Allowing grants a non-empty subset of the scopes asked for and of the user's Google accounts (400 naming scopes or accounts otherwise) and records the consent (a connected app); the answer says where to send the browser: the redirect URI with code, state and iss, or error=access_denied. Audited oauth.consent_granted or oauth.consent_denied with the client id", tag: "oauth", auth: true,
		params: []param{path("id", "")}, body: jarvis.MCPConsentDecision{}, ok: 200, resp: consentAnswer{}, errors: authErrs(400, 403, 404, 413)},
	{method: "GET", path: "/settings/apps", summary: "The user's connected apps (MCP clients they allowed): client id and name, scopes, accounts, created, last used, and when the latest authorization expires (expires_at)", tag: "oauth", auth: true,
		ok: 200, resp: appsResponse{}, errors: authErrs()},
	{method: "DELETE", path: "/settings/apps/{id}", summary: "Revoke a connected app: its consent, every token it holds and any code not yet exchanged. Audited oauth.app_revoked. Another user's is 404", tag: "oauth", auth: true,
		params: []param{path("id", "")}, ok: 204, errors: authErrs(403, 404)},
}

func init() {
	// The CORS preflights of the public OAuth routes.
	for _, p := range []string{"/.well-known/oauth-authorization-server", "/.well-known/oauth-protected-resource/mcp", "/oauth/token", "/oauth/revoke", "/oauth/register"} {
		oauthOperations = append(oauthOperations, operation{method: "OPTIONS", path: p, tag: "oauth", ok: 204, errors: errs(),
			summary: "CORS preflight for browser-based MCP clients: Access-Control-Allow-Origin *, methods GET, POST, OPTIONS, headers Content-Type, Authorization, MCP-Protocol-Version (no cookie is read)"})
	}
	operations = append(operations, oauthOperations...)
}

func scopeList() string {
	out := ""
	for i, s := range jarvis.MCPScopes {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}
