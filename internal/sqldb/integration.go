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

var _ jarvis.IntegrationStore = (*Integrations)(nil)

// Integrations stores Google integrations, encrypting their tokens with the
// cipher on the way in and decrypting them on the way out: no plaintext
// token is ever written.
type Integrations struct {
	db     *DB
	cipher jarvis.TokenCipher
}

// NewIntegrations returns the integration store of db, sealing tokens with c.
func NewIntegrations(db *DB, c jarvis.TokenCipher) *Integrations {
	return &Integrations{db: db, cipher: c}
}

const integrationTable = "integrations_google"

const integrationColumns = `id, user_id, issuer, google_sub, email, scopes, access_token_ciphertext, refresh_token_ciphertext,
	token_type, expiry, status, last_refreshed_at, created_at, updated_at, version, ad_version`

type integrationRow struct {
	g                jarvis.GoogleIntegration
	accessCT, refCT  string
	expiry, lastRefr sql.NullTime
	scopes           string
	adVersion        int // 1: sealed before tokens were bound to their user; 2: bound
}

func scanIntegration(row interface{ Scan(...any) error }) (*integrationRow, error) {
	var r integrationRow
	err := row.Scan(&r.g.ID, &r.g.UserID, &r.g.Issuer, &r.g.Subject, &r.g.Email, &r.scopes, &r.accessCT, &r.refCT,
		&r.g.TokenType, &r.expiry, &r.g.Status, &r.lastRefr, &r.g.CreatedAt, &r.g.UpdatedAt, &r.g.Version, &r.adVersion)
	if err != nil {
		return nil, err
	}
	r.g.Scopes = strings.Fields(r.scopes)
	if r.expiry.Valid {
		r.g.Expiry = r.expiry.Time.UTC()
	}
	r.g.LastRefreshedAt = timePtr(r.lastRefr)
	r.g.CreatedAt, r.g.UpdatedAt = r.g.CreatedAt.UTC(), r.g.UpdatedAt.UTC()
	return &r, nil
}

// open decrypts the row's tokens. A ciphertext that does not open — altered,
// moved from another row, or sealed with a retired key — is EREAUTH: the user
// must connect again, and is never shown anything else.
func (s *Integrations) open(r *integrationRow) (*jarvis.GoogleIntegration, error) {
	g := r.g
	for _, f := range []struct {
		ct    string
		field string
		dst   *string
	}{{r.accessCT, "access_token", &g.AccessToken}, {r.refCT, "refresh_token", &g.RefreshToken}} {
		if f.ct == "" {
			continue
		}
		pt, err := s.cipher.Decrypt(f.ct, binding(g.ID, g.UserID, f.field, r.adVersion))
		if err != nil {
			return nil, &jarvis.Error{Code: jarvis.EREAUTH, Message: "The stored Google grant cannot be read. Connect your Google account again.",
				Err: fmt.Errorf("decrypt %s of integration %s: %w", f.field, g.ID, err)}
		}
		*f.dst = string(pt)
	}
	return &g, nil
}

// adBound is the ad_version of ciphertexts bound to their user, which every
// write seals; rows of version 1 are re-sealed by ResealLegacy.
const adBound = 2

// binding names where a ciphertext of an integration lives: its row and
// field, and — from ad_version 2 — the user who owns the row.
func binding(id, userID, field string, adVersion int) jarvis.CipherBinding {
	b := jarvis.CipherBinding{Table: integrationTable, RowID: id, Field: field}
	if adVersion >= adBound {
		b.UserID = userID
	}
	return b
}

// openField decrypts one ciphertext of integration id, or returns "" when
// no configured key opens it.
func (s *Integrations) openField(id, userID, field, ct string, adVersion int) string {
	pt, err := s.cipher.Decrypt(ct, binding(id, userID, field, adVersion))
	if err != nil {
		return ""
	}
	return string(pt)
}

// seal encrypts a token of integration id, owned by userID, under the
// primary key, bound to its row, field and user (ad_version 2).
func (s *Integrations) seal(id, userID, field, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	return s.cipher.Encrypt([]byte(token), binding(id, userID, field, adBound))
}

