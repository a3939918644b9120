package jarvis

import (
	"context"
	"time"
)

// Integration statuses.
const (
	GoogleActive         = "active"
	GoogleReauthRequired = "reauth_required"
	GoogleRevoked        = "revoked"
)

// AllAccounts, as the account of a calendar read, merges every Google
// account of the user.
const AllAccounts = "all"

// GoogleIntegration is one of a user's connected Google accounts: a user has
// any number, one of them primary, and a Google account belongs to at most
// one user. The tokens are plaintext in memory only: the store encrypts them
// on the way in and decrypts them on the way out, bound to the row, field
// and user.
type GoogleIntegration struct {
	ID              string // the account's id in Jarvis
	UserID          string
	Issuer          string
	Subject         string // Google's stable account id ("sub")
	Email           string
	Name            string
	PictureURL      string
	Primary         bool
	Scopes          []string
	AccessToken     string
	RefreshToken    string
	TokenType       string
	Expiry          time.Time
	Status          string
	LastRefreshedAt *time.Time
	LastUsedAt      *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
	// Version counts the writes of the row's grant; a refreshed token is
	// saved only if it has not changed since the refresh began.
	Version int64
}

// HasScope reports whether the grant includes scope.
func (g *GoogleIntegration) HasScope(scope string) bool {
	for _, s := range g.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// Ref names the account, as answers that came from it do.
func (g *GoogleIntegration) Ref() *AccountRef { return &AccountRef{ID: g.ID, Email: g.Email} }

// Account is what the API shows of the account: no token.
func (g *GoogleIntegration) Account() GoogleAccount {
	scopes := g.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return GoogleAccount{ID: g.ID, Email: g.Email, Name: g.Name, PictureURL: g.PictureURL, Primary: g.Primary, Status: g.Status,
		Scopes: scopes, ConnectedAt: g.CreatedAt, LastUsedAt: g.LastUsedAt}
}

// AccountRef names the Google account an answer came from, or an error is
// about.
type AccountRef struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// GoogleAccount is what the API shows of a connected Google account.
type GoogleAccount struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	PictureURL  string     `json:"picture"`
	Primary     bool       `json:"primary" doc:"The account Gmail and Calendar use when a request names none."`
	Status      string     `json:"status" doc:"active, reauth_required (reconnect it) or revoked."`
	Scopes      []string   `json:"scopes" doc:"The scopes Google granted for this account."`
	ConnectedAt time.Time  `json:"connected_at"`
	LastUsedAt  *time.Time `json:"last_used_at" doc:"When Jarvis last acted for this account (to the minute); null if never."`
}

// GoogleStatus is what the API shows of an integration.
type GoogleStatus struct {
	Status string   `json:"status"`
	Email  string   `json:"email"`
	Scopes []string `json:"scopes"`
}

// IntegrationStore persists Google integrations: each user's connected
// Google accounts. Every method is addressed by the owning user; an account
// of another user is ENOTFOUND, as if it did not exist.
type IntegrationStore interface {
	// ListGoogleAccounts returns the user's accounts, the primary first,
	// then in the order they were connected, without their tokens.
	ListGoogleAccounts(ctx context.Context, userID string) ([]GoogleAccount, error)
	// FindGoogleIntegration returns the user's account named by account —
	// its id, its email, or "" for the primary — with its tokens, or
	// ENOTFOUND.
	FindGoogleIntegration(ctx context.Context, userID, account string) (*GoogleIntegration, error)
	// GoogleStatus returns what the API shows of the user's primary account,
	// without touching its tokens, or ENOTFOUND.
	GoogleStatus(ctx context.Context, userID string) (*GoogleStatus, error)
	// FindGoogleIntegrationByIdentity returns the account of a Google
	// identity (issuer, sub) whoever owns it, without its tokens, or ENOTFOUND.
	FindGoogleIntegrationByIdentity(ctx context.Context, issuer, subject string) (*GoogleIntegration, error)
	// UpsertGoogleIntegration connects the Google identity (g.Issuer,
	// g.Subject) to g.UserID, or updates it if it already is, and sets g.ID
	// and g.Primary. A user's first account becomes their primary. An empty
	// RefreshToken keeps the stored one. ECONFLICT if the identity belongs
	// to another user.
	UpsertGoogleIntegration(ctx context.Context, g *GoogleIntegration) error
	// LeaseGoogleRefresh takes the refresh lease of the user's account for
	// ttl, unless another caller holds an unexpired one, and returns the
	// account as it stands after the attempt with the lease's end (zero when
	// the lease was not taken). The lease is one short write: no lock
	// outlives the call. ENOTFOUND if there is no such account; EREAUTH if
	// its tokens cannot be read (the lease is given back).
	LeaseGoogleRefresh(ctx context.Context, userID, accountID string, ttl time.Duration) (*GoogleIntegration, time.Time, error)
	// SaveRefreshedGoogleIntegration writes g's tokens, expiry, status and
	// refresh time, and ends the lease, if the row's version is still
	// g.Version (compare-and-swap); it reports whether it wrote. g.Version
	// is then the new version.
	SaveRefreshedGoogleIntegration(ctx context.Context, g *GoogleIntegration) (bool, error)
	// ReleaseGoogleRefreshLease ends the account's lease that ends at until,
	// if it is still that one, changing nothing else.
	ReleaseGoogleRefreshLease(ctx context.Context, userID, accountID string, until time.Time) error
	// SetGoogleIntegrationStatus sets the status of the user's account.
	// ENOTFOUND if there is no such account.
	SetGoogleIntegrationStatus(ctx context.Context, userID, accountID, status string) error
	// SetPrimaryGoogleAccount makes the account the user's primary (and the
	// one that was, not). ENOTFOUND if there is no such account.
	SetPrimaryGoogleAccount(ctx context.Context, userID, accountID string) error
	// TouchGoogleAccount records that Jarvis acted for the account at t.
	TouchGoogleAccount(ctx context.Context, userID, accountID string, t time.Time) error
	// DeleteGoogleIntegration deletes the user's account with its tokens
	// and everything else stored for it; when it was the primary, the earliest connected of the others becomes
	// the primary. ENOTFOUND if there is no such account.
	DeleteGoogleIntegration(ctx context.Context, userID, accountID string) error
}

// CipherBinding names where a ciphertext lives. It is the associated data of
// the encryption, so a ciphertext copied to another row or field fails to
// decrypt.
type CipherBinding struct {
	Table string
	RowID string
	Field string
	// UserID, when set, binds the ciphertext to the user owning the row
	// too. Ciphertexts sealed before it existed have none.
	UserID string
}

// TokenCipher encrypts tokens at rest with keys that carry ids and rotate.
type TokenCipher interface {
	// Encrypt seals plaintext under the primary key, bound to b.
	Encrypt(plaintext []byte, b CipherBinding) (string, error)
	// Decrypt opens a ciphertext bound to b. It fails, never falling back to
	// plaintext, if the ciphertext was altered, moved or its key is unknown.
	Decrypt(ciphertext string, b CipherBinding) ([]byte, error)
	// KeyID returns the id of the key a ciphertext was sealed with.
	KeyID(ciphertext string) (string, error)
	// PrimaryKeyID is the id of the key new ciphertexts are sealed with.
	PrimaryKeyID() string
}
