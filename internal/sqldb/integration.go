package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

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

const integrationColumns = `id, user_id, issuer, google_sub, email, name, picture_url, is_primary, scopes, access_token_ciphertext,
	refresh_token_ciphertext, token_type, expiry, status, last_refreshed_at, last_used_at, created_at, updated_at, version, ad_version`

type integrationRow struct {
	g                          jarvis.GoogleIntegration
	accessCT, refCT            string
	expiry, lastRefr, lastUsed sql.NullTime
	scopes                     string
	adVersion                  int // 1: sealed before tokens were bound to their user; 2: bound
}

func scanIntegration(row interface{ Scan(...any) error }) (*integrationRow, error) {
	var r integrationRow
	err := row.Scan(&r.g.ID, &r.g.UserID, &r.g.Issuer, &r.g.Subject, &r.g.Email, &r.g.Name, &r.g.PictureURL, &r.g.Primary, &r.scopes,
		&r.accessCT, &r.refCT, &r.g.TokenType, &r.expiry, &r.g.Status, &r.lastRefr, &r.lastUsed, &r.g.CreatedAt, &r.g.UpdatedAt,
		&r.g.Version, &r.adVersion)
	if err != nil {
		return nil, err
	}
	r.g.Scopes = strings.Fields(r.scopes)
	if r.expiry.Valid {
		r.g.Expiry = r.expiry.Time.UTC()
	}
	r.g.LastRefreshedAt, r.g.LastUsedAt = timePtr(r.lastRefr), timePtr(r.lastUsed)
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
			return nil, &jarvis.Error{Code: jarvis.EREAUTH, Message: fmt.Sprintf("The stored grant of the Google account %s cannot be read. Connect it again.", g.Email),
				Account: g.Ref(), Err: fmt.Errorf("decrypt %s of integration %s: %w", f.field, g.ID, err)}
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
