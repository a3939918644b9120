package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"

	"github.com/jarvis-hq/jarvis"
)

var _ jarvis.UserStore = (*DB)(nil)

const userColumns = `id, email, name, picture_url, token_version, personal_org_id, created_at, updated_at, last_login_at`

func scanUser(row interface{ Scan(...any) error }) (*jarvis.User, error) {
	var u jarvis.User
	var last sql.NullTime
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PictureURL, &u.TokenVersion, &u.PersonalOrgID, &u.CreatedAt, &u.UpdatedAt, &last); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt, u.LastLoginAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC(), timePtr(last)
	return &u, nil
}

// NormalizeEmail is the form in which emails are stored and compared.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// FindUserByID returns ENOTFOUND if there is no such user.
func (db *DB) FindUserByID(ctx context.Context, id string) (*jarvis.User, error) {
	u, err := scanUser(db.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "User")
	}
	return u, nil
}

// FindUserForToken returns the user and whether the token id was revoked,
// in one query: what authenticating a request needs. ENOTFOUND if there is
// no such user.
func (db *DB) FindUserForToken(ctx context.Context, userID, jti string) (*jarvis.User, bool, error) {
	var u jarvis.User
	var last sql.NullTime
	var revoked bool
	err := db.db.QueryRowContext(ctx, `SELECT `+userColumns+`, EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $2) FROM users WHERE id = $1`, userID, jti).
		Scan(&u.ID, &u.Email, &u.Name, &u.PictureURL, &u.TokenVersion, &u.PersonalOrgID, &u.CreatedAt, &u.UpdatedAt, &last, &revoked)
	if err != nil {
		return nil, false, notFound(err, "User")
	}
	u.CreatedAt, u.UpdatedAt, u.LastLoginAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC(), timePtr(last)
	return &u, revoked, nil
}

// FindUserByEmail returns ENOTFOUND if no user has the email.
func (db *DB) FindUserByEmail(ctx context.Context, email string) (*jarvis.User, error) {
	u, err := scanUser(db.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, NormalizeEmail(email)))
	if err != nil {
		return nil, notFound(err, "User")
	}
	return u, nil
}

// EnsureUser returns the user with the email, creating the user and a
// personal org (owned by them) in one transaction when there is none.
func (db *DB) EnsureUser(ctx context.Context, email, name string) (*jarvis.User, error) {
	email = NormalizeEmail(email)
	if u, err := db.FindUserByEmail(ctx, email); err == nil {
		return u, nil
	} else if !jarvis.IsCode(err, jarvis.ENOTFOUND) {
		return nil, err
	}
	var u *jarvis.User
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = db.createUserTx(ctx, tx, email, name, "")
		return err
	})
	if isUniqueViolation(err) {
		// Another request created the same user first: theirs is as good as ours.
		return db.FindUserByEmail(ctx, email)
	} else if err != nil {
		return nil, err
	}
	return u, nil
}

// CreateUserWithOrg creates a user and their personal org in tx. ECONFLICT
// if the email is taken.
func (db *DB) createUserTx(ctx context.Context, tx *sql.Tx, email, name, picture string) (*jarvis.User, error) {
	now := db.now()
	u := &jarvis.User{ID: newID(), Email: email, Name: name, PictureURL: picture, PersonalOrgID: newID(), CreatedAt: now, UpdatedAt: now}
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, picture_url, token_version, personal_org_id, created_at, updated_at) VALUES ($1, $2, $3, $4, 0, $5, $6, $6)`,
		u.ID, u.Email, u.Name, u.PictureURL, u.PersonalOrgID, db.ts(now)); err != nil {
		return nil, fmt.Errorf("insert user: %w", err)
	}
	org := jarvis.Org{ID: u.PersonalOrgID, Name: personalOrgName(u), CreatedAt: now}
	org.Slug = slugify(email) + "-" + org.ID[len(org.ID)-8:]
	if _, err := tx.ExecContext(ctx, `INSERT INTO orgs (id, name, slug, created_at) VALUES ($1, $2, $3, $4)`,
		org.ID, org.Name, org.Slug, db.ts(now)); err != nil {
		return nil, fmt.Errorf("insert org: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
		org.ID, u.ID, jarvis.RoleOwner, db.ts(now)); err != nil {
		return nil, fmt.Errorf("insert membership: %w", err)
	}
	return u, nil
}

func personalOrgName(u *jarvis.User) string {
	if u.Name != "" {
		return u.Name + "'s workspace"
	}
	return u.Email
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func slugify(s string) string {
	if i := strings.IndexByte(s, '@'); i > 0 {
		s = s[:i]
	}
	s = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 40 {
		s = s[:40]
	}
	if s == "" {
		s = "org"
	}
	return s
}

// UpdateUserProfile sets the user's name and picture and records a sign-in.
func (db *DB) UpdateUserProfile(ctx context.Context, userID, name, picture string) error {
	now := db.now()
	_, err := db.db.ExecContext(ctx, `UPDATE users SET name = CASE WHEN $2 = '' THEN name ELSE $2 END, picture_url = CASE WHEN $3 = '' THEN picture_url ELSE $3 END, last_login_at = $4, updated_at = $4 WHERE id = $1`,
		userID, name, picture, db.ts(now))
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	return nil
}

// BumpTokenVersion revokes every token issued to the user so far.
func (db *DB) BumpTokenVersion(ctx context.Context, userID string) error {
	res, err := db.db.ExecContext(ctx, `UPDATE users SET token_version = token_version + 1, updated_at = $2 WHERE id = $1`, userID, db.ts(db.now()))
	if err != nil {
		return fmt.Errorf("bump token version: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return jarvis.Errorf(jarvis.ENOTFOUND, "User not found.")
	}
	return nil
}

// FindUserByGoogleIdentity returns the user bound to the Google identity
// (issuer, sub), connected or not. ENOTFOUND if none is.
func (db *DB) FindUserByGoogleIdentity(ctx context.Context, issuer, sub string) (*jarvis.User, error) {
	if sub == "" {
		return nil, jarvis.Errorf(jarvis.ENOTFOUND, "User not found.")
	}
	u, err := scanUser(db.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE google_issuer = $1 AND google_sub = $2`, issuer, sub))
	if err != nil {
		return nil, notFound(err, "User")
	}
	return u, nil
}

// BindGoogleIdentity binds the user to the Google identity (issuer, sub)
// they sign in with, once and for good (a disconnect keeps it). Binding the
// same identity again is a no-op. ECONFLICT when the user is bound to
// another identity, or the identity to another user: a compare-and-swap, so
// that of two identities racing for one user exactly one wins.
func (db *DB) BindGoogleIdentity(ctx context.Context, userID, issuer, sub string) error {
	if issuer == "" || sub == "" {
		return jarvis.Invalid("sub", "A Google identity needs an issuer and a subject.")
	}
	res, err := db.db.ExecContext(ctx, `UPDATE users SET google_issuer = $2, google_sub = $3
		WHERE id = $1 AND (google_sub = '' OR (google_issuer = $2 AND google_sub = $3))`, userID, issuer, sub)
	if isUniqueViolation(err) {
		return jarvis.Errorf(jarvis.ECONFLICT, "This Google account belongs to another Jarvis user.")
	} else if err != nil {
		return fmt.Errorf("bind Google identity: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		if _, err := db.FindUserByID(ctx, userID); err != nil {
			return err
		}
		return jarvis.Errorf(jarvis.ECONFLICT, "This Jarvis user is bound to another Google account.")
	}
	return nil
}
