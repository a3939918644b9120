package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/jarvis-hq/jarvis"
)

// orgAccess returns the caller's membership of the org in the path. A
// non-member gets ENOTFOUND — the org's existence is not revealed — and a
// member without a managing role EFORBIDDEN, recorded as authz.denied.
func (s *Server) orgAccess(w http.ResponseWriter, r *http.Request, u *jarvis.User, needManage bool) (*jarvis.Member, bool) {
	orgID := r.PathValue("org_id")
	m, err := s.Orgs.FindMembership(r.Context(), orgID, u.ID)
	if jarvis.IsCode(err, jarvis.ENOTFOUND) {
		s.Error(w, r, jarvis.Errorf(jarvis.ENOTFOUND, "Org not found."))
		return nil, false
	} else if err != nil {
		s.Error(w, r, err)
		return nil, false
	}
	if needManage && !m.Role.CanManage() {
		s.deny(w, r, orgID, "org", orgID, "Only owners and admins of the org may do this.")
		return nil, false
	}
	return m, true
}

// deny answers 403 and writes an authz.denied audit row.
func (s *Server) deny(w http.ResponseWriter, r *http.Request, orgID, targetType, targetID, msg string) {
	s.Auditor.Record(r.Context(), jarvis.AuditEntry{OrgID: orgID, Action: jarvis.AuditAuthzDenied, TargetType: targetType, TargetID: targetID,
		Outcome: jarvis.OutcomeDenied, Metadata: map[string]any{"method": r.Method, "route": r.Pattern}})
	s.Error(w, r, jarvis.Errorf(jarvis.EFORBIDDEN, "%s", msg))
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if _, ok := s.orgAccess(w, r, u, false); !ok {
		return
	}
	members, err := s.Orgs.ListMembers(r.Context(), r.PathValue("org_id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": members})
}

type roleRequest struct {
	Role jarvis.Role `json:"role"`
}

// target loads the member the path names, and refuses an admin acting on an owner.
func (s *Server) target(w http.ResponseWriter, r *http.Request, me *jarvis.Member) (*jarvis.Member, bool) {
	t, err := s.Orgs.FindMembership(r.Context(), me.OrgID, r.PathValue("user_id"))
	if jarvis.IsCode(err, jarvis.ENOTFOUND) {
		s.Error(w, r, jarvis.Errorf(jarvis.ENOTFOUND, "Member not found."))
		return nil, false
	} else if err != nil {
		s.Error(w, r, err)
		return nil, false
	}
	if t.Role == jarvis.RoleOwner && me.Role != jarvis.RoleOwner {
		s.deny(w, r, me.OrgID, "user", t.UserID, "Only owners may change or remove an owner.")
		return nil, false
	}
	return t, true
}

func (s *Server) updateMember(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	me, ok := s.orgAccess(w, r, u, true)
	if !ok {
		return
	}
	var req roleRequest
	if err := decodeJSON(w, r, 4<<10, &req); err != nil {
		s.Error(w, r, err)
		return
	}
	if !req.Role.Valid() {
		s.Error(w, r, jarvis.Invalid("role", "Role must be owner, admin or member."))
		return
	}
	t, ok := s.target(w, r, me)
	if !ok {
		return
	}
	if req.Role == jarvis.RoleOwner && me.Role != jarvis.RoleOwner {
		s.deny(w, r, me.OrgID, "user", t.UserID, "Only owners may make owners.")
		return
	}
	m, err := s.Orgs.UpdateMemberRole(r.Context(), me.OrgID, t.UserID, req.Role)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.Auditor.Record(r.Context(), jarvis.AuditEntry{OrgID: me.OrgID, Action: jarvis.AuditOrgRoleChanged, TargetType: "user", TargetID: t.UserID,
		Metadata: map[string]any{"from": string(t.Role), "to": string(m.Role)}})
	writeJSON(w, http.StatusOK, m)
}

// removeMember removes a member (owners and admins); a member naming
// themselves ("me" or their own id) leaves the org instead.
func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if id := r.PathValue("user_id"); id == "me" || id == u.ID {
		s.leaveOrg(w, r, u)
		return
	}
	me, ok := s.orgAccess(w, r, u, true)
	if !ok {
		return
	}
	t, ok := s.target(w, r, me)
	if !ok {
		return
	}
	if err := s.Orgs.RemoveMember(r.Context(), me.OrgID, t.UserID); err != nil {
		s.Error(w, r, err)
		return
	}
	s.Auditor.Record(r.Context(), jarvis.AuditEntry{OrgID: me.OrgID, Action: jarvis.AuditOrgMemberRemoved, TargetType: "user", TargetID: t.UserID})
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listAuditLogs(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	me, ok := s.orgAccess(w, r, u, true)
	if !ok {
		return
	}
	q := r.URL.Query()
	limit, err := intParam(q.Get("max_results"), "max_results", 50, 1, 200)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	f := jarvis.AuditFilter{Action: q.Get("action"), ActorUserID: q.Get("actor_user_id"), Cursor: q.Get("page_token"), Limit: limit}
	if len(f.Action) > 64 || len(f.ActorUserID) > 64 {
		s.Error(w, r, jarvis.Invalid("action", "Filter values are at most 64 characters."))
		return
	}
	if fl, ok := s.Auditor.(interface{ Flush() }); ok {
		fl.Flush() // show what this process has recorded up to now
	}
	page, err := s.AuditLog.ListAudit(r.Context(), me.OrgID, f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.Auditor.Record(r.Context(), jarvis.AuditEntry{OrgID: me.OrgID, Action: jarvis.AuditRead, TargetType: "org", TargetID: me.OrgID})
	writeJSON(w, http.StatusOK, page)
}

// intParam parses an optional integer query parameter within [min, max].
func intParam(v, name string, def, min, max int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < min || n > max {
		return 0, jarvis.Invalid(name, "%s must be a whole number from %d to %d.", name, min, max)
	}
	return n, nil
}
