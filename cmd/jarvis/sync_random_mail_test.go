package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"

	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// mailDriver makes the random run's mailbox changes: every kind of change a
// user or a correspondent makes in Gmail, through the official client (the
// deliveries from outside through the sandbox).
type mailDriver struct {
	t     *testing.T
	sb    *sandbox.Server
	rng   *rand.Rand
	users []string
	gm    map[string]*gmail.Service
	// known are message ids each mailbox has (or had: an id gone meanwhile
	// makes its operation a 404, which is part of the game); drafts and
	// labels its draft and user label ids.
	known  map[string][]string
	drafts map[string][]string
	labels map[string][]string
}

func newMailDriver(t *testing.T, sb *sandbox.Server, rng *rand.Rand, users []string, gm map[string]*gmail.Service) *mailDriver {
	d := &mailDriver{t: t, sb: sb, rng: rng, users: users, gm: gm, known: map[string][]string{}, drafts: map[string][]string{},
		labels: map[string][]string{}}
	for _, u := range users {
		list, err := gm[u].Users.Messages.List("me").IncludeSpamTrash(true).MaxResults(500).Do()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range list.Messages {
			d.known[u] = append(d.known[u], m.Id)
		}
	}
	return d
}

func (d *mailDriver) pick(s []string) string { return s[d.rng.IntN(len(s))] }

// modifiable are the labels the run adds and removes (SPAM and TRASH have
// their own operations).
func (d *mailDriver) modifiable(u string) []string {
	return append([]string{"UNREAD", "STARRED", "IMPORTANT", "INBOX"}, d.labels[u]...)
}

// labelChange is a random addition or removal of one label.
func (d *mailDriver) labelChange(u string) (add, remove []string) {
	l := d.pick(d.modifiable(u))
	if d.rng.IntN(2) == 0 {
		return []string{l}, nil
	}
	return nil, []string{l}
}

// threadOf returns the thread of one of the user's messages ("" when it is
// gone).
func (d *mailDriver) threadOf(u, id string) string {
	m, err := d.gm[u].Users.Messages.Get("me", id).Format("minimal").Do()
	if err != nil {
		return ""
	}
	return m.ThreadId
}

// reply is a message from one user to another answering message id of the
// sender's mailbox, with the headers Gmail threads by, and that message's
// thread (the message itself when it is gone).
func (d *mailDriver) reply(from, to, id string, n int) (raw, threadID string) {
	subject, ref := fmt.Sprintf("Topic %d", n), ""
	if m, err := d.gm[from].Users.Messages.Get("me", id).Format("metadata").MetadataHeaders("Subject", "Message-ID").Do(); err == nil {
		threadID = m.ThreadId
		for _, h := range m.Payload.Headers {
			switch strings.ToLower(h.Name) {
			case "subject":
				subject = "Re: " + strings.TrimPrefix(h.Value, "Re: ")
			case "message-id":
				ref = h.Value
			}
		}
	}
	head := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\n", from, to, subject)
	if ref != "" {
		head += "In-Reply-To: " + ref + "\r\nReferences: " + ref + "\r\n"
	}
	return base64.URLEncoding.EncodeToString([]byte(head + fmt.Sprintf("\r\nReply %d.\r\n", n))), threadID
}

// received records the newest message of the user's mailbox, just
// delivered to them by the other user.
func (d *mailDriver) received(u string) {
	if l, err := d.gm[u].Users.Messages.List("me").MaxResults(1).Do(); err == nil && len(l.Messages) > 0 {
		d.known[u] = append(d.known[u], l.Messages[0].Id)
	}
}

func (d *mailDriver) forget(u string, ids ...string) {
	d.known[u] = slices.DeleteFunc(d.known[u], func(k string) bool { return slices.Contains(ids, k) })
}

// draftDone notes the end of an operation on a draft: gone (sent or
// deleted, or found gone with its thread) or still there; ok reports that
// the operation was done. Any failure but a 404 fails the test.
func (d *mailDriver) draftDone(u, id string, err error, gone bool) (ok bool) {
	var ge *googleapi.Error
	if errors.As(err, &ge) && ge.Code == http.StatusNotFound {
		gone = true // deleted with its thread
	} else if err != nil {
		d.t.Fatalf("draft %s: %v", id, err)
	}
	if gone {
		d.drafts[u] = slices.DeleteFunc(d.drafts[u], func(k string) bool { return k == id })
	}
	return err == nil
}

