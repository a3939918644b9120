package mailbox

import (
	"slices"
	"time"
)

// record is one history entry.
type record struct {
	id            uint64
	at            time.Time
	added         []*entry
	deleted       []*entry
	labelsAdded   []labelChange
	labelsRemoved []labelChange
}

type labelChange struct {
	e      *entry
	labels []string
}

// HistoryRecord is one history entry as history.list returns it.
type HistoryRecord struct {
	ID              uint64
	Messages        []MessageView // every message the record touches
	MessagesAdded   []MessageView
	MessagesDeleted []MessageView
	LabelsAdded     []LabelChange
	LabelsRemoved   []LabelChange
}

// LabelChange is a labelsAdded or labelsRemoved item.
type LabelChange struct {
	Message  MessageView
	LabelIDs []string
}

// HistoryOptions are history.list's parameters.
type HistoryOptions struct {
	StartHistoryID uint64
	LabelID        string
	Types          []string // messageAdded, messageDeleted, labelAdded, labelRemoved; empty = all
	MaxResults     int
	PageToken      string
}

// nextHistory advances the history id. The caller holds the write lock.
func (s *Store) nextHistory() uint64 {
	s.historyID += 1 + s.seq%3 // ids grow, and not by one, as Gmail's do
	return s.historyID
}

// record appends a history record, stamping the touched messages with its
// id, and forgets the records retention no longer keeps. The caller holds
// the write lock.
func (s *Store) record(r record) {
	r.id = s.nextHistory()
	r.at = s.now()
	for _, e := range r.added {
		e.historyID = r.id
	}
	for _, e := range r.deleted {
		e.historyID = r.id
	}
	for _, c := range append(slices.Clone(r.labelsAdded), r.labelsRemoved...) {
		c.e.historyID = r.id
	}
	s.history = append(s.history, r)
	s.changed = r.id
	s.prune()
}

// floor is the oldest start id still answered, counting records that
// have aged out since the last write. The caller holds a lock.
func (s *Store) floor() uint64 {
	f := s.oldest
	if s.retainAge > 0 {
		cut := s.now().Add(-s.retainAge)
		for _, r := range s.history {
			if !r.at.Before(cut) {
				break
			}
			f = r.id
		}
	}
	return f
}

// History lists the records after opt.StartHistoryID, oldest first, and
// the current history id. A start id older than the retained history gives
// ErrHistoryGone: the client must do a full sync.
func (s *Store) History(opt HistoryOptions) (Page[HistoryRecord], uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if opt.StartHistoryID < s.floor() {
		return Page[HistoryRecord]{}, 0, ErrHistoryGone
	}
	want := func(t string) bool { return len(opt.Types) == 0 || slices.Contains(opt.Types, t) }
	labelled := func(e *entry) bool { return opt.LabelID == "" || slices.Contains(e.labels, opt.LabelID) }
	var out []HistoryRecord
	for _, r := range s.history {
		if r.id <= opt.StartHistoryID {
			continue
		}
		h := HistoryRecord{ID: r.id}
		if want("messageAdded") {
			for _, e := range r.added {
				if labelled(e) {
					h.MessagesAdded = append(h.MessagesAdded, s.view(e))
				}
			}
		}
		changes := func(cs []labelChange) []LabelChange {
			var out []LabelChange
			for _, c := range cs {
				if labelled(c.e) || slices.Contains(c.labels, opt.LabelID) {
					out = append(out, LabelChange{Message: s.view(c.e), LabelIDs: c.labels})
				}
			}
			return out
		}
		if want("messageDeleted") {
			for _, e := range r.deleted {
				if labelled(e) {
					h.MessagesDeleted = append(h.MessagesDeleted, s.view(e))
				}
			}
		}
		if want("labelAdded") {
			h.LabelsAdded = changes(r.labelsAdded)
		}
		if want("labelRemoved") {
			h.LabelsRemoved = changes(r.labelsRemoved)
		}
		h.Messages = append(h.Messages, h.MessagesAdded...)
		h.Messages = append(h.Messages, h.MessagesDeleted...)
		for _, c := range append(slices.Clone(h.LabelsAdded), h.LabelsRemoved...) {
			h.Messages = append(h.Messages, c.Message)
		}
		if len(h.Messages) > 0 {
			out = append(out, h)
		}
	}
	p, err := paginate(out, ListOptions{MaxResults: opt.MaxResults, PageToken: opt.PageToken}, s.pageEpoch, func(h HistoryRecord) HistoryRecord { return h })
	return p, s.historyID, err
}

// OnChange registers f to be called after every change that writes history
// (a delivery, a sent or inserted message, a label change, a deletion) with
// the mailbox's new history id. f runs on the writer's goroutine after the
// store is unlocked, so it may read the store; it should return quickly.
// Changes made by concurrent writers may be announced once, with the latest
// id.
func (s *Store) OnChange(f func(historyID uint64)) {
	s.hookMu.Lock()
	s.hooks = append(s.hooks, f)
	s.hookMu.Unlock()
}

// unlock releases the write lock and announces a change recorded under it.
func (s *Store) unlock() {
	id := s.changed
	s.changed = 0
	s.mu.Unlock()
	if id == 0 {
		return
	}
	s.hookMu.Lock()
	hooks := slices.Clone(s.hooks)
	s.hookMu.Unlock()
	for _, f := range hooks {
		f(id)
	}
}
