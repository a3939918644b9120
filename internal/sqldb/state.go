package sqldb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jarvis-hq/jarvis"
)

var _ jarvis.SignInStates = (*DB)(nil)

func hashState(state string) string {
	sum := sha256.Sum256([]byte(state))
	return hex.EncodeToString(sum[:])
}

// SaveSignInState stores a sign-in's state (by its hash only), verifier,
// nonce and, for a flow connecting another account, its user.
func (db *DB) SaveSignInState(ctx context.Context, state string, s jarvis.SignInState) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO oauth_states (state_hash, code_verifier, nonce, redirect_path, link_user_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		hashState(state), s.CodeVerifier, s.Nonce, s.RedirectPath, s.LinkUserID, db.ts(db.now()), db.ts(s.ExpiresAt))
	if err != nil {
		return fmt.Errorf("save oauth state: %w", err)
	}
	return nil
}

// ConsumeSignInState deletes and returns the sign-in state, so that it can be
// used once. EINVALID (field state) if it is unknown, used or expired.
func (db *DB) ConsumeSignInState(ctx context.Context, state string) (*jarvis.SignInState, error) {
	var s jarvis.SignInState
	err := db.db.QueryRowContext(ctx, `DELETE FROM oauth_states WHERE state_hash = $1 RETURNING code_verifier, nonce, redirect_path, link_user_id, expires_at`,
		hashState(state)).Scan(&s.CodeVerifier, &s.Nonce, &s.RedirectPath, &s.LinkUserID, &s.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jarvis.Invalid("state", "The sign-in state is unknown or was already used. Start the sign-in again.")
	} else if err != nil {
		return nil, fmt.Errorf("consume oauth state: %w", err)
	}
	if !db.now().Before(s.ExpiresAt) {
		return nil, jarvis.Invalid("state", "The sign-in took too long. Start it again.")
	}
	s.ExpiresAt = s.ExpiresAt.UTC()
	return &s, nil
}

// DeleteExpired removes server-side state that has expired: sign-in states,
// idempotency keys, token revocations past their token's expiry, and old
// rate-limit windows, and the authorization server's requests, codes and
// tokens past their expiry. It returns how many rows it removed.
func (db *DB) DeleteExpired(ctx context.Context) (int64, error) {
	now := db.now()
	var total int64
	for _, q := range []struct {
		sql string
		arg any
	}{
		{`DELETE FROM oauth_states WHERE expires_at < $1`, db.ts(now)},
		{`DELETE FROM idempotency_keys WHERE expires_at < $1`, db.ts(now)},
		{`DELETE FROM revoked_tokens WHERE expires_at < $1`, db.ts(now)},
		{`DELETE FROM rate_limits WHERE window_start < $1`, now.Add(-time.Hour).Unix()},
		{`DELETE FROM oauth_requests WHERE expires_at < $1`, ms(now)},
		{`DELETE FROM oauth_codes WHERE expires_at < $1`, ms(now)},
		{`DELETE FROM oauth_tokens WHERE expires_at < $1`, ms(now)},
	} {
		res, err := db.db.ExecContext(ctx, q.sql, q.arg)
		if err != nil {
			return total, fmt.Errorf("delete expired: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}
