package sqldb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jarvis-hq/jarvis"
)

var _ jarvis.OrgStore = (*DB)(nil)

// forUpdate is the row-lock clause. SQLite needs none: its transactions take
// the database's write lock at BEGIN (_txlock=immediate).
func (db *DB) forUpdate() string {
	if db.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// ListOrgsForUser lists the user's orgs with the user's role, oldest first.
func (db *DB) ListOrgsForUser(ctx context.Context, userID string) ([]jarvis.OrgWithRole, error) {
	rows, err := db.db.QueryContext(ctx, `
		SELECT o.id, o.name, o.slug, o.created_at, m.role
		FROM memberships m JOIN orgs o ON o.id = m.org_id
		WHERE m.user_id = $1 ORDER BY o.created_at, o.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list orgs: %w", err)
	}
	defer rows.Close()
	out := []jarvis.OrgWithRole{}
	for rows.Next() {
		var o jarvis.OrgWithRole
		if err := rows.Scan(&o.ID, &o.Name, &o.Slug, &o.CreatedAt, &o.Role); err != nil {
			return nil, err
		}
		o.CreatedAt = o.CreatedAt.UTC()
		out = append(out, o)
	}
	return out, rows.Err()
}

const memberSelect = `
	SELECT m.org_id, m.user_id, u.email, u.name, m.role, m.created_at
	FROM memberships m JOIN users u ON u.id = m.user_id`

func scanMember(row interface{ Scan(...any) error }) (*jarvis.Member, error) {
	var m jarvis.Member
	if err := row.Scan(&m.OrgID, &m.UserID, &m.Email, &m.Name, &m.Role, &m.CreatedAt); err != nil {
		return nil, err
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return &m, nil
}

// FindMembership returns the user's membership of the org, or ENOTFOUND.
func (db *DB) FindMembership(ctx context.Context, orgID, userID string) (*jarvis.Member, error) {
	m, err := scanMember(db.db.QueryRowContext(ctx, memberSelect+` WHERE m.org_id = $1 AND m.user_id = $2`, orgID, userID))
	if err != nil {
		return nil, notFound(err, "Membership")
	}
	return m, nil
}

// ListMembers lists the org's members, oldest first.
func (db *DB) ListMembers(ctx context.Context, orgID string) ([]jarvis.Member, error) {
	rows, err := db.db.QueryContext(ctx, memberSelect+` WHERE m.org_id = $1 ORDER BY m.created_at, u.email`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	defer rows.Close()
	out := []jarvis.Member{}
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *m)
	}
	return out, rows.Err()
}

// lockOwners locks the org's owner rows and returns how many there are.
func (db *DB) countOwnersTx(ctx context.Context, tx *sql.Tx, orgID string) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT user_id FROM memberships WHERE org_id = $1 AND role = 'owner'`+db.forUpdate(), orgID)
	if err != nil {
		return 0, fmt.Errorf("count owners: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}

// UpdateMemberRole changes a member's role. ENOTFOUND if not a member;
// ECONFLICT if it would demote the org's last owner.
func (db *DB) UpdateMemberRole(ctx context.Context, orgID, userID string, role jarvis.Role) (*jarvis.Member, error) {
	if !role.Valid() {
		return nil, jarvis.Invalid("role", "Role must be owner, admin or member.")
	}
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		owners, err := db.countOwnersTx(ctx, tx, orgID)
		if err != nil {
			return err
		}
		var current jarvis.Role
		if err := tx.QueryRowContext(ctx, `SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2`, orgID, userID).Scan(&current); err != nil {
			return notFound(err, "Member")
		}
		if current == jarvis.RoleOwner && role != jarvis.RoleOwner && owners <= 1 {
			return jarvis.Errorf(jarvis.ECONFLICT, "The last owner of an org cannot be demoted.")
		}
		_, err = tx.ExecContext(ctx, `UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2`, orgID, userID, role)
		return err
	})
	if err != nil {
		return nil, err
	}
	return db.FindMembership(ctx, orgID, userID)
}

// RemoveMember removes a membership. ENOTFOUND if not a member; ECONFLICT if
// it is the org's last owner.
func (db *DB) RemoveMember(ctx context.Context, orgID, userID string) error {
	return db.withTx(ctx, func(tx *sql.Tx) error {
		owners, err := db.countOwnersTx(ctx, tx, orgID)
		if err != nil {
			return err
		}
		var current jarvis.Role
		if err := tx.QueryRowContext(ctx, `SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2`, orgID, userID).Scan(&current); err != nil {
			return notFound(err, "Member")
		}
		if current == jarvis.RoleOwner && owners <= 1 {
			return jarvis.Errorf(jarvis.ECONFLICT, "The last owner of an org cannot be removed.")
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM memberships WHERE org_id = $1 AND user_id = $2`, orgID, userID)
		return err
	})
}
