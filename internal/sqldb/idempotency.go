package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jarvis-hq/jarvis"
)

var _ jarvis.IdempotencyStore = (*DB)(nil)

// idempotencyStale is how long an unfinished claim blocks a retry: after it,
// the claim is taken to belong to a process that died, and is taken over.
const idempotencyStale = 2 * time.Minute

// ClaimIdempotencyKey claims (user, scope, key) for a request whose body
// hashes to requestHash. It returns the stored response if the same request
// already completed; nil and no error if the caller now owns the key and must
// run the request, then call CompleteIdempotencyKey or ReleaseIdempotencyKey.
// EIDEMPOTENCY if the key was used with another body; ECONFLICT if the first
// request with the key is still running.
func (db *DB) ClaimIdempotencyKey(ctx context.Context, userID, scope, key, requestHash string, ttl time.Duration) (*jarvis.IdempotentResponse, error) {
	now := db.now()
	var resp *jarvis.IdempotentResponse
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		var hash, body string
		var status int
		var created time.Time
		err := tx.QueryRowContext(ctx, `SELECT request_hash, status_code, response_body, created_at FROM idempotency_keys WHERE user_id = $1 AND scope = $2 AND key = $3`+db.forUpdate(),
			userID, scope, key).Scan(&hash, &status, &body, &created)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys (user_id, scope, key, request_hash, status_code, response_body, created_at, expires_at) VALUES ($1, $2, $3, $4, 0, '', $5, $6)`,
				userID, scope, key, requestHash, db.ts(now), db.ts(now.Add(ttl)))
			if isUniqueViolation(err) {
				return jarvis.Errorf(jarvis.ECONFLICT, "A request with this Idempotency-Key is in progress.")
			}
			return err
		case err != nil:
			return fmt.Errorf("read idempotency key: %w", err)
		case hash != requestHash:
			return jarvis.Errorf(jarvis.EIDEMPOTENCY, "This Idempotency-Key was used with a different request.")
		case status != 0:
			resp = &jarvis.IdempotentResponse{StatusCode: status, Body: []byte(body)}
			return nil
		case now.Sub(created) < idempotencyStale:
			return jarvis.Errorf(jarvis.ECONFLICT, "A request with this Idempotency-Key is in progress.")
		default:
			_, err = tx.ExecContext(ctx, `UPDATE idempotency_keys SET created_at = $4 WHERE user_id = $1 AND scope = $2 AND key = $3`, userID, scope, key, db.ts(now))
			return err
		}
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// CompleteIdempotencyKey stores the answer to a claimed request.
func (db *DB) CompleteIdempotencyKey(ctx context.Context, userID, scope, key string, resp jarvis.IdempotentResponse) error {
	_, err := db.db.ExecContext(ctx, `UPDATE idempotency_keys SET status_code = $4, response_body = $5 WHERE user_id = $1 AND scope = $2 AND key = $3`,
		userID, scope, key, resp.StatusCode, string(resp.Body))
	if err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	return nil
}

// ReleaseIdempotencyKey gives up a claim whose request failed, so that a
// retry with the same key runs again.
func (db *DB) ReleaseIdempotencyKey(ctx context.Context, userID, scope, key string) error {
	_, err := db.db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND scope = $2 AND key = $3 AND status_code = 0`, userID, scope, key)
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}
