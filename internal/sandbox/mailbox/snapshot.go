package mailbox

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// StoreState is everything a Store holds, as plain data that encodes to
// JSON: Snapshot takes it and Restore puts it back, so that a sandbox can
// keep its mailboxes across a restart. A new field of Store that changes at
// run time belongs here too (and in both methods).
type StoreState struct {
	Seq       uint64 `json:"seq"`
	HistoryID uint64 `json:"history_id"`
	Oldest    uint64 `json:"oldest"`
	// Entries are the live messages, then messages only history still
	// names (deleted ones); records refer to them by index.
	Entries    []EntryState      `json:"entries"`
	Threads    []ThreadState     `json:"threads"`
	UserLabels []Label           `json:"user_labels,omitempty"`
	LabelIDs   map[string]string `json:"label_ids,omitempty"`
	DraftIDs   []string          `json:"draft_ids,omitempty"`
	History    []RecordState     `json:"history,omitempty"`
	// Generated are the options of the synthetic mailboxes Generate added;
	// their messages are kept as references (EntryState.Gen), not bytes.
	Generated []GenerateOptions `json:"generated,omitempty"`
}

// EntryState is one message with its labels and history id.
type EntryState struct {
	ID        string    `json:"id"`
	ThreadID  string    `json:"thread_id"`
	Date      time.Time `json:"date"`
	Raw       []byte    `json:"raw,omitempty"`
	Gen       *GenRef   `json:"gen,omitempty"` // a generated message, instead of Raw
	Labels    []string  `json:"labels"`
	HistoryID uint64    `json:"history_id"`
	DraftID   string    `json:"draft_id,omitempty"`
	Deleted   bool      `json:"deleted,omitempty"`
}

// GenRef names a generated message: its index in the mailbox that
// StoreState.Generated[Set] describes.
type GenRef struct {
	Set   int `json:"set"`
	Index int `json:"index"`
}

// ThreadState is a thread: its id, threading key and messages, oldest
// first, as indexes into StoreState.Entries.
type ThreadState struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Msgs []int  `json:"msgs"`
}

// RecordState is one history record.
type RecordState struct {
	ID            uint64             `json:"id"`
	At            time.Time          `json:"at"`
	Added         []int              `json:"added,omitempty"`
	Deleted       []int              `json:"deleted,omitempty"`
	LabelsAdded   []LabelChangeState `json:"labels_added,omitempty"`
	LabelsRemoved []LabelChangeState `json:"labels_removed,omitempty"`
}

// LabelChangeState is a label change of the entry at index Entry.
type LabelChangeState struct {
	Entry  int      `json:"entry"`
	Labels []string `json:"labels"`
}

// Snapshot returns the store's whole state.
func (s *Store) Snapshot() StoreState {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := StoreState{
		Seq:       s.seq,
		HistoryID: s.historyID,
		Oldest:    s.oldest,
		DraftIDs:  slices.Clone(s.draftIDs),
		LabelIDs:  map[string]string{},
	}
	index := map[*entry]int{}
	sets := map[*generator]int{}
	add := func(e *entry, deleted bool) int {
		if i, ok := index[e]; ok {
			return i
		}
		index[e] = len(st.Entries)
		es := EntryState{
			ID: e.m.ID, ThreadID: e.m.ThreadID, Date: e.m.Date,
			Labels: slices.Clone(e.labels), HistoryID: e.historyID, DraftID: e.draftID, Deleted: deleted,
		}
		if g := e.m.gen; g != nil {
			set, ok := sets[g]
			if !ok {
				set = len(st.Generated)
				sets[g] = set
				st.Generated = append(st.Generated, g.opt)
			}
			es.Gen = &GenRef{Set: set, Index: int(e.m.gi)}
		} else {
			es.Raw = e.m.Raw()
		}
		st.Entries = append(st.Entries, es)
		return index[e]
	}
	// Oldest first, so that a restore indexes Message-IDs as loading did.
	for i := len(s.byDate) - 1; i >= 0; i-- {
		add(s.byDate[i], false)
	}
	ids := make([]string, 0, len(s.threads))
	for id := range s.threads {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t := s.threads[id]
		ts := ThreadState{ID: t.id, Key: t.key}
		for _, e := range t.msgs {
			ts.Msgs = append(ts.Msgs, add(e, false))
		}
		st.Threads = append(st.Threads, ts)
	}
	for _, l := range s.userLabels {
		st.UserLabels = append(st.UserLabels, *l)
	}
	for k, v := range s.labelIDs {
		st.LabelIDs[k] = v
	}
	changes := func(cs []labelChange) []LabelChangeState {
		var out []LabelChangeState
		for _, c := range cs {
			out = append(out, LabelChangeState{Entry: add(c.e, true), Labels: slices.Clone(c.labels)})
		}
		return out
	}
	for _, r := range s.history {
		rs := RecordState{ID: r.id, At: r.at}
		for _, e := range r.added {
			rs.Added = append(rs.Added, add(e, true))
		}
		for _, e := range r.deleted {
			rs.Deleted = append(rs.Deleted, add(e, true))
		}
		rs.LabelsAdded = changes(r.labelsAdded)
		rs.LabelsRemoved = changes(r.labelsRemoved)
		st.History = append(st.History, rs)
	}
	return st
}

