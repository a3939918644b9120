package jarvis

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Policy is what a user (or an organisation, for its members) lets agents
// do without asking. The zero policy auto-approves nothing: every action
// that changes anything waits for the owner. Reading is never governed.
type Policy struct {
	// AutoApprove lists the action kinds an agent's request runs without
	// approval, within the other limits.
	AutoApprove []string `json:"auto_approve" doc:"Action kinds an agent's request runs without the owner's approval, within the limits below (e.g. gmail.thread.modify). Default: none."`
	// DraftsOnly disables sending for agents: a send always waits.
	DraftsOnly bool `json:"drafts_only" doc:"true: agents may not send; an agent's send always waits for the owner, flagged drafts_only."`
	// AllowedRecipientDomains, when not empty, are the only domains an
	// agent's action may address without the owner's approval.
	AllowedRecipientDomains []string `json:"allowed_recipient_domains" doc:"When not empty, the only recipient domains an agent's action may address without approval; any other recipient flags it outside_allowed_domains."`
	// MaxAgentSendsPerDay caps the sends agents make in 24 hours without
	// approval; 0 means no cap.
	MaxAgentSendsPerDay int `json:"max_agent_sends_per_day" doc:"At most this many agent sends run without approval in any 24 hours; past it a send waits, flagged daily_send_cap_reached. 0: no cap."`
	// WorkingHours are when the owner takes meetings; nil for the default.
	WorkingHours *WorkingHours `json:"working_hours" doc:"When the owner takes meetings; null: Monday to Friday, 09:00–17:00 in the calendar's zone."`
}

// Limits of a policy.
const (
	MaxPolicyDomains       = 100
	MaxAgentSendsPerDayCap = 10000
)

