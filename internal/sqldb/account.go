package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// A user's Google accounts: one row of integrations_google each, unique on
// (issuer, google_sub), at most one of a user's rows primary. Every query
// names the owning user.

// accountWhere is the condition, after "user_id = $1", that picks the
// user's account named by account: its id, its email (anything with an @),
// or the primary when empty; and its argument, if any, as $2.
func accountWhere(account string) (string, []any) {
	switch {
	case account == "":
		return ` AND is_primary`, nil
	case strings.Contains(account, "@"):
		return ` AND email = $2`, []any{NormalizeEmail(account)}
	}
	return ` AND id = $2`, []any{account}
}

// lockUser serialises the changes to one user's accounts, so that exactly
// one of them is primary: PostgreSQL locks the user's row; SQLite's
// transactions (BEGIN IMMEDIATE) are serial already.
func (db *DB) lockUser(ctx context.Context, tx *sql.Tx, userID string) error {
	if db.dialect != Postgres {
		return nil
	}
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&id)
	return notFound(err, "User")
}

// ListGoogleAccounts returns the user's accounts, primary first, then in the
// order they were connected. No token is read.
func (s *Integrations) ListGoogleAccounts(ctx context.Context, userID string) ([]jarvis.GoogleAccount, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT id, email, name, picture_url, is_primary, status, scopes, created_at, last_used_at
		FROM integrations_google WHERE user_id = $1 ORDER BY is_primary DESC, created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list Google accounts: %w", err)
	}
	defer rows.Close()
	out := []jarvis.GoogleAccount{}
	for rows.Next() {
		var a jarvis.GoogleAccount
		var scopes string
		var last sql.NullTime
		if err := rows.Scan(&a.ID, &a.Email, &a.Name, &a.PictureURL, &a.Primary, &a.Status, &scopes, &a.ConnectedAt, &last); err != nil {
			return nil, err
		}
		a.Scopes, a.ConnectedAt, a.LastUsedAt = strings.Fields(scopes), a.ConnectedAt.UTC(), timePtr(last)
		out = append(out, a)
	}
	return out, rows.Err()
}

// FindGoogleIntegration returns the user's account named by account (id,
// email, or "" for the primary) with its tokens decrypted. ENOTFOUND if the
// user has no such account; EREAUTH naming the account if its tokens cannot
// be read.
func (s *Integrations) FindGoogleIntegration(ctx context.Context, userID, account string) (*jarvis.GoogleIntegration, error) {
	where, args := accountWhere(account)
	r, err := scanIntegration(s.db.db.QueryRowContext(ctx, `SELECT `+integrationColumns+` FROM integrations_google WHERE user_id = $1`+where,
		append([]any{userID}, args...)...))
	if err != nil {
		return nil, notFound(err, "Google account")
	}
	return s.open(r)
}

// GoogleStatus returns the status, email and scopes of the user's primary
// account without decrypting anything, or ENOTFOUND.
func (s *Integrations) GoogleStatus(ctx context.Context, userID string) (*jarvis.GoogleStatus, error) {
	var st jarvis.GoogleStatus
	var scopes string
	err := s.db.db.QueryRowContext(ctx, `SELECT status, email, scopes FROM integrations_google WHERE user_id = $1 AND is_primary`, userID).
		Scan(&st.Status, &st.Email, &scopes)
	if err != nil {
		return nil, notFound(err, "Google integration")
	}
	st.Scopes = strings.Fields(scopes)
	return &st, nil
}

// FindGoogleIntegrationByIdentity returns the account of the Google
// identity, whoever owns it, or ENOTFOUND. Its tokens are left out.
func (s *Integrations) FindGoogleIntegrationByIdentity(ctx context.Context, issuer, subject string) (*jarvis.GoogleIntegration, error) {
	r, err := scanIntegration(s.db.db.QueryRowContext(ctx, `SELECT `+integrationColumns+` FROM integrations_google WHERE issuer = $1 AND google_sub = $2`, issuer, subject))
	if err != nil {
		return nil, notFound(err, "Google account")
	}
	return &r.g, nil
}