// FindGoogleIntegration returns the user's integration, or ENOTFOUND.
func (s *Integrations) FindGoogleIntegration(ctx context.Context, userID string) (*jarvis.GoogleIntegration, error) {
	r, err := scanIntegration(s.db.db.QueryRowContext(ctx, `SELECT `+integrationColumns+` FROM integrations_google WHERE user_id = $1`, userID))
	if err != nil {
		return nil, notFound(err, "Google integration")
	}
	return s.open(r)
}

// GoogleStatus returns the status, email and scopes of the user's
// integration without decrypting anything, or ENOTFOUND.
func (s *Integrations) GoogleStatus(ctx context.Context, userID string) (*jarvis.GoogleStatus, error) {
	var st jarvis.GoogleStatus
	var scopes string
	err := s.db.db.QueryRowContext(ctx, `SELECT status, email, scopes FROM integrations_google WHERE user_id = $1`, userID).Scan(&st.Status, &st.Email, &scopes)
	if err != nil {
		return nil, notFound(err, "Google integration")
	}
	st.Scopes = strings.Fields(scopes)
	return &st, nil
}

// FindGoogleIntegrationByIdentity returns the integration of the Google
// identity, whoever owns it, or ENOTFOUND. Its tokens are left out.
func (s *Integrations) FindGoogleIntegrationByIdentity(ctx context.Context, issuer, subject string) (*jarvis.GoogleIntegration, error) {
	r, err := scanIntegration(s.db.db.QueryRowContext(ctx, `SELECT `+integrationColumns+` FROM integrations_google WHERE issuer = $1 AND google_sub = $2`, issuer, subject))
	if err != nil {
		return nil, notFound(err, "Google integration")
	}
	return &r.g, nil
}

