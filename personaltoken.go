package jarvis

import (
	"context"
	"time"
)

// PersonalTokenPrefix starts every personal token, so that one pasted in
// the wrong place is recognised (and secret scanners can find it).
const PersonalTokenPrefix = "jarvis_pat_"

// MaxPersonalTokenDays bounds a personal token's lifetime.
const MaxPersonalTokenDays = 365

// PersonalToken is a token a user made in Settings for a local MCP client
// (jarvis mcp --stdio): scoped, limited to some of their Google accounts,
// expiring and revocable. The token itself is shown once, when made; only
// its hash is kept.
type PersonalToken struct {
	ID     string `json:"id"`
	UserID string `json:"-"`
	Name   string `json:"name" doc:"The user's name for the token (the client it is for)."`
	// Hint is the token's first characters, to tell tokens apart.
	Hint       string     `json:"hint" doc:"The token's first characters (jarvis_pat_ and four more), to tell tokens apart."`
	Scopes     []string   `json:"scopes" doc:"What the token may do: mail.read, mail.compose, mail.send, mail.organize, calendar.read, calendar.write."`
	Accounts   []string   `json:"accounts" doc:"The ids of the Google accounts the token may use."`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at" doc:"When the token was last presented at /mcp (to the minute); null if never."`
}

// NewPersonalToken is what a user asks for to make a personal token.
type NewPersonalToken struct {
	Name   string   `json:"name" doc:"1 to 100 characters."`
	Scopes []string `json:"scopes" doc:"At least one of mail.read, mail.compose, mail.send, mail.organize, calendar.read, calendar.write."`
	// Accounts are ids or emails of the user's Google accounts; empty:
	// every account connected now.
	Accounts      []string `json:"accounts" doc:"Ids or emails of the user's Google accounts the token may use; empty: every account connected now."`
	ExpiresInDays int      `json:"expires_in_days" doc:"1 to 365; default 90."`
}

// CreatedPersonalToken is a new personal token, with the token itself: the
// only time it is shown.
type CreatedPersonalToken struct {
	PersonalToken
	Token string `json:"token" doc:"The token (jarvis_pat_…), shown only this once: give it to the client as JARVIS_TOKEN."`
}

// PersonalTokenService makes, lists and revokes a user's personal tokens.
type PersonalTokenService interface {
	// CreatePersonalToken makes a token; EINVALID naming the field.
	CreatePersonalToken(ctx context.Context, userID string, in NewPersonalToken) (*CreatedPersonalToken, error)
	// ListPersonalTokens lists the user's live tokens, newest first.
	ListPersonalTokens(ctx context.Context, userID string) ([]PersonalToken, error)
	// RevokePersonalToken deletes the user's token; ENOTFOUND for another
	// user's or an unknown id.
	RevokePersonalToken(ctx context.Context, userID, id string) error
}

// PersonalTokenStore keeps personal tokens by the SHA-256 of the token.
// Every method but FindPersonalTokenByHash names the user.
type PersonalTokenStore interface {
	// InsertPersonalToken stores t (its id and creation time filled).
	InsertPersonalToken(ctx context.Context, t *PersonalToken, hash []byte) error
	ListPersonalTokens(ctx context.Context, userID string) ([]PersonalToken, error)
	// DeletePersonalToken removes the user's token; ENOTFOUND otherwise.
	DeletePersonalToken(ctx context.Context, userID, id string) error
	// FindPersonalTokenByHash returns the token whose hash is hash, expired
	// or not; ENOTFOUND when there is none.
	FindPersonalTokenByHash(ctx context.Context, hash []byte) (*PersonalToken, error)
	// TouchPersonalToken records a use of the token at t.
	TouchPersonalToken(ctx context.Context, userID, id string, t time.Time) error
}
