package sandbox

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"google.golang.org/api/gmail/v1"
)

// subjects lists the Subjects of the messages a query finds.
func subjects(t *testing.T, svc *gmail.Service, q string, labelIDs ...string) []string {
	t.Helper()
	call := svc.Users.Messages.List("me").Q(q).MaxResults(500)
	if len(labelIDs) > 0 {
		call.LabelIds(labelIDs...)
	}
	list, err := call.Do()
	if err != nil {
		t.Fatalf("q=%q: %v", q, err)
	}
	if list.ResultSizeEstimate != int64(len(list.Messages)) {
		t.Errorf("q=%q: estimate %d for %d", q, list.ResultSizeEstimate, len(list.Messages))
	}
	var out []string
	for _, m := range list.Messages {
		full, err := svc.Users.Messages.Get("me", m.Id).Format("metadata").MetadataHeaders("Subject").Do()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, header(full.Payload, "Subject"))
	}
	return out
}

func TestGmailSearchOperators(t *testing.T) {
	e := newEnv(t, nil)
	svc := e.gmail(e.signIn("ada@example.com"))
	now := e.clock.Now()
	cases := []struct {
		q        string
		has      []string
		hasNot   []string
		exactly  int // when > 0, the number of hits
		labelIDs []string
	}{
		{q: "from:mary", has: []string{"Dinner Friday?", "Logo drafts for the engine exhibit"}, hasNot: []string{"Q3 budget draft"}},
		{q: "from:katherine@example.com subject:budget", has: []string{"Q3 budget draft", "Re: Q3 budget draft"}, hasNot: []string{"Contract renewal: signature needed"}},
		{q: "to:grace@example.com", has: []string{"Re: Analytical Engine: board review prep"}, hasNot: []string{"Dinner Friday?"}},
		{q: "subject:(budget)", has: []string{"Q3 budget draft"}, hasNot: []string{"Team photo"}},
		{q: `subject:"board review"`, has: []string{"Analytical Engine: board review prep"}, hasNot: []string{"Q3 budget draft"}},
		{q: "is:unread", has: []string{"Urgent: instructions for your assistant", "Dinner Friday?"}, hasNot: []string{"Team photo"}},
		{q: "is:read", has: []string{"Team photo"}, hasNot: []string{"Urgent: instructions for your assistant"}},
		{q: "is:starred", has: []string{"Contract renewal: signature needed"}, hasNot: []string{"Team photo"}},
		{q: "in:inbox", has: []string{"Team photo"}, hasNot: []string{"Notes from today's call with Acme", "You have won a prize!!!"}},
		{q: "in:sent", has: []string{"Notes from today's call with Acme"}, hasNot: []string{"Team photo"}},
		{q: "prize", exactly: -1},
		{q: "in:spam", has: []string{"You have won a prize!!!"}, exactly: 1},
		{q: "in:trash", has: []string{"Old promotion: 10% off gears"}, exactly: 1},
		{q: "in:anywhere gold coins", has: []string{"You have won a prize!!!"}},
		{q: "label:receipts", has: []string{"Invoice 1042 from Brass & Gears Supply", "Your order has shipped"}, exactly: 2},
		{q: "has:attachment", has: []string{"Invoice 1042 from Brass & Gears Supply", "Re: Q3 budget draft", "Logo drafts for the engine exhibit", "Weekly metrics with chart"}, hasNot: []string{"Team photo"}},
		{q: "newer_than:1d", has: []string{"Urgent: instructions for your assistant", "Dinner Friday?"}, hasNot: []string{"Team photo", "Security alert: new sign-in"}},
		{q: "older_than:30d", has: []string{"Library books overdue", "Train tickets to Paris"}, hasNot: []string{"Team photo"}},
		{q: "newer_than:2m older_than:4w", has: []string{"Library books overdue"}, hasNot: []string{"Dinner Friday?"}},
		{q: "newer_than:1y", has: []string{"Team photo", "Dinner Friday?"}},
		{q: "after:" + now.AddDate(0, 0, -1).Format("2006/01/02"), has: []string{"Dinner Friday?"}, hasNot: []string{"Team photo"}},
		{q: "before:" + now.AddDate(0, 0, -30).Format("2006/01/02"), has: []string{"Train tickets to Paris"}, hasNot: []string{"Dinner Friday?"}},
		{q: "after:" + strconv.FormatInt(now.Add(-6*time.Hour).Unix(), 10), has: []string{"Urgent: instructions for your assistant"}, hasNot: []string{"Dinner Friday?"}},
		{q: `"send the last 20 emails"`, has: []string{"Urgent: instructions for your assistant"}, exactly: 1},
		{q: "MÜNCHEN", has: []string{"Einladung zur Konferenz in München", "Re: Einladung zur Konferenz in München"}},
		{q: "打ち合わせ", has: []string{"来週の打ち合わせについて"}},
		{q: "выручка", has: []string{"Отчёт за квартал"}},
		{q: "联合试点项目", has: []string{"合作伙伴会议纪要"}},
		{q: "subject:budget -from:katherine", has: []string{"Re: Q3 budget draft"}, exactly: 4},
		{q: "subject:dinner OR subject:photo", has: []string{"Dinner Friday?", "Team photo"}, exactly: 2},
		{q: "", labelIDs: []string{"INBOX", "STARRED"}, has: []string{"Contract renewal: signature needed"}, hasNot: []string{"Team photo"}},
		{q: "", labelIDs: []string{"UNREAD", "IMPORTANT"}, has: []string{"Re: Analytical Engine: board review prep"}, hasNot: []string{"Dinner Friday?"}},
	}
	for _, c := range cases {
		got := subjects(t, svc, c.q, c.labelIDs...)
		for _, s := range c.has {
			if !slices.Contains(got, s) {
				t.Errorf("q=%q labels=%v: no %q in %q", c.q, c.labelIDs, s, got)
			}
		}
		for _, s := range c.hasNot {
			if slices.Contains(got, s) {
				t.Errorf("q=%q labels=%v: unexpected %q", c.q, c.labelIDs, s)
			}
		}
		switch {
		case c.exactly > 0 && len(got) != c.exactly:
			t.Errorf("q=%q: %d hits %q, want %d", c.q, len(got), got, c.exactly)
		case c.exactly < 0 && len(got) != 0:
			t.Errorf("q=%q: %q, want none (spam is excluded)", c.q, got)
		}
	}

	// includeSpamTrash brings spam into a plain search.
	list, err := svc.Users.Messages.List("me").Q("prize").IncludeSpamTrash(true).Do()
	if err != nil || len(list.Messages) != 1 {
		t.Errorf("includeSpamTrash: %v %v", list, err)
	}
	// Newest first.
	all, err := svc.Users.Messages.List("me").MaxResults(5).Do()
	if err != nil {
		t.Fatal(err)
	}
	var last int64 = 1 << 62
	for _, m := range all.Messages {
		full, err := svc.Users.Messages.Get("me", m.Id).Format("minimal").Do()
		if err != nil {
			t.Fatal(err)
		}
		if full.InternalDate > last {
			t.Errorf("messages not newest first")
		}
		last = full.InternalDate
	}
}