// UpsertGoogleIntegration creates or replaces the user's integration. An
// empty RefreshToken keeps the stored one (Google sends a refresh token only
// on first consent). ECONFLICT if the identity belongs to another user.
func (s *Integrations) UpsertGoogleIntegration(ctx context.Context, g *jarvis.GoogleIntegration) error {
	now := s.db.now()
	return s.db.withTx(ctx, func(tx *sql.Tx) error {
		var id, refCT string
		adVersion := adBound
		err := tx.QueryRowContext(ctx, `SELECT id, refresh_token_ciphertext, ad_version FROM integrations_google WHERE user_id = $1`+s.db.forUpdate(), g.UserID).Scan(&id, &refCT, &adVersion)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read integration: %w", err)
		}
		if !exists {
			id = newID()
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
			_, err = tx.ExecContext(ctx, `UPDATE integrations_google SET issuer = $2, google_sub = $3, email = $4, scopes = $5,
				access_token_ciphertext = $6, refresh_token_ciphertext = $7, key_id = $8, token_type = $9, expiry = $10,
				status = $11, last_refreshed_at = $12, updated_at = $12, version = version + 1, ad_version = 2 WHERE id = $1`,
				id, g.Issuer, g.Subject, g.Email, strings.Join(g.Scopes, " "), accessCT, refCT, s.cipher.PrimaryKeyID(),
				tokenType(g.TokenType), s.db.nullTS(&g.Expiry), status, s.db.ts(now))
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO integrations_google (id, user_id, issuer, google_sub, email, scopes,
				access_token_ciphertext, refresh_token_ciphertext, key_id, token_type, expiry, status, last_refreshed_at, created_at, updated_at, ad_version, is_primary)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $13, 2, TRUE)`,
				id, g.UserID, g.Issuer, g.Subject, g.Email, strings.Join(g.Scopes, " "), accessCT, refCT, s.cipher.PrimaryKeyID(),
				tokenType(g.TokenType), s.db.nullTS(&g.Expiry), status, s.db.ts(now))
		}
		if isUniqueViolation(err) {
			return jarvis.Errorf(jarvis.ECONFLICT, "This Google account is connected to another Jarvis user.")
		} else if err != nil {
			return fmt.Errorf("save integration: %w", err)
		}
		g.ID = id
		return nil
	})
}

func tokenType(t string) string {
	if t == "" {
		return "Bearer"
	}
	return t
}

// LeaseGoogleRefresh takes the user's refresh lease for ttl if no unexpired
// lease is held — one short UPDATE, no transaction left open — and returns
// the integration as it stands after the attempt, with the lease's end (zero
// when another caller holds the lease). ENOTFOUND if there is none; EREAUTH
// if its tokens cannot be read, in which case the lease is given back.
func (s *Integrations) LeaseGoogleRefresh(ctx context.Context, userID string, ttl time.Duration) (*jarvis.GoogleIntegration, time.Time, error) {
	now := s.db.now()
	until := now.Add(ttl)
	res, err := s.db.db.ExecContext(ctx, `UPDATE integrations_google SET refresh_lease_until = $2
		WHERE user_id = $1 AND (refresh_lease_until IS NULL OR refresh_lease_until < $3)`, userID, s.db.ts(until), s.db.ts(now))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("take refresh lease: %w", Unavailable(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		until = time.Time{}
	}
	g, err := s.FindGoogleIntegration(ctx, userID)
	if err != nil {
		if !until.IsZero() {
			_ = s.ReleaseGoogleRefreshLease(context.WithoutCancel(ctx), userID, until)
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

// ReleaseGoogleRefreshLease ends the user's refresh lease if it is still the
// one that ends at until.
func (s *Integrations) ReleaseGoogleRefreshLease(ctx context.Context, userID string, until time.Time) error {
	_, err := s.db.db.ExecContext(ctx, `UPDATE integrations_google SET refresh_lease_until = NULL WHERE user_id = $1 AND refresh_lease_until = $2`,
		userID, s.db.ts(until))
	if err != nil {
		return fmt.Errorf("release refresh lease: %w", Unavailable(err))
	}
	return nil
}

// SetGoogleIntegrationStatus sets the status of the user's integration. ENOTFOUND if none.
func (s *Integrations) SetGoogleIntegrationStatus(ctx context.Context, userID, status string) error {
	res, err := s.db.db.ExecContext(ctx, `UPDATE integrations_google SET status = $2, updated_at = $3, version = version + 1 WHERE user_id = $1`, userID, status, s.db.ts(s.db.now()))
	if err != nil {
		return fmt.Errorf("set integration status: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return jarvis.Errorf(jarvis.ENOTFOUND, "Google integration not found.")
	}
	return nil
}

// DeleteGoogleIntegration deletes the user's integration with its ciphertexts.
func (s *Integrations) DeleteGoogleIntegration(ctx context.Context, userID string) error {
	if _, err := s.db.db.ExecContext(ctx, `DELETE FROM integrations_google WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("delete integration: %w", err)
	}
	return nil
}

// RotateProgress reports how far a key rotation has come.
type RotateProgress func(done, total int)

// RotateKeys re-encrypts every integration with a token not sealed under
// the primary key, or not yet bound to its user, a row at a time, each in
// its own short transaction. Which key sealed a token is read from the
// ciphertext itself (the vault envelope names it), never from the key_id
// column. It is idempotent and resumable: rows whose tokens are all under
// the primary key and bound are skipped. A row that cannot be decrypted is
// left as it is and counted in failed.
func (s *Integrations) RotateKeys(ctx context.Context, progress RotateProgress) (rotated, failed int, err error) {
	primary := s.cipher.PrimaryKeyID()
	return s.reseal(ctx, func(keys []string, adVersion int) bool { return adVersion < adBound || stale(keys, primary) }, progress)
}

// ResealLegacy re-seals, under the primary key, the tokens sealed before
// they were bound to their user (ad_version 1), as `jarvis serve` does at
// start after migrating; it is idempotent, and safe on several replicas at
// once. A row that cannot be decrypted is left as it is and counted in
// failed.
func (s *Integrations) ResealLegacy(ctx context.Context) (resealed, failed int, err error) {
	return s.reseal(ctx, func(_ []string, adVersion int) bool { return adVersion < adBound }, nil)
}

