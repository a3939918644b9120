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
	// UpdateGoogleIntegrationLocked runs fn with the user's integration read
	// under a row lock that is held until fn returns, so that one process in
	// any number refreshes a token at a time. If fn returns a non-nil
	// integration, it is saved before the lock is released.
	UpdateGoogleIntegrationLocked(ctx context.Context, userID string, fn func(g *GoogleIntegration) (*GoogleIntegration, error)) error
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