// UpsertGoogleIntegration connects the Google identity (g.Issuer, g.Subject)
// to g.UserID, or updates the account if it already is theirs, and sets g.ID
// and g.Primary. A user's first account becomes their primary. An empty
// RefreshToken keeps the stored one (Google sends a refresh token only on
// first consent); an empty Name or PictureURL keeps the stored one.
// ECONFLICT if the identity belongs to another user.
func (s *Integrations) UpsertGoogleIntegration(ctx context.Context, g *jarvis.GoogleIntegration) error {
	now := s.db.now()
	return s.db.withTx(ctx, func(tx *sql.Tx) error {
		if err := s.db.lockUser(ctx, tx, g.UserID); err != nil {
			return err
		}
		var id, owner, refCT string
		adVersion, primary := adBound, false
		err := tx.QueryRowContext(ctx, `SELECT id, user_id, refresh_token_ciphertext, ad_version, is_primary FROM integrations_google
			WHERE issuer = $1 AND google_sub = $2`+s.db.forUpdate(), g.Issuer, g.Subject).Scan(&id, &owner, &refCT, &adVersion, &primary)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read integration: %w", err)
		}
		if exists && owner != g.UserID {
			return jarvis.Errorf(jarvis.ECONFLICT, "This Google account is connected to another Jarvis user.")
		}
		if !exists {
			id = newID()
			var others int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM integrations_google WHERE user_id = $1 AND is_primary`, g.UserID).Scan(&others); err != nil {
				return fmt.Errorf("read primary account: %w", err)
			}
			primary = others == 0
		}
		accessCT, err := s.seal(id, g.UserID, "access_token", g.AccessToken)
		if err != nil {
			return err
		}
		refresh := g.RefreshToken
		if refresh == "" && refCT != "" {
			// Keep the stored refresh token, sealed again under the primary
			// key; one that no configured key opens is dropped, not kept.
			refresh = s.openField(id, g.UserID, "refresh_token", refCT, adVersion)
		}
		if refCT, err = s.seal(id, g.UserID, "refresh_token", refresh); err != nil {
			return err
		}
		status := g.Status
		if status == "" {
			status = jarvis.GoogleActive
		}
		if exists {
			_, err = tx.ExecContext(ctx, `UPDATE integrations_google SET email = $2, scopes = $3,
				access_token_ciphertext = $4, refresh_token_ciphertext = $5, key_id = $6, token_type = $7, expiry = $8,
				status = $9, last_refreshed_at = $10, updated_at = $10, version = version + 1, ad_version = 2,
				name = CASE WHEN $11 = '' THEN name ELSE $11 END, picture_url = CASE WHEN $12 = '' THEN picture_url ELSE $12 END
				WHERE id = $1`,
				id, g.Email, strings.Join(g.Scopes, " "), accessCT, refCT, s.cipher.PrimaryKeyID(),
				tokenType(g.TokenType), s.db.nullTS(&g.Expiry), status, s.db.ts(now), g.Name, g.PictureURL)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO integrations_google (id, user_id, issuer, google_sub, email, name, picture_url, is_primary, scopes,
				access_token_ciphertext, refresh_token_ciphertext, key_id, token_type, expiry, status, last_refreshed_at, created_at, updated_at, ad_version)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $16, 2)`,
				id, g.UserID, g.Issuer, g.Subject, g.Email, g.Name, g.PictureURL, primary, strings.Join(g.Scopes, " "), accessCT, refCT,
				s.cipher.PrimaryKeyID(), tokenType(g.TokenType), s.db.nullTS(&g.Expiry), status, s.db.ts(now))
		}
		if isUniqueViolation(err) {
			return jarvis.Errorf(jarvis.ECONFLICT, "This Google account is connected to another Jarvis user.")
		} else if err != nil {
			return fmt.Errorf("save integration: %w", err)
		}
		g.ID, g.Primary = id, primary
		return nil
	})
}

func tokenType(t string) string {
	if t == "" {
		return "Bearer"
	}
	return t
}

