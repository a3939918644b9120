package mailsync

import (
	"slices"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/gmailquery"
)

// Thread is a thread's aggregate as the index keeps it, computed from its
// messages by Summarize.
type Thread struct {
	jarvis.ThreadSummary
	// LastDate is the newest message's InternalDate: the thread's place in
	// a listing, as Gmail orders threads.
	LastDate    time.Time
	UnreadCount int
	HistoryID   uint64
}

// Summarize aggregates a thread's messages as an inbox row shows them, the
// same way the live Gmail listing does: the first non-empty subject; the
// newest message's sender, date and snippet; the senders in order of first
// appearance (me when the message is in SENT); the union of the labels,
// sorted. msgs may come in any order.
func Summarize(threadID string, msgs []Message) Thread {
	msgs = slices.Clone(msgs)
	SortMessages(msgs)
	t := Thread{ThreadSummary: jarvis.ThreadSummary{ID: threadID, Labels: []string{}, Participants: []jarvis.Participant{}}}
	t.MessageCount = len(msgs)
	if len(msgs) == 0 {
		return t
	}
	for _, m := range msgs {
		if t.Subject == "" {
			t.Subject = m.Subject
		}
		t.Participants = AddParticipant(t.Participants, m.From, slices.Contains(m.Labels, "SENT"))
		if slices.Contains(m.Labels, "UNREAD") {
			t.UnreadCount++
		}
		for _, l := range m.Labels {
			if !slices.Contains(t.Labels, l) {
				t.Labels = append(t.Labels, l)
			}
		}
		t.HistoryID = max(t.HistoryID, m.HistoryID)
	}
	last := msgs[len(msgs)-1]
	t.From, t.Date, t.Snippet, t.LastDate = last.From, last.Date, last.Snippet, last.InternalDate
	t.Unread = t.UnreadCount > 0
	slices.Sort(t.Labels)
	return t
}

// SortMessages orders a thread's messages as Gmail does: by InternalDate,
// then by id.
func SortMessages(msgs []Message) {
	slices.SortStableFunc(msgs, func(a, b Message) int {
		if c := a.InternalDate.Compare(b.InternalDate); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// AddParticipant adds a sender to ps unless their address is there already
// (then it only marks them me when this message is the user's): how an
// inbox row names a thread's senders, live or from the index.
func AddParticipant(ps []jarvis.Participant, a jarvis.Address, me bool) []jarvis.Participant {
	if a.Email == "" && a.Name == "" {
		return ps
	}
	for i := range ps {
		if strings.EqualFold(ps[i].Email, a.Email) {
			ps[i].Me = ps[i].Me || me
			if ps[i].Name == "" {
				ps[i].Name = a.Name
			}
			return ps
		}
	}
	return append(ps, jarvis.Participant{Name: a.Name, Email: a.Email, Me: me})
}

// MarkMe marks the participants whose address is the account's own, as
// the inbox names the user "me".
func MarkMe(ps []jarvis.Participant, email string) {
	for i := range ps {
		if email != "" && strings.EqualFold(ps[i].Email, email) {
			ps[i].Me = true
		}
	}
}

// ThreadRow is a thread of one of a user's accounts, as a listing across
// accounts returns it.
type ThreadRow struct {
	AccountID string
	Thread
}

// ThreadFilter selects a page of one account's indexed threads as Gmail's
// threads.list does: the threads with a message that carries Label (when
// set) and matches Query, leaving out messages in Spam and Trash unless the
// query or the label names them; newest first (by the newest message's
// InternalDate, then by id), after After, at most Limit.
type ThreadFilter struct {
	Label string
	Query gmailquery.Query
	After *ThreadCursor
	Limit int
}

// ThreadCursor is a thread's place in a listing: the listing continues with
// the threads that come after it.
type ThreadCursor struct {
	LastDate time.Time
	ID       string
}