// step makes operation i: one random change to one of the mailboxes.
// Failures Gmail answers for ids gone meanwhile are ignored; a change that
// must succeed fails the test.
func (d *mailDriver) step(i int) {
	t := d.t
	u := d.pick(d.users)
	other := d.users[0]
	if u == other {
		other = d.users[1]
	}
	g := d.gm[u]
	must := func(what string, err error) {
		if err != nil {
			t.Fatalf("op %d %s: %v", i, what, err)
		}
	}
	switch op := d.rng.IntN(40); {
	case op < 5 || len(d.known[u]) == 0: // mail from outside
		id, _, err := d.sb.Deliver(u, fmt.Appendf(nil, "From: Someone <s%d@example.org>\r\nTo: %s\r\nSubject: Note %d\r\n\r\nBody %d.\r\n", i, u, i, i))
		must("deliver", err)
		d.known[u] = append(d.known[u], id)
	case op < 8: // a new conversation with the other user
		sent, err := g.Users.Messages.Send("me", &gmail.Message{Raw: rawMail(u, other, fmt.Sprintf("Topic %d", i))}).Do()
		must("send", err)
		d.known[u] = append(d.known[u], sent.Id)
		d.received(other)
	case op < 11: // a reply in one of the user's threads
		raw, thread := d.reply(u, other, d.pick(d.known[u]), i)
		sent, err := g.Users.Messages.Send("me", &gmail.Message{Raw: raw, ThreadId: thread}).Do()
		must("send reply", err)
		d.known[u] = append(d.known[u], sent.Id)
		d.received(other)
	case op < 13: // the other user replies in a thread they share
		if len(d.known[other]) == 0 {
			return
		}
		raw, thread := d.reply(other, u, d.pick(d.known[other]), i)
		sent, err := d.gm[other].Users.Messages.Send("me", &gmail.Message{Raw: raw, ThreadId: thread}).Do()
		must("send other's reply", err)
		d.known[other] = append(d.known[other], sent.Id)
		d.received(u)
	case op < 17: // one message's labels
		add, remove := d.labelChange(u)
		_, _ = g.Users.Messages.Modify("me", d.pick(d.known[u]), &gmail.ModifyMessageRequest{AddLabelIds: add, RemoveLabelIds: remove}).Do()
	case op < 19: // a whole thread's labels
		if th := d.threadOf(u, d.pick(d.known[u])); th != "" {
			add, remove := d.labelChange(u)
			_, _ = g.Users.Threads.Modify("me", th, &gmail.ModifyThreadRequest{AddLabelIds: add, RemoveLabelIds: remove}).Do()
		}
	case op < 20: // several messages at once
		add, remove := d.labelChange(u)
		ids := []string{d.pick(d.known[u]), d.pick(d.known[u]), d.pick(d.known[u])}
		_ = g.Users.Messages.BatchModify("me", &gmail.BatchModifyMessagesRequest{Ids: ids, AddLabelIds: add, RemoveLabelIds: remove}).Do()
	case op < 21:
		_, _ = g.Users.Messages.Trash("me", d.pick(d.known[u])).Do()
	case op < 22:
		_, _ = g.Users.Messages.Untrash("me", d.pick(d.known[u])).Do()
	case op < 23:
		if th := d.threadOf(u, d.pick(d.known[u])); th != "" {
			_, _ = g.Users.Threads.Trash("me", th).Do()
		}
	case op < 24:
		if th := d.threadOf(u, d.pick(d.known[u])); th != "" {
			_, _ = g.Users.Threads.Untrash("me", th).Do()
		}
	case op < 25: // reported as spam, or not spam after all
		req := &gmail.ModifyMessageRequest{AddLabelIds: []string{"SPAM"}, RemoveLabelIds: []string{"INBOX"}}
		if d.rng.IntN(2) == 0 {
			req = &gmail.ModifyMessageRequest{AddLabelIds: []string{"INBOX"}, RemoveLabelIds: []string{"SPAM"}}
		}
		if d.rng.IntN(2) == 0 {
			_, _ = g.Users.Messages.Modify("me", d.pick(d.known[u]), req).Do()
		} else if th := d.threadOf(u, d.pick(d.known[u])); th != "" {
			_, _ = g.Users.Threads.Modify("me", th, &gmail.ModifyThreadRequest{AddLabelIds: req.AddLabelIds, RemoveLabelIds: req.RemoveLabelIds}).Do()
		}
	case op < 26:
		id := d.pick(d.known[u])
		if err := g.Users.Messages.Delete("me", id).Do(); err == nil {
			d.forget(u, id)
		}
	case op < 27:
		if th := d.threadOf(u, d.pick(d.known[u])); th != "" {
			full, err := g.Users.Threads.Get("me", th).Format("minimal").Do()
			if err == nil && g.Users.Threads.Delete("me", th).Do() == nil {
				for _, m := range full.Messages {
					d.forget(u, m.Id)
				}
			}
		}
	case op < 29: // a draft, sometimes a reply in a thread
		msg := &gmail.Message{Raw: rawMail(u, other, fmt.Sprintf("Draft %d", i))}
		if d.rng.IntN(2) == 0 {
			msg.Raw, msg.ThreadId = d.reply(u, other, d.pick(d.known[u]), i)
		}
		dr, err := g.Users.Drafts.Create("me", &gmail.Draft{Message: msg}).Do()
		must("create draft", err)
		d.drafts[u] = append(d.drafts[u], dr.Id)
	case op < 30: // a draft edited (its message replaced)
		if len(d.drafts[u]) > 0 {
			id := d.pick(d.drafts[u])
			msg := &gmail.Message{Raw: rawMail(u, other, fmt.Sprintf("Draft %d, edited", i))}
			_, err := g.Users.Drafts.Update("me", id, &gmail.Draft{Message: msg}).Do()
			d.draftDone(u, id, err, false)
		}
	case op < 31: // a draft sent
		if len(d.drafts[u]) > 0 {
			id := d.pick(d.drafts[u])
			sent, err := g.Users.Drafts.Send("me", &gmail.Draft{Id: id}).Do()
			if d.draftDone(u, id, err, true) {
				d.known[u] = append(d.known[u], sent.Id)
				d.received(other)
			}
		}
	case op < 32: // a draft discarded
		if len(d.drafts[u]) > 0 {
			id := d.pick(d.drafts[u])
			d.draftDone(u, id, g.Users.Drafts.Delete("me", id).Do(), true)
		}
	case op < 34: // a message filed directly (messages.insert or import), sometimes into a thread
		labels := []string{"INBOX"}
		if d.rng.IntN(2) == 0 {
			labels = append(labels, "UNREAD")
		}
		if len(d.labels[u]) > 0 && d.rng.IntN(2) == 0 {
			labels = append(labels, d.pick(d.labels[u]))
		}
		msg := &gmail.Message{Raw: base64.URLEncoding.EncodeToString(fmt.Appendf(nil,
			"From: Archive <a%d@example.org>\r\nTo: %s\r\nSubject: Filed %d\r\nDate: %s\r\n\r\nFiled %d.\r\n",
			i, u, i, time.Now().Add(-time.Duration(d.rng.IntN(1000))*time.Hour).Format(time.RFC1123Z), i)), LabelIds: labels}
		if d.rng.IntN(2) == 0 {
			msg.Raw, msg.ThreadId = d.reply(u, u, d.pick(d.known[u]), i)
			msg.LabelIds = labels
		}
		var m *gmail.Message
		var err error
		if d.rng.IntN(2) == 0 {
			m, err = g.Users.Messages.Insert("me", msg).Do()
		} else {
			m, err = g.Users.Messages.Import("me", msg).Do()
		}
		if err == nil {
			d.known[u] = append(d.known[u], m.Id)
		}
	case op < 35: // a user label made
		if len(d.labels[u]) < 4 {
			l, err := g.Users.Labels.Create("me", &gmail.Label{Name: fmt.Sprintf("Project %d", i)}).Do()
			must("create label", err)
			d.labels[u] = append(d.labels[u], l.Id)
		}
	case op < 36: // a user label deleted (taken off its messages)
		if len(d.labels[u]) > 0 {
			id := d.pick(d.labels[u])
			must("delete label", g.Users.Labels.Delete("me", id).Do())
			d.labels[u] = slices.DeleteFunc(d.labels[u], func(k string) bool { return k == id })
		}
	case op == 39 && d.rng.IntN(4) == 0: // every page token issued so far goes stale (a listing in flight starts again)
		if err := d.sb.InvalidatePageTokens(u); err != nil {
			t.Fatal(err)
		}
	default: // more mail from outside
		id, _, err := d.sb.Deliver(u, fmt.Appendf(nil, "From: Other <o%d@example.org>\r\nTo: %s\r\nSubject: Notice %d\r\n\r\nBody %d.\r\n", i, u, i, i))
		must("deliver", err)
		d.known[u] = append(d.known[u], id)
	}
}

