package sqldb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jarvis-hq/jarvis"
)

var _ jarvis.InvitationStore = (*DB)(nil)

const invitationSelect = `
	SELECT i.id, i.org_id, i.email, i.role, i.status, i.invited_by, o.name, COALESCE(u.email, ''), i.created_at, i.responded_at
	FROM org_invitations i JOIN orgs o ON o.id = i.org_id LEFT JOIN users u ON u.id = i.invited_by`

func scanInvitation(row interface{ Scan(...any) error }) (*jarvis.Invitation, error) {
	var inv jarvis.Invitation
	var responded sql.NullTime
	if err := row.Scan(&inv.ID, &inv.OrgID, &inv.Email, &inv.Role, &inv.Status, &inv.InvitedBy, &inv.OrgName, &inv.InvitedByEmail,
		&inv.CreatedAt, &responded); err != nil {
		return nil, err
	}
	inv.CreatedAt, inv.RespondedAt = inv.CreatedAt.UTC(), timePtr(responded)
	return &inv, nil
}

func (db *DB) listInvitations(ctx context.Context, where string, args ...any) ([]jarvis.Invitation, error) {
	rows, err := db.db.QueryContext(ctx, invitationSelect+` WHERE `+where+` ORDER BY i.created_at, i.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	defer rows.Close()
	out := []jarvis.Invitation{}
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *inv)
	}
	return out, rows.Err()
}

// CreateInvitation records a pending invitation to the email. ECONFLICT when
// a user with that email is already a member or an invitation is pending.
func (db *DB) CreateInvitation(ctx context.Context, orgID, email string, role jarvis.Role, invitedBy string) (*jarvis.Invitation, error) {
	if !role.Valid() {
		return nil, jarvis.Invalid("role", "Role must be owner, admin or member.")
	}
	email = NormalizeEmail(email)
	id := newID()
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		var member bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.org_id = $1 AND u.email = $2)`, orgID, email).Scan(&member); err != nil {
			return fmt.Errorf("check membership: %w", err)
		}
		if member {
			return jarvis.Errorf(jarvis.ECONFLICT, "%s is already a member.", email)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO org_invitations (id, org_id, email, role, invited_by, status, created_at)
			VALUES ($1, $2, $3, $4, $5, 'pending', $6)`, id, orgID, email, role, invitedBy, db.ts(db.now()))
		if isUniqueViolation(err) {
			return jarvis.Errorf(jarvis.ECONFLICT, "%s already has a pending invitation to this org.", email)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return scanInvitation(db.db.QueryRowContext(ctx, invitationSelect+` WHERE i.id = $1`, id))
}

// ListOrgInvitations lists the org's pending invitations, oldest first.
func (db *DB) ListOrgInvitations(ctx context.Context, orgID string) ([]jarvis.Invitation, error) {
	return db.listInvitations(ctx, `i.org_id = $1 AND i.status = 'pending'`, orgID)
}

// ListInvitationsForEmail lists the pending invitations to the email.
func (db *DB) ListInvitationsForEmail(ctx context.Context, email string) ([]jarvis.Invitation, error) {
	return db.listInvitations(ctx, `i.email = $1 AND i.status = 'pending'`, NormalizeEmail(email))
}

// HasPendingInvitation reports whether any org has invited the email.
func (db *DB) HasPendingInvitation(ctx context.Context, email string) (bool, error) {
	var ok bool
	err := db.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM org_invitations WHERE email = $1 AND status = 'pending')`, NormalizeEmail(email)).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("pending invitation: %w", err)
	}
	return ok, nil
}

// respondTx moves a pending invitation to status, if the condition matches:
// a compare-and-swap, so that of two concurrent answers only one wins.
func (db *DB) respondTx(ctx context.Context, tx *sql.Tx, status, where string, args ...any) (*jarvis.Invitation, error) {
	n := len(args)
	res, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE org_invitations SET status = $%d, responded_at = $%d WHERE status = 'pending' AND %s`, n+1, n+2, where),
		append(args, status, db.ts(db.now()))...)
	if err != nil {
		return nil, fmt.Errorf("answer invitation: %w", err)
	}
	if k, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if k != 1 {
		return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Invitation not found.")
	}
	inv, err := scanInvitation(tx.QueryRowContext(ctx, invitationSelect+` WHERE i.id = $1`, args[0]))
	if err != nil {
		return nil, fmt.Errorf("read invitation: %w", err)
	}
	return inv, nil
}

// AcceptInvitation makes the user a member with the invitation's role. A
// user who is somehow a member already keeps their membership as it is.
func (db *DB) AcceptInvitation(ctx context.Context, id, userID, email string) (*jarvis.Invitation, *jarvis.Member, error) {
	var inv *jarvis.Invitation
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		if inv, err = db.respondTx(ctx, tx, jarvis.InvitationAccepted, `id = $1 AND email = $2`, id, NormalizeEmail(email)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (org_id, user_id) DO NOTHING`, inv.OrgID, userID, inv.Role, db.ts(db.now()))
		if err != nil {
			return fmt.Errorf("insert membership: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	m, err := db.FindMembership(ctx, inv.OrgID, userID)
	return inv, m, err
}

// DeclineInvitation refuses a pending invitation to the email.
func (db *DB) DeclineInvitation(ctx context.Context, id, email string) (*jarvis.Invitation, error) {
	var inv *jarvis.Invitation
	err := db.withTx(ctx, func(tx *sql.Tx) (err error) {
		inv, err = db.respondTx(ctx, tx, jarvis.InvitationDeclined, `id = $1 AND email = $2`, id, NormalizeEmail(email))
		return err
	})
	return inv, err
}

// RevokeInvitation withdraws a pending invitation of the org.
func (db *DB) RevokeInvitation(ctx context.Context, orgID, id string) (*jarvis.Invitation, error) {
	var inv *jarvis.Invitation
	err := db.withTx(ctx, func(tx *sql.Tx) (err error) {
		inv, err = db.respondTx(ctx, tx, jarvis.InvitationRevoked, `id = $1 AND org_id = $2`, id, orgID)
		return err
	})
	return inv, err
}
