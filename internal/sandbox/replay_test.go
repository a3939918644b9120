package sandbox

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"google.golang.org/api/gmail/v1"
)

// TestGmailHistoryReplaysEveryChange makes random changes through the
// official client and checks that a client that did one full sync and then
// only replays history.list (small pages, both mailboxes) ends with exactly
// the mailbox's state.
func TestGmailHistoryReplaysEveryChange(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	e := newEnv(t, nil)
	ada := e.gmail(e.signIn("ada@example.com", "https://mail.google.com/"))
	grace := e.gmail(e.signIn("grace@example.com", "https://mail.google.com/"))

	type mirror struct {
		svc    *gmail.Service
		start  uint64
		labels map[string][]string // message id → labels
	}
	full := func(svc *gmail.Service) map[string][]string {
		out := map[string][]string{}
		tok := ""
		for {
			l, err := svc.Users.Messages.List("me").IncludeSpamTrash(true).MaxResults(500).PageToken(tok).Do()
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range l.Messages {
				g, err := svc.Users.Messages.Get("me", m.Id).Format("minimal").Do()
				if err != nil {
					t.Fatal(err)
				}
				out[m.Id] = slices.Sorted(slices.Values(g.LabelIds))
			}
			if tok = l.NextPageToken; tok == "" {
				return out
			}
		}
	}
	newMirror := func(svc *gmail.Service) *mirror {
		p, err := svc.Users.GetProfile("me").Do()
		if err != nil {
			t.Fatal(err)
		}
		return &mirror{svc: svc, start: p.HistoryId, labels: full(svc)}
	}
	mirrors := []*mirror{newMirror(ada), newMirror(grace)}

	ids := func(svc *gmail.Service) []string {
		// Drafts are changed through drafts.*, not messages.trash.
		drafts := map[string]bool{}
		dl, _ := svc.Users.Drafts.List("me").MaxResults(500).Do()
		for _, d := range dl.Drafts {
			drafts[d.Message.Id] = true
		}
		l, _ := svc.Users.Messages.List("me").IncludeSpamTrash(true).MaxResults(500).Do()
		var out []string
		for _, m := range l.Messages {
			if !drafts[m.Id] {
				out = append(out, m.Id)
			}
		}
		return out
	}
	labelPool := []string{"STARRED", "UNREAD", "INBOX", "IMPORTANT", "CATEGORY_UPDATES"}
	for i := range 60 {
		svc := []*gmail.Service{ada, grace}[rng.IntN(2)]
		all := ids(svc)
		id := all[rng.IntN(len(all))]
		var err error
		switch op := rng.IntN(7); op {
		case 0:
			_, err = svc.Users.Messages.Modify("me", id, &gmail.ModifyMessageRequest{
				AddLabelIds: []string{labelPool[rng.IntN(len(labelPool))]}, RemoveLabelIds: []string{labelPool[rng.IntN(len(labelPool))]}}).Do()
		case 1:
			_, err = svc.Users.Messages.Trash("me", id).Do()
		case 2:
			_, err = svc.Users.Messages.Untrash("me", id).Do()
		case 3:
			err = svc.Users.Messages.Delete("me", id).Do()
		case 4:
			to := []string{"ada@example.com", "grace@example.com", "x@outside.test"}[rng.IntN(3)]
			_, err = svc.Users.Messages.Send("me", &gmail.Message{Raw: rawMsg(fmt.Sprintf("To: %s\nSubject: change %d\n\nbody\n", to, i))}).Do()
		case 5:
			m, _ := svc.Users.Messages.Get("me", id).Format("minimal").Do()
			_, err = svc.Users.Threads.Modify("me", m.ThreadId, &gmail.ModifyThreadRequest{AddLabelIds: []string{"IMPORTANT"}, RemoveLabelIds: []string{"UNREAD"}}).Do()
		case 6:
			var d *gmail.Draft
			d, err = svc.Users.Drafts.Create("me", &gmail.Draft{Message: &gmail.Message{Raw: rawMsg("To: ada@example.com\nSubject: d\n\nx\n")}}).Do()
			if err == nil && rng.IntN(2) == 0 {
				_, err = svc.Users.Drafts.Send("me", &gmail.Draft{Id: d.Id}).Do()
			}
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	for _, m := range mirrors {
		for _, h := range historyOf(t, m.svc, m.start, func(c *gmail.UsersHistoryListCall) { c.MaxResults(3) }) {
			for _, a := range h.MessagesAdded {
				m.labels[a.Message.Id] = slices.Clone(a.Message.LabelIds)
			}
			for _, d := range h.MessagesDeleted {
				delete(m.labels, d.Message.Id)
			}
			for _, c := range h.LabelsAdded {
				if ls, ok := m.labels[c.Message.Id]; ok {
					for _, l := range c.LabelIds {
						if !slices.Contains(ls, l) {
							ls = append(ls, l)
						}
					}
					m.labels[c.Message.Id] = ls
				}
			}
			for _, c := range h.LabelsRemoved {
				if ls, ok := m.labels[c.Message.Id]; ok {
					m.labels[c.Message.Id] = slices.DeleteFunc(ls, func(l string) bool { return slices.Contains(c.LabelIds, l) })
				}
			}
		}
		want := full(m.svc)
		if len(want) != len(m.labels) {
			t.Errorf("replayed %d messages, mailbox has %d", len(m.labels), len(want))
		}
		for id, ls := range want {
			got := slices.Sorted(slices.Values(m.labels[id]))
			if !slices.Equal(got, ls) {
				t.Errorf("message %s: replayed %v, mailbox %v", id, got, ls)
			}
		}
	}
}
