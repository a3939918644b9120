package actions

import (
	"context"

	"github.com/jarvis-hq/jarvis"
)

// UserPolicy returns the user's own policy (the zero policy when they set
// none) and the effective one.
func (s *Service) UserPolicy(ctx context.Context, userID string) (*jarvis.PolicyView, error) {
	own, err := s.cfg.Store.UserPolicy(ctx, userID)
	if err != nil {
		return nil, err
	}
	view := &jarvis.PolicyView{Own: orZero(own)}
	if view.Effective, err = s.merge(ctx, userID, view.Own); err != nil {
		return nil, err
	}
	return view, nil
}

// PutUserPolicy validates and stores the user's own policy. EINVALID naming
// the field.
func (s *Service) PutUserPolicy(ctx context.Context, userID string, p jarvis.Policy) (*jarvis.PolicyView, error) {
	p.Normalize()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := s.cfg.Store.PutUserPolicy(ctx, userID, p); err != nil {
		return nil, err
	}
	if s.cfg.Auditor != nil {
		s.cfg.Auditor.Record(ctx, jarvis.AuditEntry{Action: jarvis.AuditPolicyUpdated, TargetType: "user", TargetID: userID, Outcome: jarvis.OutcomeSuccess,
			Metadata: policyMeta(p)})
	}
	return s.UserPolicy(ctx, userID)
}

// EffectivePolicy is the user's own policy under the floor of every org
// they belong to.
func (s *Service) EffectivePolicy(ctx context.Context, userID string) (jarvis.Policy, error) {
	own, err := s.cfg.Store.UserPolicy(ctx, userID)
	if err != nil {
		return jarvis.Policy{}, err
	}
	return s.merge(ctx, userID, orZero(own))
}

func (s *Service) merge(ctx context.Context, userID string, own jarvis.Policy) (jarvis.Policy, error) {
	orgs, err := s.cfg.Store.ListOrgsForUser(ctx, userID)
	if err != nil {
		return jarvis.Policy{}, err
	}
	var floors []jarvis.Policy
	for _, o := range orgs {
		p, err := s.cfg.Store.OrgPolicy(ctx, o.ID)
		if err != nil {
			return jarvis.Policy{}, err
		}
		if p != nil {
			floors = append(floors, *p)
		}
	}
	eff := jarvis.MergePolicy(own, floors...)
	eff.Normalize()
	return eff, nil
}

// OrgPolicy returns the org's policy (the zero policy when it has none:
// no floor). The caller checks membership.
func (s *Service) OrgPolicy(ctx context.Context, orgID string) (jarvis.Policy, error) {
	p, err := s.cfg.Store.OrgPolicy(ctx, orgID)
	if err != nil {
		return jarvis.Policy{}, err
	}
	return orZero(p), nil
}

// PutOrgPolicy validates and stores the org's floor. The caller checks
// that userID may manage the org. EINVALID naming the field.
func (s *Service) PutOrgPolicy(ctx context.Context, orgID, userID string, p jarvis.Policy) (jarvis.Policy, error) {
	p.Normalize()
	if err := p.Validate(); err != nil {
		return jarvis.Policy{}, err
	}
	if err := s.cfg.Store.PutOrgPolicy(ctx, orgID, p, userID); err != nil {
		return jarvis.Policy{}, err
	}
	if s.cfg.Auditor != nil {
		s.cfg.Auditor.Record(ctx, jarvis.AuditEntry{OrgID: orgID, Action: jarvis.AuditPolicyUpdated, TargetType: "org", TargetID: orgID, Outcome: jarvis.OutcomeSuccess,
			Metadata: policyMeta(p)})
	}
	return p, nil
}

// WorkingHours returns the user's effective working hours: their own, else
// their organisations'; nil for the default.
func (s *Service) WorkingHours(ctx context.Context, userID string) (*jarvis.WorkingHours, error) {
	p, err := s.EffectivePolicy(ctx, userID)
	if err != nil {
		return nil, err
	}
	return p.WorkingHours, nil
}

func orZero(p *jarvis.Policy) jarvis.Policy {
	if p == nil {
		var z jarvis.Policy
		z.Normalize()
		return z
	}
	return *p
}

// policyMeta describes a policy for its audit row: its settings, never
// content.
func policyMeta(p jarvis.Policy) map[string]any {
	return map[string]any{"auto_approve": p.AutoApprove, "drafts_only": p.DraftsOnly, "allowed_recipient_domains": len(p.AllowedRecipientDomains),
		"max_agent_sends_per_day": p.MaxAgentSendsPerDay, "working_hours": p.WorkingHours != nil}
}
