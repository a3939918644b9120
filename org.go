package jarvis

import (
	"context"
	"time"
)

// Role is a member's role in an org.
type Role string

const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return r == RoleOwner || r == RoleAdmin || r == RoleMember }

// CanManage reports whether the role may manage members and read the audit log.
func (r Role) CanManage() bool { return r == RoleOwner || r == RoleAdmin }

// Org is a team. Every user has a personal org of which they are the owner.
type Org struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Slug      string    `json:"slug"`
	CreatedAt time.Time `json:"created_at"`
}

// OrgWithRole is an org as seen by one of its members.
type OrgWithRole struct {
	Org
	Role Role `json:"role"`
}

// Member is a user's membership of an org.
type Member struct {
	OrgID     string    `json:"-"`
	UserID    string    `json:"user_id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// OrgStore persists orgs and memberships. Every read is scoped by the org id
// and, where it answers a caller, by the caller's membership.
type OrgStore interface {
	// ListOrgsForUser lists the orgs the user belongs to, with the user's role.
	ListOrgsForUser(ctx context.Context, userID string) ([]OrgWithRole, error)
	// FindMembership returns the user's membership of the org, or ENOTFOUND.
	FindMembership(ctx context.Context, orgID, userID string) (*Member, error)
	ListMembers(ctx context.Context, orgID string) ([]Member, error)
	// UpdateMemberRole changes a role. ECONFLICT if it would leave the org without an owner.
	UpdateMemberRole(ctx context.Context, orgID, userID string, role Role) (*Member, error)
	// RemoveMember removes a membership. ECONFLICT if it is the last owner.
	RemoveMember(ctx context.Context, orgID, userID string) error
}

// Invitation statuses.
const (
	InvitationPending  = "pending"
	InvitationAccepted = "accepted"
	InvitationDeclined = "declined"
	InvitationRevoked  = "revoked"
)

// Invitation asks someone, named by email, to join an org with a role.
// Nobody becomes a member of an org without accepting one.
type Invitation struct {
	ID     string `json:"id"`
	OrgID  string `json:"org_id"`
	Email  string `json:"email"`
	Role   Role   `json:"role"`
	Status string `json:"status"`
	// InvitedBy is the inviting member's user id.
	InvitedBy string `json:"invited_by"`
	// OrgName and InvitedByEmail are filled for the invitee, who is not yet
	// a member and so cannot look them up.
	OrgName        string     `json:"org_name,omitempty"`
	InvitedByEmail string     `json:"invited_by_email,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	RespondedAt    *time.Time `json:"responded_at,omitempty"`
}

// InvitationStore persists invitations. The invitee is whoever holds the
// invited email; what they see is scoped by it.
type InvitationStore interface {
	// CreateInvitation records a pending invitation. ECONFLICT when a user
	// with the email is already a member, or one is already pending.
	CreateInvitation(ctx context.Context, orgID, email string, role Role, invitedBy string) (*Invitation, error)
	// ListOrgInvitations lists the org's pending invitations, oldest first.
	ListOrgInvitations(ctx context.Context, orgID string) ([]Invitation, error)
	// RevokeInvitation withdraws a pending invitation of the org. ENOTFOUND
	// when there is none with that id.
	RevokeInvitation(ctx context.Context, orgID, id string) (*Invitation, error)
	// ListInvitationsForEmail lists the pending invitations to the email,
	// with the org's name and the inviter's email.
	ListInvitationsForEmail(ctx context.Context, email string) ([]Invitation, error)
	// AcceptInvitation makes the user (whose email it is) a member with the
	// invitation's role, once. ENOTFOUND unless it is pending and theirs.
	AcceptInvitation(ctx context.Context, id, userID, email string) (*Invitation, *Member, error)
	// DeclineInvitation refuses it. ENOTFOUND unless it is pending and theirs.
	DeclineInvitation(ctx context.Context, id, email string) (*Invitation, error)
	// HasPendingInvitation reports whether any org has invited the email.
	HasPendingInvitation(ctx context.Context, email string) (bool, error)
}
