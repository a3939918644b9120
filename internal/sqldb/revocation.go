package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/jarvis-hq/jarvis"
)

var _ jarvis.TokenRevocations = (*DB)(nil)

// RevokeToken records that the token with the id may no longer be used.
// Revoking twice is harmless.
func (db *DB) RevokeToken(ctx context.Context, userID, jti string, expiresAt time.Time) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO revoked_tokens (jti, user_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING`,
		jti, userID, db.ts(expiresAt))
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// IsTokenRevoked reports whether the token id was revoked.
func (db *DB) IsTokenRevoked(ctx context.Context, jti string) (bool, error) {
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM revoked_tokens WHERE jti = $1`, jti).Scan(&n); err != nil {
		return false, fmt.Errorf("check revocation: %w", err)
	}
	return n > 0, nil
}
