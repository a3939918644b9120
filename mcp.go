package jarvis

import (
	"context"
	"slices"
	"time"
)

// MCP scopes: what an MCP client (or a personal token) may do, one per
// capability. Reading is never implied by writing.
const (
	ScopeMailRead      = "mail.read"
	ScopeMailCompose   = "mail.compose"
	ScopeMailSend      = "mail.send"
	ScopeMailOrganize  = "mail.organize"
	ScopeCalendarRead  = "calendar.read"
	ScopeCalendarWrite = "calendar.write"
)

// MCPScopes lists every MCP scope, in the order they are shown.
var MCPScopes = []string{ScopeMailRead, ScopeMailCompose, ScopeMailSend, ScopeMailOrganize, ScopeCalendarRead, ScopeCalendarWrite}

// MCPGrant is what a bearer token presented at /mcp grants: one user, one
// client, the scopes and the Google accounts the user consented to. It is
// the same whether the token came from Jarvis's OAuth authorization server
// or is a personal token the user made in Settings.
type MCPGrant struct {
	UserID string
	// ClientID is the OAuth client's id (its metadata document's URL, or
	// the id dynamic registration gave it), or "pat:<id>" for a personal
	// token.
	ClientID string
	// ClientName is the client's name as its metadata gives it (unverified).
	ClientName string
	// TokenID identifies the token (never the token itself) in audit rows.
	TokenID string
	Scopes  []string
	// Accounts are the ids of the Google accounts the client may use.
	Accounts  []string
	ExpiresAt time.Time
}

// HasScope reports whether the grant includes scope.
func (g *MCPGrant) HasScope(scope string) bool { return slices.Contains(g.Scopes, scope) }

// AllowsAccount reports whether the grant may use the account id.
func (g *MCPGrant) AllowsAccount(accountID string) bool {
	return slices.Contains(g.Accounts, accountID)
}

// MCPTokenVerifier checks a bearer token presented at /mcp. EUNAUTHORIZED
// for anything but a live token issued for Jarvis's MCP resource (a
// session token, a token for another audience, an expired or revoked one).
type MCPTokenVerifier interface {
	VerifyMCPToken(ctx context.Context, raw string) (*MCPGrant, error)
}

type mcpGrantKey struct{}

// NewContextWithMCPGrant returns ctx carrying the grant of the MCP request.
func NewContextWithMCPGrant(ctx context.Context, g *MCPGrant) context.Context {
	return context.WithValue(ctx, mcpGrantKey{}, g)
}

// MCPGrantFromContext returns the grant of the MCP request, or nil.
func MCPGrantFromContext(ctx context.Context) *MCPGrant {
	g, _ := ctx.Value(mcpGrantKey{}).(*MCPGrant)
	return g
}
