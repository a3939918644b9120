package mailbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func msg(from, subject, id, inReplyTo, date string) []byte {
	h := fmt.Sprintf("From: %s\r\nTo: me@example.com\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: %s\r\n", from, subject, id, date)
	if inReplyTo != "" {
		h += "In-Reply-To: <" + inReplyTo + ">\r\nReferences: <" + inReplyTo + ">\r\n"
	}
	return []byte(h + "\r\nbody of " + subject + "\r\n")
}

// roundTrip encodes a snapshot as the state file does and restores it
// into a new store.
func roundTrip(t *testing.T, s *Store, now func() time.Time) *Store {
	t.Helper()
	data, err := json.Marshal(s.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var st StoreState
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	r := NewStore(now)
	if err := r.Restore(st); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(r.Snapshot())
	if !bytes.Equal(data, again) {
		t.Fatalf("snapshot changed by a round trip:\n%s\n%s", data, again)
	}
	return r
}

func TestSnapshotRoundTripKeepsEverything(t *testing.T) {
	clk := time.Date(2026, 3, 25, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return clk }
	s := NewStore(now)
	var loaded []*Message
	for _, raw := range [][]byte{
		msg("mary@example.com", "Dinner", "a@x", "", "Mon, 23 Mar 2026 10:00:00 +0000"),
		msg("me@example.com", "Re: Dinner", "b@x", "a@x", "Mon, 23 Mar 2026 11:00:00 +0000"),
		msg("it@example.com", "Password", "c@x", "", "Tue, 24 Mar 2026 09:00:00 +0100"),
	} {
		loaded = append(loaded, Parse(raw, clk))
	}
	s.Load(loaded)
	d := s.Deliver(msg("mary@example.com", "Re: Dinner", "d@x", "b@x", "Wed, 25 Mar 2026 08:00:00 +0000"))
	if _, err := s.Modify(d.ID, []string{Starred}, []string{Unread}); err != nil {
		t.Fatal(err)
	}
	name := "Trips"
	l, err := s.CreateLabel(LabelSpec{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Modify(d.ID, []string{l.ID}, nil); err != nil {
		t.Fatal(err)
	}
	draft := s.CreateDraft(msg("me@example.com", "Re: Dinner", "e@x", "d@x", ""), d.ThreadID)
	if draft.Message.ThreadID != d.ThreadID {
		t.Fatalf("draft in thread %s, want %s", draft.Message.ThreadID, d.ThreadID)
	}
	upd, err := s.UpdateDraft(draft.ID, msg("me@example.com", "Re: Dinner", "f@x", "d@x", ""), "")
	if err != nil {
		t.Fatal(err)
	}
	sent := s.Send(msg("me@example.com", "Lunch?", "g@x", "", ""), "", false)
	pw, _ := s.ListMessages(ListOptions{Query: "subject:password"})
	if len(pw.Items) != 1 {
		t.Fatalf("password message: %d", len(pw.Items))
	}
	if err := s.Delete(pw.Items[0].ID); err != nil {
		t.Fatal(err)
	}

	r := roundTrip(t, s, now)

	n1, t1, h1 := s.Profile()
	n2, t2, h2 := r.Profile()
	if n1 != n2 || t1 != t2 || h1 != h2 {
		t.Fatalf("profile %d/%d/%d, restored %d/%d/%d", n1, t1, h1, n2, t2, h2)
	}
	th, err := r.Thread(d.ThreadID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range th.Messages {
		ids = append(ids, m.ID)
	}
	want, _ := s.Thread(d.ThreadID)
	var wantIDs []string
	for _, m := range want.Messages {
		wantIDs = append(wantIDs, m.ID)
	}
	if strings.Join(ids, ",") != strings.Join(wantIDs, ",") || len(ids) != 4 {
		t.Fatalf("thread %v, want %v", ids, wantIDs)
	}
	got, err := r.Draft(draft.ID)
	if err != nil || got.Message.ID != upd.Message.ID || got.Message.ThreadID != d.ThreadID {
		t.Fatalf("draft after restore: %+v %v", got, err)
	}
	m, err := r.Message(d.ID)
	if err != nil || strings.Join(m.LabelIDs, ",") != strings.Join(must(s.Message(d.ID)).LabelIDs, ",") {
		t.Fatalf("labels after restore: %v %v", m.LabelIDs, err)
	}
	if _, err := r.Message(sent.ID); err != nil {
		t.Fatal("sent message lost")
	}
	hs, _, err := s.History(HistoryOptions{StartHistoryID: s.Snapshot().Oldest})
	if err != nil {
		t.Fatal(err)
	}
	hr, _, err := r.History(HistoryOptions{StartHistoryID: s.Snapshot().Oldest})
	if err != nil || len(hr.Items) != len(hs.Items) {
		t.Fatalf("history %d records, restored %d (%v)", len(hs.Items), len(hr.Items), err)
	}
	for i := range hs.Items {
		if hs.Items[i].ID != hr.Items[i].ID || len(hs.Items[i].Messages) != len(hr.Items[i].Messages) {
			t.Fatalf("history record %d differs", i)
		}
	}
	// A reply to a restored message still joins its thread, and both
	// stores allocate the same next ids.
	reply := msg("mary@example.com", "Re: Dinner", "h@x", "d@x", "Wed, 25 Mar 2026 13:00:00 +0000")
	a, b := s.Deliver(reply), r.Deliver(reply)
	if a.ID != b.ID || a.ThreadID != b.ThreadID || a.HistoryID != b.HistoryID || b.ThreadID != d.ThreadID {
		t.Fatalf("next delivery: %s/%s/%d, restored %s/%s/%d", a.ID, a.ThreadID, a.HistoryID, b.ID, b.ThreadID, b.HistoryID)
	}
	name2 := "Work"
	la, _ := s.CreateLabel(LabelSpec{Name: &name2})
	lb, _ := r.CreateLabel(LabelSpec{Name: &name2})
	if la.ID != lb.ID {
		t.Fatalf("next label %s, restored %s", la.ID, lb.ID)
	}
	da := s.CreateDraft(msg("me@example.com", "New", "i@x", "", ""), "")
	db := r.CreateDraft(msg("me@example.com", "New", "i@x", "", ""), "")
	if da.ID != db.ID || da.Message.ID != db.Message.ID {
		t.Fatalf("next draft %s/%s, restored %s/%s", da.ID, da.Message.ID, db.ID, db.Message.ID)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestRestoreRefusesBrokenState(t *testing.T) {
	now := time.Now
	s := NewStore(now)
	s.Deliver(msg("a@example.com", "Hi", "a@x", "", ""))
	st := s.Snapshot()
	st.Threads[0].Msgs = append(st.Threads[0].Msgs, 42)
	r := NewStore(now)
	if err := r.Restore(st); err == nil {
		t.Fatal("a state naming a missing entry was restored")
	}
	if n, _, _ := r.Profile(); n != 0 {
		t.Fatalf("a refused restore changed the store: %d messages", n)
	}
}
