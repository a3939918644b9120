package httpapi

import (
	"net/http"

	"github.com/jarvis-hq/jarvis"
)

type memberRequest struct {
	Email string      `json:"email"`
	Role  jarvis.Role `json:"role"`
}

// inviteMember invites someone to the org by email (owners and admins). The
// answer is the same whether or not the email belongs to a Jarvis user:
// nobody joins, and nothing about them is revealed, until they accept.
func (s *Server) inviteMember(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	me, ok := s.orgAccess(w, r, u, true)
	if !ok {
		return
	}
	var req memberRequest
	if err := decodeJSON(w, r, 4<<10, &req); err != nil {
		s.Error(w, r, err)
		return
	}
	email, err := validEmail("email", req.Email)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if req.Role == "" {
		req.Role = jarvis.RoleMember
	}
	if !req.Role.Valid() {
		s.Error(w, r, jarvis.Invalid("role", "Role must be owner, admin or member."))
		return
	}
	if req.Role == jarvis.RoleOwner && me.Role != jarvis.RoleOwner {
		s.deny(w, r, me.OrgID, "invitation", "", "Only owners may make owners.")
		return
	}
	inv, err := s.Invitations.CreateInvitation(r.Context(), me.OrgID, email, req.Role, u.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.Auditor.Record(r.Context(), jarvis.AuditEntry{OrgID: me.OrgID, Action: jarvis.AuditOrgMemberInvited, TargetType: "invitation", TargetID: inv.ID,
		Metadata: map[string]any{"role": string(inv.Role)}})
	writeJSON(w, http.StatusCreated, orgView(inv))
}

// orgView is an invitation as the inviting org sees it.
func orgView(inv *jarvis.Invitation) *jarvis.Invitation {
	v := *inv
	v.OrgName, v.InvitedByEmail = "", ""
	return &v
}

// listOrgInvitations lists the org's pending invitations (owners and admins).
func (s *Server) listOrgInvitations(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	me, ok := s.orgAccess(w, r, u, true)
	if !ok {
		return
	}
	list, err := s.Invitations.ListOrgInvitations(r.Context(), me.OrgID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for i := range list {
		list[i] = *orgView(&list[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitations": list})
}

// revokeInvitation withdraws a pending invitation (owners and admins).
func (s *Server) revokeInvitation(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	me, ok := s.orgAccess(w, r, u, true)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if err := validID("id", id); err != nil {
		s.Error(w, r, err)
		return
	}
	inv, err := s.Invitations.RevokeInvitation(r.Context(), me.OrgID, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.Auditor.Record(r.Context(), jarvis.AuditEntry{OrgID: me.OrgID, Action: jarvis.AuditOrgInvitationRevoked, TargetType: "invitation", TargetID: inv.ID})
	w.WriteHeader(http.StatusNoContent)
}

// myInvitations lists the pending invitations to the caller's email.
func (s *Server) myInvitations(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	list, err := s.Invitations.ListInvitationsForEmail(r.Context(), u.Email)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitations": list})
}

// acceptInvitation makes the caller a member with the invitation's role.
func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id := r.PathValue("id")
	if err := validID("id", id); err != nil {
		s.Error(w, r, err)
		return
	}
	inv, m, err := s.Invitations.AcceptInvitation(r.Context(), id, u.ID, u.Email)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.Auditor.Record(r.Context(), jarvis.AuditEntry{OrgID: inv.OrgID, Action: jarvis.AuditOrgInvitationAccepted, TargetType: "invitation", TargetID: inv.ID,
		Metadata: map[string]any{"role": string(m.Role)}})
	writeJSON(w, http.StatusOK, m)
}

// declineInvitation refuses an invitation to the caller.
func (s *Server) declineInvitation(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id := r.PathValue("id")
	if err := validID("id", id); err != nil {
		s.Error(w, r, err)
		return
	}
	inv, err := s.Invitations.DeclineInvitation(r.Context(), id, u.Email)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.Auditor.Record(r.Context(), jarvis.AuditEntry{OrgID: inv.OrgID, Action: jarvis.AuditOrgInvitationDeclined, TargetType: "invitation", TargetID: inv.ID})
	w.WriteHeader(http.StatusNoContent)
}

// leaveOrg removes the caller from the org. The last owner cannot leave
// (409): the org would have nobody to manage it.
func (s *Server) leaveOrg(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	me, ok := s.orgAccess(w, r, u, false)
	if !ok {
		return
	}
	if err := s.Orgs.RemoveMember(r.Context(), me.OrgID, u.ID); err != nil {
		if jarvis.IsCode(err, jarvis.ECONFLICT) {
			err = jarvis.Errorf(jarvis.ECONFLICT, "You are the org's last owner: make another member an owner before you leave.")
		}
		s.Error(w, r, err)
		return
	}
	s.Auditor.Record(r.Context(), jarvis.AuditEntry{OrgID: me.OrgID, Action: jarvis.AuditOrgMemberLeft, TargetType: "user", TargetID: u.ID,
		Metadata: map[string]any{"role": string(me.Role)}})
	w.WriteHeader(http.StatusNoContent)
}