// Restore replaces the store's messages, threads, labels, drafts and
// history with st; ids, history ids and thread membership are kept, and
// ids allocated afterwards continue from where st left off. Retention and
// change hooks are not touched. A state that does not hold together is an
// error, and the store is left as it was.
func (s *Store) Restore(st StoreState) error {
	gens := make([]*generator, len(st.Generated))
	for i, opt := range st.Generated {
		if opt.Count <= 0 || opt.Count > maxGenerate {
			return fmt.Errorf("mailbox state: generated mailbox %d has %d messages", i, opt.Count)
		}
		gens[i] = newGenerator(opt)
	}
	entries := make([]*entry, len(st.Entries))
	var pending []*Message // generated, their bodies indexed after the swap
	for i, es := range st.Entries {
		var m *Message
		switch {
		case es.Gen != nil:
			if es.Gen.Set < 0 || es.Gen.Set >= len(gens) || es.Gen.Index < 0 || es.Gen.Index >= len(gens[es.Gen.Set].msgs) {
				return fmt.Errorf("mailbox state: message %s names generated message %d of set %d, which does not exist", es.ID, es.Gen.Index, es.Gen.Set)
			}
			m = gens[es.Gen.Set].headMessage(es.Gen.Index)
			pending = append(pending, m)
		default:
			m = Parse(es.Raw, es.Date)
		}
		m.Date = es.Date
		m.ID = es.ID
		m.ThreadID = es.ThreadID
		entries[i] = &entry{m: m, labels: slices.Clone(es.Labels), historyID: es.HistoryID, draftID: es.DraftID}
	}
	at := func(i int) (*entry, error) {
		if i < 0 || i >= len(entries) {
			return nil, fmt.Errorf("mailbox state: entry %d out of range", i)
		}
		return entries[i], nil
	}
	msgs := map[string]*entry{}
	byDate := []*entry{}
	byMessageID := map[string]*entry{}
	drafts := map[string]*entry{}
	for i, e := range entries {
		if st.Entries[i].Deleted {
			continue
		}
		if msgs[e.m.ID] != nil {
			return fmt.Errorf("mailbox state: message %s appears twice", e.m.ID)
		}
		msgs[e.m.ID] = e
		byDate = append(byDate, e)
		if e.m.messageID != "" && byMessageID[e.m.messageID] == nil {
			byMessageID[e.m.messageID] = e
		}
		if e.draftID != "" {
			drafts[e.draftID] = e
		}
	}
	sort.SliceStable(byDate, func(i, j int) bool { return newer(byDate[i], byDate[j]) })
	threads := map[string]*thread{}
	byGMThread := map[string]*thread{}
	for _, ts := range st.Threads {
		t := &thread{id: ts.ID, key: ts.Key}
		for _, i := range ts.Msgs {
			e, err := at(i)
			if err != nil {
				return err
			}
			if e.m.ThreadID != t.id {
				return fmt.Errorf("mailbox state: message %s is filed in thread %s but names %s", e.m.ID, t.id, e.m.ThreadID)
			}
			t.msgs = append(t.msgs, e)
		}
		threads[t.id] = t
	}
	for _, e := range byDate {
		if threads[e.m.ThreadID] == nil {
			return fmt.Errorf("mailbox state: message %s names unknown thread %s", e.m.ID, e.m.ThreadID)
		}
	}
	for i := len(byDate) - 1; i >= 0; i-- {
		e := byDate[i]
		if g := e.m.gmThreadID; g != "" && byGMThread[g] == nil {
			byGMThread[g] = threads[e.m.ThreadID]
		}
	}
	for _, id := range st.DraftIDs {
		if drafts[id] == nil {
			return fmt.Errorf("mailbox state: draft %s has no message", id)
		}
	}
	var history []record
	changes := func(cs []LabelChangeState) ([]labelChange, error) {
		var out []labelChange
		for _, c := range cs {
			e, err := at(c.Entry)
			if err != nil {
				return nil, err
			}
			out = append(out, labelChange{e: e, labels: slices.Clone(c.Labels)})
		}
		return out, nil
	}
	for _, rs := range st.History {
		r := record{id: rs.ID, at: rs.At}
		var err error
		for _, i := range rs.Added {
			e, err := at(i)
			if err != nil {
				return err
			}
			r.added = append(r.added, e)
		}
		for _, i := range rs.Deleted {
			e, err := at(i)
			if err != nil {
				return err
			}
			r.deleted = append(r.deleted, e)
		}
		if r.labelsAdded, err = changes(rs.LabelsAdded); err != nil {
			return err
		}
		if r.labelsRemoved, err = changes(rs.LabelsRemoved); err != nil {
			return err
		}
		history = append(history, r)
	}
	if st.HistoryID == 0 {
		return errors.New("mailbox state: no history id")
	}
	var userLabels []*Label
	for _, l := range st.UserLabels {
		userLabels = append(userLabels, &l)
	}
	labelIDs := map[string]string{}
	for k, v := range st.LabelIDs {
		labelIDs[k] = v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq, s.historyID, s.oldest = st.Seq, st.HistoryID, st.Oldest
	s.msgs, s.byDate, s.threads = msgs, byDate, threads
	s.byMessageID, s.byGMThread = byMessageID, byGMThread
	s.userLabels, s.labelIDs = userLabels, labelIDs
	s.drafts, s.draftIDs = drafts, slices.Clone(st.DraftIDs)
	s.history = history
	s.changed = 0
	if len(pending) > 0 {
		s.indexLater(pending)
	}
	return nil
}
