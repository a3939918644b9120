package actions_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/actions"
)

// replyMail answers what preparing a reply or a forward reads; any other
// call panics (the embedded interface is nil).
type replyMail struct {
	jarvis.MailService
	thread  jarvis.Thread
	message jarvis.Message
}

func (m replyMail) GetThread(context.Context, string, string, string) (*jarvis.Thread, error) {
	return &m.thread, nil
}

func (m replyMail) GetMessage(context.Context, string, string, string) (*jarvis.Message, error) {
	return &m.message, nil
}

func (m replyMail) ReplyRecipients(context.Context, string, string, string) ([]string, error) {
	return []string{"grace@example.com"}, nil
}

func (m replyMail) ReplyAllRecipients(context.Context, string, string, string) (*jarvis.ReplyAll, error) {
	return &jarvis.ReplyAll{To: []string{"grace@example.com", "babbage@engines.test"}, Cc: []string{"lovelace@elsewhere.test"}}, nil
}

type oneAccount struct{}

func (oneAccount) ListGoogleAccounts(context.Context, string) ([]jarvis.GoogleAccount, error) {
	return []jarvis.GoogleAccount{{ID: "acct1", Email: "ada@example.com", Primary: true}}, nil
}

// TestDraftShowsWhatDraftingMakes: a reply or a forward is prepared, in
// its payload (which the Approvals card shows field by field) and its
// summary, with the subject and recipients drafting will give it: "Re: "
// and the replied message's subject (not a draft's; a prefix kept in any
// case; a given subject prefixed too), "Fwd: " and the forwarded one's,
// the reply rule's recipients, and the reply-all rule's for a reply_all.
func TestDraftShowsWhatDraftingMakes(t *testing.T) {
	mail := replyMail{
		thread: jarvis.Thread{ID: "18c", Subject: "Orrery", Messages: []jarvis.Message{
			{ID: "1", Subject: "Orrery"}, {ID: "2", Subject: "Orrery, again"}, {ID: "3", Subject: "not sent", Labels: []string{"DRAFT"}}}},
		message: jarvis.Message{ID: "19d", Subject: "Gears"},
	}
	d := actions.DraftCreator{Mail: mail, Accounts: oneAccount{}}
	for _, tt := range []struct {
		name, payload, subject string
		to, cc                 []string
		thread                 []jarvis.Message
	}{
		{"reply", `{"reply_to_thread_id":"18c","body_text":"Yes."}`, "Re: Orrery, again", []string{"grace@example.com"}, []string{}, nil},
		{"reply to a reply", `{"reply_to_thread_id":"18c","body_text":"Yes."}`, "AW: Orrery", []string{"grace@example.com"}, []string{}, []jarvis.Message{{Subject: "AW: Orrery"}}},
		{"reply all", `{"reply_to_thread_id":"18c","reply_all":true,"body_text":"Yes."}`, "Re: Orrery, again",
			[]string{"grace@example.com", "babbage@engines.test"}, []string{"lovelace@elsewhere.test"}, nil},
		{"reply with its subject", `{"reply_to_thread_id":"18c","subject":"Orrery on Thursday","to":["grace@example.com"],"body_text":"Yes."}`,
			"Re: Orrery on Thursday", []string{"grace@example.com"}, []string{}, nil},
		{"forward", `{"forward_message_id":"19d","to":["babbage@engines.test"],"body_text":"See below."}`, "Fwd: Gears", []string{"babbage@engines.test"}, []string{}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := d
			if tt.thread != nil {
				m := mail
				m.thread.Messages = tt.thread
				d.Mail = m
			}
			p, err := d.Prepare(context.Background(), "u1", json.RawMessage(tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			var got actions.DraftPayload
			if err := json.Unmarshal(p.Payload, &got); err != nil {
				t.Fatal(err)
			}
			if got.Subject != tt.subject || !slices.Equal(got.To, tt.to) || !slices.Equal(got.Cc, tt.cc) || got.Account != "acct1" {
				t.Fatalf("prepared %s", p.Payload)
			}
			if !strings.Contains(p.Summary, "“"+tt.subject+"”") || !strings.Contains(p.Summary, tt.to[0]) || len(p.Recipients) != len(tt.to)+len(tt.cc) {
				t.Fatalf("summary %q, recipients %v", p.Summary, p.Recipients)
			}
		})
	}
}
