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
	// AddMember adds the user with the given email to the org, creating the
	// user when nobody has that email yet. ECONFLICT if already a member.
	AddMember(ctx context.Context, orgID, email string, role Role) (*Member, error)
	// UpdateMemberRole changes a role. ECONFLICT if it would leave the org without an owner.
	UpdateMemberRole(ctx context.Context, orgID, userID string, role Role) (*Member, error)
	// RemoveMember removes a membership. ECONFLICT if it is the last owner.
	RemoveMember(ctx context.Context, orgID, userID string) error
}