var workDays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// Normalize lower-cases and sorts the lists of p, without duplicates, so
// that equal policies compare equal. Lists are never nil.
func (p *Policy) Normalize() {
	norm := func(in []string) []string {
		out := make([]string, 0, len(in))
		for _, s := range in {
			s = strings.ToLower(strings.TrimSpace(s))
			if s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		slices.Sort(out)
		return out
	}
	p.AutoApprove = norm(p.AutoApprove)
	p.AllowedRecipientDomains = norm(p.AllowedRecipientDomains)
	for i, d := range p.AllowedRecipientDomains {
		p.AllowedRecipientDomains[i] = strings.TrimPrefix(d, "@")
	}
	if p.WorkingHours != nil && p.WorkingHours.Days == nil {
		p.WorkingHours.Days = []string{}
	}
}

// Validate checks a normalized policy: EINVALID naming the field.
func (p *Policy) Validate() error {
	for _, k := range p.AutoApprove {
		if !slices.Contains(ActionKinds, k) {
			return Invalid("auto_approve", "%q is not an action kind; one of: %s.", k, strings.Join(ActionKinds, ", "))
		}
	}
	if len(p.AllowedRecipientDomains) > MaxPolicyDomains {
		return Invalid("allowed_recipient_domains", "At most %d domains.", MaxPolicyDomains)
	}
	for _, d := range p.AllowedRecipientDomains {
		if !validDomain(d) {
			return Invalid("allowed_recipient_domains", "%q is not a domain name.", d)
		}
	}
	if p.MaxAgentSendsPerDay < 0 || p.MaxAgentSendsPerDay > MaxAgentSendsPerDayCap {
		return Invalid("max_agent_sends_per_day", "max_agent_sends_per_day must be 0 (no cap) to %d.", MaxAgentSendsPerDayCap)
	}
	if wh := p.WorkingHours; wh != nil {
		if wh.TimeZone != "" {
			if _, err := time.LoadLocation(wh.TimeZone); err != nil || strings.EqualFold(wh.TimeZone, "local") {
				return Invalid("working_hours.time_zone", "%q is not an IANA time zone.", wh.TimeZone)
			}
		}
		if len(wh.Days) == 0 {
			return Invalid("working_hours.days", "At least one working day: mon, tue, wed, thu, fri, sat, sun.")
		}
		seen := map[string]bool{}
		for _, d := range wh.Days {
			if !slices.Contains(workDays, d) || seen[d] {
				return Invalid("working_hours.days", "%q is not a weekday (mon … sun), or is given twice.", d)
			}
			seen[d] = true
		}
		start, ok1 := clockMinutes(wh.Start)
		end, ok2 := clockMinutes(wh.End)
		switch {
		case !ok1:
			return Invalid("working_hours.start", "start must be HH:MM.")
		case !ok2:
			return Invalid("working_hours.end", "end must be HH:MM.")
		case end <= start:
			return Invalid("working_hours.end", "end must be after start.")
		}
	}
	return nil
}

// clockMinutes reads HH:MM (00:00–24:00).
func clockMinutes(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	var h, m int
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// validDomain reports whether d is a plausible DNS name (labels of
// letters, digits and hyphens, at least two of them).
func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, l := range strings.Split(d, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// MergePolicy applies the floors of the user's organisations to the user's
// own policy: a kind auto-approves only where every floor allows it;
// drafts-only holds if any sets it; recipient domains are those every list
// that names some allows; the lowest cap wins; working hours are the
// user's, else the first floor's that has some.
func MergePolicy(own Policy, floors ...Policy) Policy {
	eff := own
	eff.AutoApprove = slices.Clone(own.AutoApprove)
	eff.AllowedRecipientDomains = slices.Clone(own.AllowedRecipientDomains)
	for _, f := range floors {
		eff.AutoApprove = slices.DeleteFunc(eff.AutoApprove, func(k string) bool { return !slices.Contains(f.AutoApprove, k) })
		eff.DraftsOnly = eff.DraftsOnly || f.DraftsOnly
		switch {
		case len(f.AllowedRecipientDomains) == 0:
		case len(eff.AllowedRecipientDomains) == 0:
			eff.AllowedRecipientDomains = slices.Clone(f.AllowedRecipientDomains)
		default:
			eff.AllowedRecipientDomains = slices.DeleteFunc(eff.AllowedRecipientDomains, func(d string) bool { return !slices.Contains(f.AllowedRecipientDomains, d) })
			if len(eff.AllowedRecipientDomains) == 0 {
				// Nothing both allow: no domain is allowed, which an empty
				// list cannot say.
				eff.AllowedRecipientDomains = []string{"invalid."}
			}
		}
		if f.MaxAgentSendsPerDay > 0 && (eff.MaxAgentSendsPerDay == 0 || f.MaxAgentSendsPerDay < eff.MaxAgentSendsPerDay) {
			eff.MaxAgentSendsPerDay = f.MaxAgentSendsPerDay
		}
		if eff.WorkingHours == nil && f.WorkingHours != nil {
			eff.WorkingHours = f.WorkingHours
		}
	}
	return eff
}

// DomainAllowed reports whether the address is in one of the domains (or
// a subdomain of one). An empty list allows every domain.
func DomainAllowed(address string, domains []string) bool {
	if len(domains) == 0 {
		return true
	}
	at := strings.LastIndexByte(address, '@')
	if at < 0 {
		return false
	}
	host := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(address[at+1:]), ">"))
	for _, d := range domains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// PolicyStore keeps the policies of users and organisations. A scope
// without one reads as nil.
type PolicyStore interface {
	UserPolicy(ctx context.Context, userID string) (*Policy, error)
	PutUserPolicy(ctx context.Context, userID string, p Policy) error
	OrgPolicy(ctx context.Context, orgID string) (*Policy, error)
	PutOrgPolicy(ctx context.Context, orgID string, p Policy, updatedBy string) error
}

// PolicyView is a user's policy as GET /settings/policy shows it.
type PolicyView struct {
	Own       Policy `json:"own" doc:"The user's own policy."`
	Effective Policy `json:"effective" doc:"What applies: the user's own merged with the floor of each of their organisations."`
}

// PolicyService reads and changes policies; it also is the source of the
// effective working hours.
type PolicyService interface {
	WorkingHoursSource
	// UserPolicy returns the user's own and effective policy.
	UserPolicy(ctx context.Context, userID string) (*PolicyView, error)
	// PutUserPolicy validates (EINVALID naming the field) and stores the
	// user's own policy.
	PutUserPolicy(ctx context.Context, userID string, p Policy) (*PolicyView, error)
	// EffectivePolicy is what applies to the user's agents.
	EffectivePolicy(ctx context.Context, userID string) (Policy, error)
	OrgPolicy(ctx context.Context, orgID string) (Policy, error)
	// PutOrgPolicy validates and stores the org's floor; the caller checks
	// that the user may manage the org.
	PutOrgPolicy(ctx context.Context, orgID, userID string, p Policy) (Policy, error)
}
