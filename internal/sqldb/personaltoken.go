package sqldb

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jarvis-hq/jarvis"
)

var _ jarvis.PersonalTokenStore = (*DB)(nil)

const personalTokenSelect = `SELECT id, user_id, name, hint, scopes, accounts, created_at, expires_at, last_used_at FROM personal_tokens`

func scanPersonalToken(row interface{ Scan(...any) error }) (*jarvis.PersonalToken, error) {
	var t jarvis.PersonalToken
	var scopes, accounts string
	var last sql.NullTime
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Hint, &scopes, &accounts, &t.CreatedAt, &t.ExpiresAt, &last); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(scopes), &t.Scopes); err != nil {
		return nil, fmt.Errorf("personal token scopes: %w", err)
	}
	if err := json.Unmarshal([]byte(accounts), &t.Accounts); err != nil {
		return nil, fmt.Errorf("personal token accounts: %w", err)
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC(), timePtr(last)
	return &t, nil
}

// InsertPersonalToken stores a personal token by its hash, filling its id
// and creation time.
func (db *DB) InsertPersonalToken(ctx context.Context, t *jarvis.PersonalToken, hash []byte) error {
	scopes, err := json.Marshal(t.Scopes)
	if err != nil {
		return err
	}
	accounts, err := json.Marshal(t.Accounts)
	if err != nil {
		return err
	}
	t.ID, t.CreatedAt = newID(), db.now()
	t.ExpiresAt = t.ExpiresAt.UTC().Truncate(time.Microsecond)
	_, err = db.db.ExecContext(ctx, `INSERT INTO personal_tokens (id, user_id, name, hint, token_hash, scopes, accounts, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		t.ID, t.UserID, t.Name, t.Hint, hex.EncodeToString(hash), string(scopes), string(accounts), db.ts(t.CreatedAt), db.ts(t.ExpiresAt))
	if err != nil {
		return fmt.Errorf("insert personal token: %w", Unavailable(err))
	}
	return nil
}

// ListPersonalTokens lists the user's tokens that have not expired, newest
// first.
func (db *DB) ListPersonalTokens(ctx context.Context, userID string) ([]jarvis.PersonalToken, error) {
	rows, err := db.db.QueryContext(ctx, personalTokenSelect+` WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id DESC`,
		userID, db.ts(db.now()))
	if err != nil {
		return nil, fmt.Errorf("list personal tokens: %w", Unavailable(err))
	}
	defer rows.Close()
	out := []jarvis.PersonalToken{}
	for rows.Next() {
		t, err := scanPersonalToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, Unavailable(rows.Err())
}

// DeletePersonalToken removes the user's token. ENOTFOUND when the user
// has no token of that id.
func (db *DB) DeletePersonalToken(ctx context.Context, userID, id string) error {
	res, err := db.db.ExecContext(ctx, `DELETE FROM personal_tokens WHERE user_id = $1 AND id = $2`, userID, id)
	if err != nil {
		return fmt.Errorf("delete personal token: %w", Unavailable(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return jarvis.Errorf(jarvis.ENOTFOUND, "Personal token not found.")
	}
	return nil
}

// FindPersonalTokenByHash returns the token with the hash, expired or not.
// ENOTFOUND when there is none (never made, or revoked).
func (db *DB) FindPersonalTokenByHash(ctx context.Context, hash []byte) (*jarvis.PersonalToken, error) {
	t, err := scanPersonalToken(db.db.QueryRowContext(ctx, personalTokenSelect+` WHERE token_hash = $1`, hex.EncodeToString(hash)))
	if err != nil {
		return nil, notFound(Unavailable(err), "Personal token")
	}
	return t, nil
}

// TouchPersonalToken records that the user's token was used at t.
func (db *DB) TouchPersonalToken(ctx context.Context, userID, id string, t time.Time) error {
	_, err := db.db.ExecContext(ctx, `UPDATE personal_tokens SET last_used_at = $1 WHERE user_id = $2 AND id = $3`, db.ts(t), userID, id)
	if err != nil {
		return fmt.Errorf("touch personal token: %w", Unavailable(err))
	}
	return nil
}
