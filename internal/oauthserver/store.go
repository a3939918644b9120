package oauthserver

import (
	"context"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// Client is a client registered through dynamic client registration
// (RFC 7591). Clients known by a metadata document are not stored: their
// document is fetched.
type Client struct {
	ID           string
	Name         string
	URI          string
	RedirectURIs []string
	CreatedAt    time.Time
}

// Request is an authorization request waiting for the user's consent.
type Request struct {
	jarvis.MCPAuthRequest
	State         string
	CodeChallenge string
	Resource      string
	CreatedAt     time.Time
}

// Code is an authorization code, stored by its hash. Its ID names the
// grant: every token issued from it carries the ID as its family.
type Code struct {
	ID            string
	Hash          string
	UserID        string
	ClientID      string
	ClientName    string
	RedirectURI   string
	Scopes        []string
	Accounts      []string
	CodeChallenge string
	Resource      string
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// Token kinds.
const (
	KindAccess  = "access"
	KindRefresh = "refresh"
)

// Token is an access or refresh token, stored by its hash.
type Token struct {
	ID         string
	Hash       string
	Kind       string
	FamilyID   string
	UserID     string
	ClientID   string
	ClientName string
	Scopes     []string
	Accounts   []string
	Resource   string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	// GrantCreatedAt is when the grant (the family) began: the user's
	// consent, which issued the code. The grant ends RefreshLifetime later.
	GrantCreatedAt time.Time
	// UsedAt is when a refresh token was exchanged (zero: not yet);
	// RevokedAt when the token was revoked (zero: live).
	UsedAt    time.Time
	RevokedAt time.Time
}

// Store keeps the authorization server's state where every replica sees
// it. Every method that reads a user's rows takes the user.
type Store interface {
	// CreateOAuthClient stores a dynamically registered client.
	CreateOAuthClient(ctx context.Context, c *Client) error
	// OAuthClient returns a registered client, or ENOTFOUND.
	OAuthClient(ctx context.Context, id string) (*Client, error)

	// SaveOAuthRequest stores an authorization request by the hash of its id.
	SaveOAuthRequest(ctx context.Context, idHash string, r *Request) error
	// OAuthRequest returns an unexpired request, or ENOTFOUND.
	OAuthRequest(ctx context.Context, idHash string, now time.Time) (*Request, error)
	// TakeOAuthRequest deletes the request and returns it, so that it is
	// decided once; ENOTFOUND when it is unknown, decided or expired.
	TakeOAuthRequest(ctx context.Context, idHash string, now time.Time) (*Request, error)

	// GrantOAuthConsent records (or replaces) the user's consent to the
	// client and stores the authorization code issued with it, in one
	// transaction. It returns the consent's id.
	GrantOAuthConsent(ctx context.Context, c *Code) (string, error)
	// RedeemOAuthCode returns the code, marked used if check accepts it
	// (compare-and-set). A code used before is returned with replayed true,
	// unchecked and not marked again; check's error is returned with the
	// code unmarked; ENOTFOUND when there is no such code.
	RedeemOAuthCode(ctx context.Context, hash string, now time.Time, check func(*Code) error) (c *Code, replayed bool, err error)

	// InsertOAuthTokens stores new tokens.
	InsertOAuthTokens(ctx context.Context, ts ...*Token) error
	// OAuthToken returns a token by its hash, live or not, or ENOTFOUND.
	OAuthToken(ctx context.Context, hash string) (*Token, error)
	// RotateOAuthRefresh marks the live, unused refresh token used and
	// stores next, in one transaction (compare-and-set): false, storing
	// nothing, when the token was used or revoked meanwhile.
	RotateOAuthRefresh(ctx context.Context, hash string, now time.Time, next ...*Token) (bool, error)
	// RevokeOAuthFamily revokes every live token of the grant and returns
	// how many it revoked.
	RevokeOAuthFamily(ctx context.Context, userID, familyID string, now time.Time) (int64, error)
	// RevokeOAuthToken revokes one token.
	RevokeOAuthToken(ctx context.Context, userID, id string, now time.Time) error

	// TouchOAuthConsent records that the client used its grant at now,
	// unless it was recorded within the last minute.
	TouchOAuthConsent(ctx context.Context, userID, clientID string, now time.Time) error
	// OAuthConsents lists the user's connected apps, the latest first.
	OAuthConsents(ctx context.Context, userID string) ([]jarvis.MCPConnectedApp, error)
	// DeleteOAuthConsent deletes the user's consent and revokes every
	// token the user's grants to its client hold, in one transaction, and
	// returns the consent as it was. ENOTFOUND when the user has no such
	// consent.
	DeleteOAuthConsent(ctx context.Context, userID, id string, now time.Time) (*jarvis.MCPConnectedApp, error)
}