// LeaseGoogleRefresh takes the account's refresh lease for ttl if no
// unexpired lease is held — one short UPDATE, no transaction left open — and
// returns the account as it stands after the attempt, with the lease's end
// (zero when another caller holds the lease). ENOTFOUND if the user has no
// such account; EREAUTH if its tokens cannot be read, in which case the
// lease is given back.
func (s *Integrations) LeaseGoogleRefresh(ctx context.Context, userID, accountID string, ttl time.Duration) (*jarvis.GoogleIntegration, time.Time, error) {
	now := s.db.now()
	until := now.Add(ttl)
	res, err := s.db.db.ExecContext(ctx, `UPDATE integrations_google SET refresh_lease_until = $3
		WHERE user_id = $1 AND id = $2 AND (refresh_lease_until IS NULL OR refresh_lease_until < $4)`, userID, accountID, s.db.ts(until), s.db.ts(now))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("take refresh lease: %w", Unavailable(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		until = time.Time{}
	}
	g, err := s.FindGoogleIntegration(ctx, userID, accountID)
	if err != nil {
		if !until.IsZero() {
			_ = s.ReleaseGoogleRefreshLease(context.WithoutCancel(ctx), userID, accountID, until)
		}
		return nil, time.Time{}, err
	}
	return g, until, nil
}

// SaveRefreshedGoogleIntegration writes g's tokens (both sealed under the
// primary key), token type, expiry, status and refresh time and ends the
// refresh lease, if the row's version is still g.Version; it reports
// whether it wrote, and on success g.Version is the new version.
func (s *Integrations) SaveRefreshedGoogleIntegration(ctx context.Context, g *jarvis.GoogleIntegration) (bool, error) {
	accessCT, err := s.seal(g.ID, g.UserID, "access_token", g.AccessToken)
	if err != nil {
		return false, err
	}
	refCT, err := s.seal(g.ID, g.UserID, "refresh_token", g.RefreshToken)
	if err != nil {
		return false, err
	}
	res, err := s.db.db.ExecContext(ctx, `UPDATE integrations_google SET access_token_ciphertext = $3, refresh_token_ciphertext = $4,
		key_id = $5, token_type = $6, expiry = $7, status = $8, last_refreshed_at = $9, updated_at = $10,
		version = version + 1, refresh_lease_until = NULL, ad_version = 2 WHERE id = $1 AND version = $2 AND user_id = $11`,
		g.ID, g.Version, accessCT, refCT, s.cipher.PrimaryKeyID(), tokenType(g.TokenType), s.db.nullTS(&g.Expiry),
		g.Status, s.db.nullTS(g.LastRefreshedAt), s.db.ts(s.db.now()), g.UserID)
	if err != nil {
		return false, fmt.Errorf("save refreshed integration: %w", Unavailable(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	g.Version++
	return true, nil
}

// ReleaseGoogleRefreshLease ends the account's refresh lease if it is still
// the one that ends at until.
func (s *Integrations) ReleaseGoogleRefreshLease(ctx context.Context, userID, accountID string, until time.Time) error {
	_, err := s.db.db.ExecContext(ctx, `UPDATE integrations_google SET refresh_lease_until = NULL WHERE user_id = $1 AND id = $2 AND refresh_lease_until = $3`,
		userID, accountID, s.db.ts(until))
	if err != nil {
		return fmt.Errorf("release refresh lease: %w", Unavailable(err))
	}
	return nil
}

// SetGoogleIntegrationStatus sets the status of the user's account.
// ENOTFOUND if there is no such account.
func (s *Integrations) SetGoogleIntegrationStatus(ctx context.Context, userID, accountID, status string) error {
	res, err := s.db.db.ExecContext(ctx, `UPDATE integrations_google SET status = $3, updated_at = $4, version = version + 1 WHERE user_id = $1 AND id = $2`,
		userID, accountID, status, s.db.ts(s.db.now()))
	if err != nil {
		return fmt.Errorf("set integration status: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return jarvis.Errorf(jarvis.ENOTFOUND, "Google account not found.")
	}
	return nil
}

// SetPrimaryGoogleAccount makes the account the user's primary, and the one
// that was, not. ENOTFOUND if the user has no such account.
func (s *Integrations) SetPrimaryGoogleAccount(ctx context.Context, userID, accountID string) error {
	return s.db.withTx(ctx, func(tx *sql.Tx) error {
		if err := s.db.lockUser(ctx, tx, userID); err != nil {
			return err
		}
		var id string
		if err := tx.QueryRowContext(ctx, `SELECT id FROM integrations_google WHERE user_id = $1 AND id = $2`, userID, accountID).Scan(&id); err != nil {
			return notFound(err, "Google account")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE integrations_google SET is_primary = FALSE WHERE user_id = $1 AND is_primary AND id <> $2`, userID, accountID); err != nil {
			return fmt.Errorf("unset primary account: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE integrations_google SET is_primary = TRUE WHERE user_id = $1 AND id = $2`, userID, accountID); err != nil {
			return fmt.Errorf("set primary account: %w", err)
		}
		return nil
	})
}

// TouchGoogleAccount records that Jarvis acted for the account at t.
func (s *Integrations) TouchGoogleAccount(ctx context.Context, userID, accountID string, t time.Time) error {
	if _, err := s.db.db.ExecContext(ctx, `UPDATE integrations_google SET last_used_at = $3 WHERE user_id = $1 AND id = $2`,
		userID, accountID, s.db.ts(t)); err != nil {
		return fmt.Errorf("touch Google account: %w", Unavailable(err))
	}
	return nil
}

// DeleteGoogleIntegration deletes the user's account with its ciphertexts
// and everything stored for it: the stored answers to drafts made in it
// and the actions asked for in it.
// When it was the primary, the earliest connected of the user's other
// accounts becomes the primary. ENOTFOUND if the user has no such account.
func (s *Integrations) DeleteGoogleIntegration(ctx context.Context, userID, accountID string) error {
	return s.db.withTx(ctx, func(tx *sql.Tx) error {
		if err := s.db.lockUser(ctx, tx, userID); err != nil {
			return err
		}
		var primary bool
		if err := tx.QueryRowContext(ctx, `SELECT is_primary FROM integrations_google WHERE user_id = $1 AND id = $2`, userID, accountID).Scan(&primary); err != nil {
			return notFound(err, "Google account")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM integrations_google WHERE user_id = $1 AND id = $2`, userID, accountID); err != nil {
			return fmt.Errorf("delete integration: %w", err)
		}
		// The answers to drafts and events made in the account, and the
		// actions asked for in it (their payloads may quote its mail), go
		// with it.
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND scope IN ($2, $3)`, userID,
			jarvis.DraftIdempotencyScope(accountID), jarvis.EventIdempotencyScope(accountID)); err != nil {
			return fmt.Errorf("delete the account's idempotent answers: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM actions WHERE user_id = $1 AND account_id = $2`, userID, accountID); err != nil {
			return fmt.Errorf("delete the account's actions: %w", err)
		}
		if !primary {
			return nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE integrations_google SET is_primary = TRUE WHERE id = (SELECT id FROM integrations_google
			WHERE user_id = $1 ORDER BY created_at, id LIMIT 1)`, userID)
		if err != nil {
			return fmt.Errorf("promote primary account: %w", err)
		}
		return nil
	})
}
