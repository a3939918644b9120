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

// GoogleIntegration is a user's connection to their Google account. The
// tokens are plaintext in memory only: the store encrypts them on the way in
// and decrypts them on the way out, bound to the row and field.
type GoogleIntegration struct {
	ID              string
	UserID          string
	Issuer          string
	Subject         string // Google's stable account id ("sub")
	Email           string
	Scopes          []string
	AccessToken     string
	RefreshToken    string
	TokenType       string
	Expiry          time.Time
	Status          string
	LastRefreshedAt *time.Time
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

// GoogleStatus is what the API shows of an integration.
type GoogleStatus struct {
	Status string   `json:"status"`
	Email  string   `json:"email"`
	Scopes []string `json:"scopes"`
}

// IntegrationStore persists Google integrations, one per user.
type IntegrationStore interface {
	// FindGoogleIntegration returns the user's integration, or ENOTFOUND.
	FindGoogleIntegration(ctx context.Context, userID string) (*GoogleIntegration, error)
	// GoogleStatus returns what the API shows of the user's integration,
	// without touching its tokens, or ENOTFOUND.
	GoogleStatus(ctx context.Context, userID string) (*GoogleStatus, error)
	// FindGoogleIntegrationByIdentity returns the integration of a Google
	// identity (issuer, sub) whoever owns it, or ENOTFOUND.
	FindGoogleIntegrationByIdentity(ctx context.Context, issuer, subject string) (*GoogleIntegration, error)
	// UpsertGoogleIntegration creates or replaces the user's integration. An
	// empty RefreshToken keeps the stored one. ECONFLICT if the identity
	// belongs to another user.
	UpsertGoogleIntegration(ctx context.Context, g *GoogleIntegration) error
	// LeaseGoogleRefresh takes the user's refresh lease for ttl, unless
	// another caller holds an unexpired one, and returns the integration as
	// it stands after the attempt with the lease's end (zero when the lease
	// was not taken). The lease is one short write: no lock outlives the
	// call. ENOTFOUND if the user has no integration; EREAUTH if its tokens
	// cannot be read (the lease is given back).
	LeaseGoogleRefresh(ctx context.Context, userID string, ttl time.Duration) (*GoogleIntegration, time.Time, error)
	// SaveRefreshedGoogleIntegration writes g's tokens, expiry, status and
	// refresh time, and ends the lease, if the row's version is still
	// g.Version (compare-and-swap); it reports whether it wrote. g.Version
	// is then the new version.
	SaveRefreshedGoogleIntegration(ctx context.Context, g *GoogleIntegration) (bool, error)
	// ReleaseGoogleRefreshLease ends the lease that ends at until, if it is
	// still that one, changing nothing else.
	ReleaseGoogleRefreshLease(ctx context.Context, userID string, until time.Time) error
	// SetGoogleIntegrationStatus sets the status of the user's integration.
	SetGoogleIntegrationStatus(ctx context.Context, userID, status string) error
	// DeleteGoogleIntegration deletes the user's integration and its tokens.
	DeleteGoogleIntegration(ctx context.Context, userID string) error
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