// reseal re-encrypts the rows pick chooses, each in its own transaction.
func (s *Integrations) reseal(ctx context.Context, pick func(keys []string, adVersion int) bool, progress RotateProgress) (done, failed int, err error) {
	primary := s.cipher.PrimaryKeyID()
	total := 0
	if err := s.eachCiphertexts(ctx, func(_ string, keys []string, adVersion int) error {
		if pick(keys, adVersion) {
			total++
		}
		return nil
	}); err != nil {
		return 0, 0, fmt.Errorf("count rows to re-encrypt: %w", err)
	}
	err = s.eachCiphertexts(ctx, func(id string, keys []string, adVersion int) error {
		if !pick(keys, adVersion) {
			return nil
		}
		if err := s.rotateRow(ctx, id, primary); err != nil {
			if !jarvis.IsCode(err, jarvis.EREAUTH) {
				return err
			}
			failed++
		} else {
			done++
		}
		if progress != nil {
			progress(done+failed, max(total, done+failed))
		}
		return nil
	})
	return done, failed, err
}

// stale reports whether any of the key ids is not the primary one.
func stale(keys []string, primary string) bool {
	for _, k := range keys {
		if k != primary {
			return true
		}
	}
	return false
}

// eachCiphertexts calls fn, in id order and a page of rows at a time, with
// every integration's id, the key ids its tokens are sealed with (as the
// ciphertexts name them; "?" for text that is not a vault ciphertext) and
// its ad_version. No
// transaction is held while fn runs.
func (s *Integrations) eachCiphertexts(ctx context.Context, fn func(id string, keys []string, adVersion int) error) error {
	type page struct {
		id        string
		keys      []string
		adVersion int
	}
	after := ""
	for {
		rows, err := s.db.db.QueryContext(ctx, `SELECT id, access_token_ciphertext, refresh_token_ciphertext, ad_version FROM integrations_google
			WHERE id > $1 ORDER BY id LIMIT 100`, after)
		if err != nil {
			return err
		}
		var batch []page
		for rows.Next() {
			var id, a, r string
			var adVersion int
			if err := rows.Scan(&id, &a, &r, &adVersion); err != nil {
				rows.Close()
				return err
			}
			p := page{id: id, adVersion: adVersion}
			for _, ct := range []string{a, r} {
				if ct == "" {
					continue
				}
				k, err := s.cipher.KeyID(ct)
				if err != nil {
					k = "?"
				}
				p.keys = append(p.keys, k)
			}
			batch = append(batch, p)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		for _, p := range batch {
			after = p.id
			if err := fn(p.id, p.keys, p.adVersion); err != nil {
				return err
			}
		}
	}
}

func (s *Integrations) rotateRow(ctx context.Context, id, primary string) error {
	return s.db.withTx(ctx, func(tx *sql.Tx) error {
		r, err := scanIntegration(tx.QueryRowContext(ctx, `SELECT `+integrationColumns+` FROM integrations_google WHERE id = $1`+s.db.forUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return nil // deleted meanwhile
		} else if err != nil {
			return err
		}
		g, err := s.open(r)
		if err != nil {
			return err
		}
		accessCT, err := s.seal(id, g.UserID, "access_token", g.AccessToken)
		if err != nil {
			return err
		}
		refCT, err := s.seal(id, g.UserID, "refresh_token", g.RefreshToken)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE integrations_google SET access_token_ciphertext = $2, refresh_token_ciphertext = $3, key_id = $4, ad_version = 2 WHERE id = $1`,
			id, accessCT, refCT, primary)
		return err
	})
}

// CountIntegrationsByKey counts, for operators, the integrations with a
// token sealed under each key id, read from the ciphertexts themselves: a
// row with its access token under one key and its refresh token under
// another counts under both. A key with a count is still needed.
func (s *Integrations) CountIntegrationsByKey(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	err := s.eachCiphertexts(ctx, func(_ string, keys []string, _ int) error {
		seen := map[string]bool{}
		for _, k := range keys {
			if !seen[k] {
				seen[k] = true
				out[k]++
			}
		}
		return nil
	})
	return out, err
}
