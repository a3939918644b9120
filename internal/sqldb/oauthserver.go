package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/oauthserver"
)

// OAuthServer stores the state of Jarvis's OAuth authorization server:
// registered clients, requests waiting for consent, consents, codes and
// tokens (the tables oauth_*; secrets by their SHA-256 only).
type OAuthServer struct{ db *DB }

// NewOAuthServer returns the authorization server's store.
func NewOAuthServer(db *DB) *OAuthServer { return &OAuthServer{db: db} }

var _ oauthserver.Store = (*OAuthServer)(nil)

func jsonList(v []string) string {
	if v == nil {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func parseList(s string) []string {
	var v []string
	_ = json.Unmarshal([]byte(s), &v)
	if v == nil {
		v = []string{}
	}
	return v
}

// CreateOAuthClient stores a dynamically registered client.
func (o *OAuthServer) CreateOAuthClient(ctx context.Context, c *oauthserver.Client) error {
	_, err := o.db.db.ExecContext(ctx, `INSERT INTO oauth_clients (id, client_name, client_uri, redirect_uris, created_at) VALUES ($1, $2, $3, $4, $5)`,
		c.ID, c.Name, c.URI, jsonList(c.RedirectURIs), ms(c.CreatedAt))
	if err != nil {
		return fmt.Errorf("create oauth client: %w", Unavailable(err))
	}
	return nil
}

// OAuthClient returns a registered client, or ENOTFOUND.
func (o *OAuthServer) OAuthClient(ctx context.Context, id string) (*oauthserver.Client, error) {
	var c oauthserver.Client
	var uris string
	var created int64
	err := o.db.db.QueryRowContext(ctx, `SELECT id, client_name, client_uri, redirect_uris, created_at FROM oauth_clients WHERE id = $1`, id).
		Scan(&c.ID, &c.Name, &c.URI, &uris, &created)
	if err != nil {
		return nil, notFound(Unavailable(err), "Client")
	}
	c.RedirectURIs, c.CreatedAt = parseList(uris), fromMS(created)
	return &c, nil
}

// SaveOAuthRequest stores an authorization request by the hash of its id.
func (o *OAuthServer) SaveOAuthRequest(ctx context.Context, idHash string, r *oauthserver.Request) error {
	_, err := o.db.db.ExecContext(ctx, `INSERT INTO oauth_requests (id_hash, client_id, client_name, client_uri, client_type, redirect_uri, scopes,
		state, code_challenge, resource, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		idHash, r.ClientID, r.ClientName, r.ClientURI, r.ClientType, r.RedirectURI, jsonList(r.Scopes), r.State, r.CodeChallenge, r.Resource,
		ms(r.CreatedAt), ms(r.ExpiresAt))
	if err != nil {
		return fmt.Errorf("save oauth request: %w", Unavailable(err))
	}
	return nil
}

const requestColumns = `client_id, client_name, client_uri, client_type, redirect_uri, scopes, state, code_challenge, resource, created_at, expires_at`

func scanRequest(sc interface{ Scan(...any) error }) (*oauthserver.Request, error) {
	var r oauthserver.Request
	var scopes string
	var created, expires int64
	if err := sc.Scan(&r.ClientID, &r.ClientName, &r.ClientURI, &r.ClientType, &r.RedirectURI, &scopes, &r.State, &r.CodeChallenge, &r.Resource,
		&created, &expires); err != nil {
		return nil, err
	}
	r.Scopes, r.CreatedAt, r.ExpiresAt = parseList(scopes), fromMS(created), fromMS(expires)
	return &r, nil
}

// OAuthRequest returns an unexpired request, or ENOTFOUND.
func (o *OAuthServer) OAuthRequest(ctx context.Context, idHash string, now time.Time) (*oauthserver.Request, error) {
	r, err := scanRequest(o.db.db.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM oauth_requests WHERE id_hash = $1 AND expires_at > $2`,
		idHash, ms(now)))
	if err != nil {
		return nil, notFound(Unavailable(err), "Authorization request")
	}
	return r, nil
}

// TakeOAuthRequest deletes the request and returns it; ENOTFOUND when it
// is unknown, decided or expired.
func (o *OAuthServer) TakeOAuthRequest(ctx context.Context, idHash string, now time.Time) (*oauthserver.Request, error) {
	r, err := scanRequest(o.db.db.QueryRowContext(ctx, `DELETE FROM oauth_requests WHERE id_hash = $1 RETURNING `+requestColumns, idHash))
	if err != nil {
		return nil, notFound(Unavailable(err), "Authorization request")
	}
	if !now.Before(r.ExpiresAt) {
		return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Authorization request not found.")
	}
	return r, nil
}

// GrantOAuthConsent records the user's consent to the client and stores
// the code issued with it, in one transaction, and returns the consent id.
func (o *OAuthServer) GrantOAuthConsent(ctx context.Context, c *oauthserver.Code) (string, error) {
	var id string
	err := o.db.withTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO oauth_consents (id, user_id, client_id, client_name, scopes, accounts, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
			ON CONFLICT (user_id, client_id) DO UPDATE SET client_name = excluded.client_name, scopes = excluded.scopes,
				accounts = excluded.accounts, updated_at = excluded.updated_at
			RETURNING id`,
			newID(), c.UserID, c.ClientID, c.ClientName, jsonList(c.Scopes), jsonList(c.Accounts), ms(c.CreatedAt)).Scan(&id)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO oauth_codes (code_hash, id, user_id, client_id, client_name, redirect_uri, scopes, accounts,
			code_challenge, resource, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			c.Hash, c.ID, c.UserID, c.ClientID, c.ClientName, c.RedirectURI, jsonList(c.Scopes), jsonList(c.Accounts), c.CodeChallenge, c.Resource,
			ms(c.CreatedAt), ms(c.ExpiresAt))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("grant oauth consent: %w", err)
	}
	return id, nil
}

// RedeemOAuthCode returns the code, marked used if check accepts it; a
// code used before comes back with replayed true.
func (o *OAuthServer) RedeemOAuthCode(ctx context.Context, hash string, now time.Time, check func(*oauthserver.Code) error) (*oauthserver.Code, bool, error) {
	var c oauthserver.Code
	var scopes, accounts string
	var created, expires, used int64
	err := o.db.db.QueryRowContext(ctx, `SELECT id, user_id, client_id, client_name, redirect_uri, scopes, accounts, code_challenge, resource,
		created_at, expires_at, used_at FROM oauth_codes WHERE code_hash = $1`, hash).
		Scan(&c.ID, &c.UserID, &c.ClientID, &c.ClientName, &c.RedirectURI, &scopes, &accounts, &c.CodeChallenge, &c.Resource, &created, &expires, &used)
	if err != nil {
		return nil, false, notFound(Unavailable(err), "Code")
	}
	c.Hash, c.Scopes, c.Accounts, c.CreatedAt, c.ExpiresAt = hash, parseList(scopes), parseList(accounts), fromMS(created), fromMS(expires)
	if used != 0 {
		return &c, true, nil
	}
	if err := check(&c); err != nil {
		return &c, false, err
	}
	res, err := o.db.db.ExecContext(ctx, `UPDATE oauth_codes SET used_at = $2 WHERE code_hash = $1 AND used_at = 0`, hash, ms(now))
	if err != nil {
		return nil, false, fmt.Errorf("redeem code: %w", Unavailable(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &c, true, nil // another redemption won the race
	}
	return &c, false, nil
}

func insertToken(ctx context.Context, ex interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, t *oauthserver.Token) error {
	_, err := ex.ExecContext(ctx, `INSERT INTO oauth_tokens (id, token_hash, kind, family_id, user_id, client_id, client_name, scopes, accounts,
		resource, created_at, expires_at, grant_created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		t.ID, t.Hash, t.Kind, t.FamilyID, t.UserID, t.ClientID, t.ClientName, jsonList(t.Scopes), jsonList(t.Accounts), t.Resource,
		ms(t.CreatedAt), ms(t.ExpiresAt), ms(t.GrantCreatedAt))
	return err
}

// InsertOAuthTokens stores new tokens.
func (o *OAuthServer) InsertOAuthTokens(ctx context.Context, ts ...*oauthserver.Token) error {
	err := o.db.withTx(ctx, func(tx *sql.Tx) error {
		for _, t := range ts {
			if err := insertToken(ctx, tx, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("insert oauth tokens: %w", err)
	}
	return nil
}

// OAuthToken returns a token by its hash, live or not, or ENOTFOUND.
func (o *OAuthServer) OAuthToken(ctx context.Context, hash string) (*oauthserver.Token, error) {
	var t oauthserver.Token
	var scopes, accounts string
	var created, expires, used, revoked, grantCreated int64
	err := o.db.db.QueryRowContext(ctx, `SELECT id, kind, family_id, user_id, client_id, client_name, scopes, accounts, resource,
		created_at, expires_at, used_at, revoked_at, grant_created_at FROM oauth_tokens WHERE token_hash = $1`, hash).
		Scan(&t.ID, &t.Kind, &t.FamilyID, &t.UserID, &t.ClientID, &t.ClientName, &scopes, &accounts, &t.Resource, &created, &expires, &used, &revoked,
			&grantCreated)
	if err != nil {
		return nil, notFound(Unavailable(err), "Token")
	}
	t.Hash, t.Scopes, t.Accounts = hash, parseList(scopes), parseList(accounts)
	t.CreatedAt, t.ExpiresAt, t.UsedAt, t.RevokedAt = fromMS(created), fromMS(expires), fromMS(used), fromMS(revoked)
	t.GrantCreatedAt = fromMS(grantCreated)
	return &t, nil
}

// RotateOAuthRefresh marks the live, unused refresh token used and stores
// next, in one transaction; false when it was used or revoked meanwhile.
func (o *OAuthServer) RotateOAuthRefresh(ctx context.Context, hash string, now time.Time, next ...*oauthserver.Token) (bool, error) {
	rotated := false
	err := o.db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE oauth_tokens SET used_at = $2 WHERE token_hash = $1 AND kind = 'refresh' AND used_at = 0 AND revoked_at = 0`,
			hash, ms(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		for _, t := range next {
			if err := insertToken(ctx, tx, t); err != nil {
				return err
			}
		}
		rotated = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("rotate refresh token: %w", err)
	}
	return rotated, nil
}

// RevokeOAuthFamily revokes every live token of the grant.
func (o *OAuthServer) RevokeOAuthFamily(ctx context.Context, userID, familyID string, now time.Time) (int64, error) {
	res, err := o.db.db.ExecContext(ctx, `UPDATE oauth_tokens SET revoked_at = $3 WHERE user_id = $1 AND family_id = $2 AND revoked_at = 0`,
		userID, familyID, ms(now))
	if err != nil {
		return 0, fmt.Errorf("revoke token family: %w", Unavailable(err))
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// RevokeOAuthToken revokes one token.
func (o *OAuthServer) RevokeOAuthToken(ctx context.Context, userID, id string, now time.Time) error {
	_, err := o.db.db.ExecContext(ctx, `UPDATE oauth_tokens SET revoked_at = $3 WHERE user_id = $1 AND id = $2 AND revoked_at = 0`, userID, id, ms(now))
	if err != nil {
		return fmt.Errorf("revoke token: %w", Unavailable(err))
	}
	return nil
}

// TouchOAuthConsent records that the client used its grant at now, at most
// once a minute.
func (o *OAuthServer) TouchOAuthConsent(ctx context.Context, userID, clientID string, now time.Time) error {
	_, err := o.db.db.ExecContext(ctx, `UPDATE oauth_consents SET last_used_at = $3 WHERE user_id = $1 AND client_id = $2 AND last_used_at < $4`,
		userID, clientID, ms(now), ms(now.Add(-time.Minute)))
	if err != nil {
		return fmt.Errorf("touch consent: %w", Unavailable(err))
	}
	return nil
}

const consentColumns = `id, client_id, client_name, scopes, accounts, created_at, updated_at, last_used_at`

func scanConsent(sc interface{ Scan(...any) error }) (*jarvis.MCPConnectedApp, error) {
	var a jarvis.MCPConnectedApp
	var scopes, accounts string
	var created, updated, used int64
	if err := sc.Scan(&a.ID, &a.ClientID, &a.ClientName, &scopes, &accounts, &created, &updated, &used); err != nil {
		return nil, err
	}
	a.Scopes, a.Accounts, a.CreatedAt, a.UpdatedAt = parseList(scopes), parseList(accounts), fromMS(created), fromMS(updated)
	if used != 0 {
		t := fromMS(used)
		a.LastUsedAt = &t
	}
	return &a, nil
}

// OAuthConsents lists the user's connected apps, the latest first.
func (o *OAuthServer) OAuthConsents(ctx context.Context, userID string) ([]jarvis.MCPConnectedApp, error) {
	rows, err := o.db.db.QueryContext(ctx, `SELECT `+consentColumns+` FROM oauth_consents WHERE user_id = $1 ORDER BY updated_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("list consents: %w", Unavailable(err))
	}
	defer rows.Close()
	out := []jarvis.MCPConnectedApp{}
	for rows.Next() {
		a, err := scanConsent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, Unavailable(rows.Err())
}

// DeleteOAuthConsent deletes the user's consent and revokes every token of
// the user's grants to its client, in one transaction.
func (o *OAuthServer) DeleteOAuthConsent(ctx context.Context, userID, id string, now time.Time) (*jarvis.MCPConnectedApp, error) {
	var app *jarvis.MCPConnectedApp
	err := o.db.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		app, err = scanConsent(tx.QueryRowContext(ctx, `DELETE FROM oauth_consents WHERE user_id = $1 AND id = $2 RETURNING `+consentColumns, userID, id))
		if err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `UPDATE oauth_tokens SET revoked_at = $3 WHERE user_id = $1 AND client_id = $2 AND revoked_at = 0`,
			userID, app.ClientID, ms(now)); err != nil {
			return err
		}
		// A code issued but not yet exchanged dies too.
		_, err = tx.ExecContext(ctx, `UPDATE oauth_codes SET used_at = $3 WHERE user_id = $1 AND client_id = $2 AND used_at = 0`,
			userID, app.ClientID, ms(now))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Connected app not found.")
	} else if err != nil {
		return nil, fmt.Errorf("delete consent: %w", err)
	}
	return app, nil
}
