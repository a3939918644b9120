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
