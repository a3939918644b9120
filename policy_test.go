package jarvis

import (
	"errors"
	"slices"
	"testing"
)

func TestPolicyValidate(t *testing.T) {
	wh := func(zone, start, end string, days ...string) *WorkingHours {
		return &WorkingHours{TimeZone: zone, Days: days, Start: start, End: end}
	}
	for _, c := range []struct {
		p     Policy
		field string
	}{
		{Policy{}, ""},
		{Policy{AutoApprove: []string{ActionThreadModify, " GMAIL.DRAFT.CREATE "}, AllowedRecipientDomains: []string{"@Example.com", "corp.example.org"}, MaxAgentSendsPerDay: 10,
			WorkingHours: wh("Europe/London", "08:30", "18:00", "mon", "fri")}, ""},
		{Policy{AutoApprove: []string{"gmail.delete_forever"}}, "auto_approve"},
		{Policy{AllowedRecipientDomains: []string{"localhost"}}, "allowed_recipient_domains"},
		{Policy{AllowedRecipientDomains: []string{"exa mple.com"}}, "allowed_recipient_domains"},
		{Policy{MaxAgentSendsPerDay: -1}, "max_agent_sends_per_day"},
		{Policy{WorkingHours: wh("Mars/Base", "09:00", "17:00", "mon")}, "working_hours.time_zone"},
		{Policy{WorkingHours: wh("", "09:00", "17:00")}, "working_hours.days"},
		{Policy{WorkingHours: wh("", "09:00", "17:00", "mon", "mon")}, "working_hours.days"},
		{Policy{WorkingHours: wh("", "9am", "17:00", "mon")}, "working_hours.start"},
		{Policy{WorkingHours: wh("", "17:00", "09:00", "mon")}, "working_hours.end"},
	} {
		c.p.Normalize()
		err := c.p.Validate()
		var e *Error
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%+v: %v", c.p, err)
		case c.field != "" && (!errors.As(err, &e) || e.Code != EINVALID || e.Field != c.field):
			t.Errorf("%+v: %v, want invalid %s", c.p, err, c.field)
		}
	}
}

func TestMergePolicy(t *testing.T) {
	own := Policy{AutoApprove: []string{ActionDraftCreate, ActionThreadModify}, AllowedRecipientDomains: []string{"a.example", "b.example"}, MaxAgentSendsPerDay: 20}
	floor := Policy{AutoApprove: []string{ActionThreadModify}, DraftsOnly: true, AllowedRecipientDomains: []string{"b.example", "c.example"}, MaxAgentSendsPerDay: 5,
		WorkingHours: &WorkingHours{Days: []string{"mon"}, Start: "09:00", End: "12:00"}}
	eff := MergePolicy(own, floor)
	if !slices.Equal(eff.AutoApprove, []string{ActionThreadModify}) || !eff.DraftsOnly || !slices.Equal(eff.AllowedRecipientDomains, []string{"b.example"}) ||
		eff.MaxAgentSendsPerDay != 5 || eff.WorkingHours == nil {
		t.Fatalf("merged %+v", eff)
	}
	if !slices.Equal(own.AutoApprove, []string{ActionDraftCreate, ActionThreadModify}) {
		t.Fatalf("merging changed the user's own policy: %+v", own)
	}
	// Lists that share nothing allow no domain at all.
	eff = MergePolicy(Policy{AllowedRecipientDomains: []string{"a.example"}}, Policy{AllowedRecipientDomains: []string{"c.example"}})
	if DomainAllowed("x@a.example", eff.AllowedRecipientDomains) || DomainAllowed("x@c.example", eff.AllowedRecipientDomains) {
		t.Fatalf("disjoint lists allow %v", eff.AllowedRecipientDomains)
	}
	// No floor: the user's own.
	if eff := MergePolicy(own); !slices.Equal(eff.AutoApprove, own.AutoApprove) || eff.MaxAgentSendsPerDay != 20 {
		t.Fatalf("no floor %+v", eff)
	}
}

func TestDomainAllowed(t *testing.T) {
	domains := []string{"example.com"}
	for addr, want := range map[string]bool{
		"ann@example.com": true, "Ann <ann@EXAMPLE.com>": true, "ann@eu.example.com": true,
		"ann@badexample.com": false, "ann@example.com.evil.example": false, "ann": false, "ann@evil.example": false,
	} {
		if got := DomainAllowed(addr, domains); got != want {
			t.Errorf("DomainAllowed(%q) = %v, want %v", addr, got, want)
		}
	}
	if !DomainAllowed("anyone@anywhere.example", nil) {
		t.Error("an empty list allows every domain")
	}
}
