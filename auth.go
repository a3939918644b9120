package jarvis

import (
	"context"
	"time"
)

// AccessToken is a Jarvis token and what it says.
type AccessToken struct {
	Token        string
	ID           string // jti
	UserID       string
	TokenVersion int
	IssuedAt     time.Time
	ExpiresAt    time.Time
}

// TokenAuthority mints and verifies Jarvis's own access tokens.
type TokenAuthority interface {
	// Mint returns a token for the user; ttl 0 means the default lifetime.
	Mint(userID string, tokenVersion int, ttl time.Duration) (*AccessToken, error)
	// Verify returns EUNAUTHORIZED for anything but a valid, current token.
	// It does not know about revocation: callers check that.
	Verify(token string) (*AccessToken, error)
}

// SignInState is a Google sign-in in flight: what its callback needs.
type SignInState struct {
	CodeVerifier string
	Nonce        string
	RedirectPath string
	// LinkUserID, for a flow that connects one more Google account to a
	// signed-in user, is that user: only they can finish it.
	LinkUserID string
	ExpiresAt  time.Time
}

// SignInStates keeps sign-ins in flight where every replica can finish them.
type SignInStates interface {
	SaveSignInState(ctx context.Context, state string, s SignInState) error
	// ConsumeSignInState returns and forgets the state: it can be used once.
	// EINVALID (field state) if it is unknown, used or expired.
	ConsumeSignInState(ctx context.Context, state string) (*SignInState, error)
}

// IdempotentResponse is the stored first answer to an idempotent request.
type IdempotentResponse struct {
	StatusCode int
	Body       []byte
}

// IdempotencyStore remembers answers to requests made with an Idempotency-Key.
type IdempotencyStore interface {
	// ClaimIdempotencyKey returns the stored answer if the same request
	// already completed, or nil if the caller now owns the key and must
	// Complete or Release it. EIDEMPOTENCY if the key came with another
	// request; ECONFLICT if the first request is still running.
	ClaimIdempotencyKey(ctx context.Context, userID, scope, key, requestHash string, ttl time.Duration) (*IdempotentResponse, error)
	CompleteIdempotencyKey(ctx context.Context, userID, scope, key string, resp IdempotentResponse) error
	ReleaseIdempotencyKey(ctx context.Context, userID, scope, key string) error
}

// RateLimiter counts events per bucket in fixed windows shared by all replicas.
type RateLimiter interface {
	// Allow counts one event and reports whether it is within limit, and if
	// not, how long until it would be.
	Allow(ctx context.Context, bucket string, limit int, window time.Duration) (bool, time.Duration, error)
}

// SignInResult is the outcome of a completed Google sign-in, or of a flow
// that connected one more Google account.
type SignInResult struct {
	User         *User
	RedirectPath string
	NewUser      bool
	// Connected, for a flow that connected one more account, is that
	// account; nil for a sign-in.
	Connected *GoogleAccount
}

// SignInService runs sign-in with Google.
type SignInService interface {
	// Start begins a sign-in and returns the URL to send the browser to and
	// the state that will come back with it.
	Start(ctx context.Context, redirectPath string) (authURL, state string, err error)
	// Connect begins a flow that connects one more Google account to the
	// user (or reconnects one of theirs): state, PKCE and nonce as Start,
	// and a consent screen that lets the person pick an account
	// (prompt=consent select_account, with loginHint when given).
	Connect(ctx context.Context, userID, loginHint, redirectPath string) (authURL, state string, err error)
	// Complete finishes a sign-in, or a Connect flow, with the code and
	// state Google sent back. EINVALID for a bad state or code,
	// ESIGNUPCLOSED for someone not allowed in, EUPSTREAM when Google cannot
	// be reached. A Connect flow is finished only by its user (the one in
	// ctx; EFORBIDDEN otherwise), and refuses a Google account another user
	// holds with EACCOUNTLINKED.
	Complete(ctx context.Context, code, state string) (*SignInResult, error)
	// Disconnect disconnects every Google account of the user.
	Disconnect(ctx context.Context, userID string) error
	// DisconnectAccount revokes one account's grant at Google and deletes
	// the account with everything Jarvis stored for it. ENOTFOUND if the
	// user has no such account.
	DisconnectAccount(ctx context.Context, userID, accountID string) error
}