// assertThreadsEqualMailbox compares the index's threads with Gmail's:
// the same threads, each with the same messages, message count, unread
// count and labels.
func assertThreadsEqualMailbox(t testing.TB, x *sqldb.MailIndex, accountID string, svc *gmail.Service) {
	t.Helper()
	ctx := context.Background()
	render := func(id string, msgs []string, count, unread int, labels []string) string {
		slices.Sort(msgs)
		labels = slices.Clone(labels)
		slices.Sort(labels)
		return fmt.Sprintf("%s messages=%s count=%d unread=%d labels=%s", id, strings.Join(msgs, ","), count, unread, strings.Join(labels, ","))
	}
	var want []string
	err := svc.Users.Threads.List("me").IncludeSpamTrash(true).MaxResults(500).Pages(ctx, func(l *gmail.ListThreadsResponse) error {
		for _, th := range l.Threads {
			full, err := svc.Users.Threads.Get("me", th.Id).Format("minimal").Do()
			if err != nil {
				return err
			}
			var ids, labels []string
			unread := 0
			for _, m := range full.Messages {
				ids = append(ids, m.Id)
				if slices.Contains(m.LabelIds, "UNREAD") {
					unread++
				}
				for _, l := range m.LabelIds {
					if !slices.Contains(labels, l) {
						labels = append(labels, l)
					}
				}
			}
			want = append(want, render(th.Id, ids, len(full.Messages), unread, labels))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := x.Messages(ctx, accountID)
	if err != nil {
		t.Fatal(err)
	}
	members := map[string][]string{}
	for _, m := range msgs {
		members[m.ThreadID] = append(members[m.ThreadID], m.ID)
	}
	threads, err := x.IndexedThreads(ctx, accountID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, th := range threads {
		got = append(got, render(th.ID, members[th.ID], th.MessageCount, th.UnreadCount, th.Labels))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("the index's threads differ from the mailbox's:\nindex:\n%s\nmailbox:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// labelsDiffer reports how the index's label list differs from Gmail's
// (ids, names, and each label's message and thread counts); "" when they
// agree.
func labelsDiffer(t testing.TB, x *sqldb.MailIndex, accountID string, svc *gmail.Service) string {
	t.Helper()
	got, err := x.Labels(context.Background(), accountID)
	if err != nil {
		t.Fatal(err)
	}
	list, err := svc.Users.Labels.List("me").Do()
	if err != nil {
		t.Fatal(err)
	}
	var index, gmailSide []string
	for _, l := range got {
		index = append(index, fmt.Sprintf("%s %q messages %d/%d threads %d/%d", l.ID, l.Name, l.MessagesTotal, l.MessagesUnread,
			l.ThreadsTotal, l.ThreadsUnread))
	}
	for _, l := range list.Labels {
		full, err := svc.Users.Labels.Get("me", l.Id).Do()
		if err != nil {
			t.Fatal(err)
		}
		gmailSide = append(gmailSide, fmt.Sprintf("%s %q messages %d/%d threads %d/%d", full.Id, full.Name, full.MessagesTotal,
			full.MessagesUnread, full.ThreadsTotal, full.ThreadsUnread))
	}
	slices.Sort(index)
	slices.Sort(gmailSide)
	if slices.Equal(index, gmailSide) {
		return ""
	}
	return fmt.Sprintf("index:\n%s\nGmail:\n%s", strings.Join(index, "\n"), strings.Join(gmailSide, "\n"))
}
