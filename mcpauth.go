package jarvis

import "time"

// MCPAuthRequest is an MCP client's authorization request waiting for the
// user's consent: Jarvis checked the client and its redirect URI, and
// shows the user what it asks for.
type MCPAuthRequest struct {
	ID       string `json:"id"`
	ClientID string `json:"client_id"`
	// ClientName is the name the client gives itself: unverified.
	ClientName string `json:"client_name" doc:"The name the client gives itself in its metadata: unverified."`
	ClientURI  string `json:"client_uri,omitempty" doc:"The client's home page, as its metadata gives it: unverified."`
	// ClientType is how Jarvis knows the client: metadata_document (the
	// client id is the URL of its metadata) or dynamic (RFC 7591).
	ClientType   string    `json:"client_type" doc:"metadata_document: the client id is the URL of the client's metadata document; dynamic: registered through POST /oauth/register."`
	RedirectURI  string    `json:"redirect_uri"`
	RedirectHost string    `json:"redirect_host" doc:"Where the client's answer goes: the host of redirect_uri (or its scheme, for an app's own scheme)."`
	Scopes       []string  `json:"scopes" doc:"The scopes asked for."`
	ExpiresAt    time.Time `json:"expires_at"`
}

// MCPConsentDecision is the user's answer to an authorization request.
type MCPConsentDecision struct {
	Allow bool `json:"allow"`
	// Scopes and Accounts narrow the grant: a subset of the scopes asked
	// for, and of the user's Google account ids.
	Scopes   []string `json:"scopes" doc:"With allow: the scopes granted, a non-empty subset of those asked for."`
	Accounts []string `json:"accounts" doc:"With allow: the ids of the Google accounts the client may use (at least one), as GET /accounts lists them."`
}

// MCPConnectedApp is an MCP client the user allowed: its consent and what
// it grants.
type MCPConnectedApp struct {
	ID         string     `json:"id"`
	ClientID   string     `json:"client_id"`
	ClientName string     `json:"client_name" doc:"Unverified: as the client's metadata gives it."`
	Scopes     []string   `json:"scopes"`
	Accounts   []string   `json:"accounts" doc:"The ids of the Google accounts the client may use."`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	LastUsedAt *time.Time `json:"last_used_at" doc:"When the client last used a token at /mcp or refreshed one (to the minute); null if never."`
	ExpiresAt  time.Time  `json:"expires_at" doc:"When the latest authorization ends (JARVIS_OAUTH_REFRESH_LIFETIME, 90 days by default, after consent): then the app's refresh is refused and it must be connected again."`
}
