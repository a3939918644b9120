package mailbox

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// More errors a Store returns for writes, each answered by Gmail in its
// own words.
var (
	ErrLabelExists    = errors.New("mailbox: label name exists or conflicts")
	ErrLabelName      = errors.New("mailbox: invalid label name")
	ErrLabelColor     = errors.New("mailbox: label colour not in Gmail's palette")
	ErrSystemLabel    = errors.New("mailbox: system labels cannot be changed")
	ErrLabelNotWanted = errors.New("mailbox: label cannot be set this way")
)

// InvalidLabelError names the label a write refused.
type InvalidLabelError struct{ ID string }

func (e *InvalidLabelError) Error() string { return "Invalid label: " + e.ID }

// Is makes an InvalidLabelError match ErrInvalidLabel.
func (e *InvalidLabelError) Is(target error) bool { return target == ErrInvalidLabel }

// Send files a message the account sends: SENT, dated now, joining
// threadID by Gmail's rule (the thread exists, the message's
// In-Reply-To/References name one of its messages, and the subject
// matches), else a new thread. When the account sends to itself the
// message is also in its INBOX, UNREAD, as Gmail shows it.
func (s *Store) Send(raw []byte, threadID string, toSelf bool) MessageView {
	m := Parse(raw, s.now())
	m.Date = s.now()
	s.mu.Lock()
	defer s.unlock()
	labels := []string{Sent}
	if toSelf {
		labels = []string{Inbox, Sent, Unread}
	}
	e := s.insertInto(m, threadID, labels)
	s.record(record{added: []*entry{e}})
	return s.view(e)
}

// InsertOptions are messages.insert's and messages.import's parameters.
type InsertOptions struct {
	ThreadID string
	LabelIDs []string
	// ReceivedTime dates the message now instead of by its Date header.
	ReceivedTime bool
}

// Insert files a message directly, as messages.insert and messages.import
// do: the given labels (all must exist), threaded by headers or by
// ThreadID under Gmail's rule.
func (s *Store) Insert(raw []byte, opt InsertOptions) (MessageView, error) {
	m := Parse(raw, s.now())
	if opt.ReceivedTime {
		m.Date = s.now()
	}
	s.mu.Lock()
	defer s.unlock()
	labels := slices.Clone(opt.LabelIDs)
	for _, l := range labels {
		if !s.knownLabel(l) {
			return MessageView{}, &InvalidLabelError{l}
		}
	}
	labels = slices.Compact(sortedCopy(labels))
	var e *entry
	if opt.ThreadID != "" {
		e = s.insertInto(m, opt.ThreadID, labels)
	} else {
		e = s.insert(m, labels, "")
	}
	s.record(record{added: []*entry{e}})
	return s.view(e), nil
}

func sortedCopy(ids []string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	sortLabels(ids)
	return ids
}

// insertInto files m with labels under threadID when Gmail's rule lets it
// join, else in a thread of its own. The caller holds the write lock.
func (s *Store) insertInto(m *Message, threadID string, labels []string) *entry {
	m.ID = s.newID(m.Date)
	e := &entry{m: m, labels: sortedCopy(labels)}
	t := s.threads[threadID]
	if t == nil || t.key != m.subjectKey || !s.refersInto(m, t) {
		t = &thread{id: m.ID, key: m.subjectKey}
		s.threads[t.id] = t
	}
	s.file(e, t)
	return e
}

// change applies label additions and removals to entries and records one
// history record for all of them. The caller holds the write lock and has
// checked the labels.
func (s *Store) change(es []*entry, add, remove []string) {
	var r record
	for _, e := range es {
		var added, removed []string
		for _, l := range add {
			if !slices.Contains(e.labels, l) {
				e.labels = append(e.labels, l)
				added = append(added, l)
			}
		}
		for _, l := range remove {
			if i := slices.Index(e.labels, l); i >= 0 && !slices.Contains(add, l) {
				e.labels = slices.Delete(e.labels, i, i+1)
				removed = append(removed, l)
			}
		}
		sortLabels(e.labels)
		if len(added) > 0 {
			r.labelsAdded = append(r.labelsAdded, labelChange{e, added})
		}
		if len(removed) > 0 {
			r.labelsRemoved = append(r.labelsRemoved, labelChange{e, removed})
		}
	}
	if len(r.labelsAdded)+len(r.labelsRemoved) > 0 {
		s.record(r)
	}
}

// checkModify checks the labels of a modify: every one must exist, and
// DRAFT and SENT cannot be added or removed by modify, as in Gmail.
func (s *Store) checkModify(add, remove []string) error {
	for _, l := range append(slices.Clone(add), remove...) {
		if !s.knownLabel(l) || l == Draft || l == Sent && slices.Contains(add, l) {
			return &InvalidLabelError{l}
		}
	}
	return nil
}

// ModifyThread adds and removes labels on every message of a thread.
func (s *Store) ModifyThread(id string, add, remove []string) (ThreadView, error) {
	s.mu.Lock()
	defer s.unlock()
	t := s.threads[id]
	if t == nil {
		return ThreadView{}, ErrNotFound
	}
	if err := s.checkModify(add, remove); err != nil {
		return ThreadView{}, err
	}
	s.change(t.msgs, add, remove)
	return s.threadView(t), nil
}

// BatchModify changes the labels of many messages; unknown ids are
// skipped, as Gmail does.
func (s *Store) BatchModify(ids, add, remove []string) error {
	s.mu.Lock()
	defer s.unlock()
	if err := s.checkModify(add, remove); err != nil {
		return err
	}
	var es []*entry
	for _, id := range ids {
		if e := s.msgs[id]; e != nil && !slices.Contains(es, e) {
			es = append(es, e)
		}
	}
	s.change(es, add, remove)
	return nil
}

// Trash moves a message to the trash (untrash: out of it).
func (s *Store) Trash(id string, trash bool) (MessageView, error) {
	s.mu.Lock()
	defer s.unlock()
	e := s.msgs[id]
	if e == nil || e.draftID != "" {
		return MessageView{}, ErrNotFound
	}
	s.trash([]*entry{e}, trash)
	return s.view(e), nil
}

// TrashThread moves every message of a thread to the trash or out of it.
func (s *Store) TrashThread(id string, trash bool) (ThreadView, error) {
	s.mu.Lock()
	defer s.unlock()
	t := s.threads[id]
	if t == nil {
		return ThreadView{}, ErrNotFound
	}
	s.trash(t.msgs, trash)
	return s.threadView(t), nil
}

func (s *Store) trash(es []*entry, trash bool) {
	if trash {
		s.change(es, []string{Trash}, []string{Inbox})
		return
	}
	s.change(es, nil, []string{Trash})
}

// Delete removes a message for good (a messagesDeleted record).
func (s *Store) Delete(id string) error {
	s.mu.Lock()
	defer s.unlock()
	e := s.msgs[id]
	if e == nil {
		return ErrNotFound
	}
	s.remove(e)
	s.record(record{deleted: []*entry{e}})
	return nil
}

// DeleteThread removes every message of a thread for good.
func (s *Store) DeleteThread(id string) error {
	s.mu.Lock()
	defer s.unlock()
	t := s.threads[id]
	if t == nil {
		return ErrNotFound
	}
	es := slices.Clone(t.msgs)
	for _, e := range es {
		s.remove(e)
	}
	s.record(record{deleted: es})
	return nil
}

// remove unfiles an entry from every index. The caller holds the write
// lock.
func (s *Store) remove(e *entry) {
	delete(s.msgs, e.m.ID)
	if i := slices.Index(s.byDate, e); i >= 0 {
		s.byDate = slices.Delete(s.byDate, i, i+1)
	}
	if s.byMessageID[e.m.messageID] == e {
		delete(s.byMessageID, e.m.messageID)
	}
	if t := s.threads[e.m.ThreadID]; t != nil {
		if i := slices.Index(t.msgs, e); i >= 0 {
			t.msgs = slices.Delete(t.msgs, i, i+1)
		}
		if len(t.msgs) == 0 {
			delete(s.threads, t.id)
			if s.byGMThread[e.m.gmThreadID] == t {
				delete(s.byGMThread, e.m.gmThreadID)
			}
		}
	}
	if e.draftID != "" {
		delete(s.drafts, e.draftID)
		s.draftIDs = slices.DeleteFunc(s.draftIDs, func(id string) bool { return id == e.draftID })
	}
}

// UpdateDraft replaces a draft's message: the old message is deleted and a
// new one added under the same draft id, as Gmail does.
func (s *Store) UpdateDraft(id string, raw []byte, threadID string) (DraftView, error) {
	m := Parse(raw, s.now())
	m.Date = s.now()
	s.mu.Lock()
	defer s.unlock()
	old := s.drafts[id]
	if old == nil {
		return DraftView{}, ErrNotFound
	}
	if threadID == "" {
		threadID = old.m.ThreadID
	}
	s.remove(old)
	e := s.insertDraft(m, threadID, id)
	s.drafts[id] = e
	s.draftIDs = append(s.draftIDs, id)
	s.record(record{added: []*entry{e}, deleted: []*entry{old}})
	return DraftView{ID: id, Message: s.view(e)}, nil
}

// DeleteDraft removes a draft and its message for good.
func (s *Store) DeleteDraft(id string) error {
	s.mu.Lock()
	defer s.unlock()
	e := s.drafts[id]
	if e == nil {
		return ErrNotFound
	}
	s.remove(e)
	s.record(record{deleted: []*entry{e}})
	return nil
}

// TakeDraft removes a draft being sent and returns its raw message and
// thread id; the caller then Sends it.
func (s *Store) TakeDraft(id string) (raw []byte, threadID string, err error) {
	s.mu.Lock()
	defer s.unlock()
	e := s.drafts[id]
	if e == nil {
		return nil, "", ErrNotFound
	}
	s.remove(e)
	s.record(record{deleted: []*entry{e}})
	return e.m.Raw(), e.m.ThreadID, nil
}

// LabelSpec is what labels.create, update and patch set. Nil fields are
// left as they are (patch) or take Gmail's defaults (create).
type LabelSpec struct {
	Name                  *string
	MessageListVisibility *string
	LabelListVisibility   *string
	TextColor             *string
	BackgroundColor       *string
}

// CreateLabel adds a user label.
func (s *Store) CreateLabel(spec LabelSpec) (Label, error) {
	s.mu.Lock()
	defer s.unlock()
	if spec.Name == nil {
		return Label{}, ErrLabelName
	}
	l := &Label{Type: "user", MessageListVisibility: "show", LabelListVisibility: "labelShow"}
	if err := s.applyLabel(l, spec); err != nil {
		return Label{}, err
	}
	s.seq++
	n := len(s.userLabels) + 1
	for s.labelIDs[strings.ToLower(fmt.Sprintf("label_%d", n))] != "" {
		n++
	}
	l.ID = fmt.Sprintf("Label_%d", n)
	s.userLabels = append(s.userLabels, l)
	s.labelIDs[strings.ToLower(l.Name)] = l.ID
	s.labelIDs[strings.ToLower(l.ID)] = l.ID
	return *l, nil
}

// UpdateLabel changes a user label (patch: only the fields given).
func (s *Store) UpdateLabel(id string, spec LabelSpec) (Label, error) {
	s.mu.Lock()
	defer s.unlock()
	if isSystemLabel(id) {
		return Label{}, ErrSystemLabel
	}
	i := slices.IndexFunc(s.userLabels, func(l *Label) bool { return l.ID == id })
	if i < 0 {
		return Label{}, ErrNotFound
	}
	l := *s.userLabels[i]
	oldName := l.Name
	if err := s.applyLabel(&l, spec); err != nil {
		return Label{}, err
	}
	delete(s.labelIDs, strings.ToLower(oldName))
	s.labelIDs[strings.ToLower(l.Name)] = l.ID
	*s.userLabels[i] = l
	return l, nil
}

// applyLabel checks and applies a spec. The caller holds the write lock.
func (s *Store) applyLabel(l *Label, spec LabelSpec) error {
	if spec.Name != nil {
		name := strings.TrimSpace(*spec.Name)
		if name == "" || len(name) > 225 {
			return ErrLabelName
		}
		key := strings.ToLower(name)
		if isSystemLabel(strings.ToUpper(name)) && !strings.HasPrefix(strings.ToUpper(name), "CATEGORY_") || systemName(key) {
			return ErrLabelExists
		}
		if id, ok := s.labelIDs[key]; ok && id != l.ID && !strings.EqualFold(id, name) {
			return ErrLabelExists
		}
		for _, u := range s.userLabels {
			if u.ID != l.ID && strings.EqualFold(u.Name, name) {
				return ErrLabelExists
			}
		}
		l.Name = name
	}
	if v := spec.MessageListVisibility; v != nil {
		if *v != "" && *v != "show" && *v != "hide" {
			return ErrLabelName
		}
		l.MessageListVisibility = *v
	}
	if v := spec.LabelListVisibility; v != nil {
		if *v != "" && *v != "labelShow" && *v != "labelShowIfUnread" && *v != "labelHide" {
			return ErrLabelName
		}
		l.LabelListVisibility = *v
	}
	if spec.TextColor != nil || spec.BackgroundColor != nil {
		text, bg := deref(spec.TextColor, l.TextColor), deref(spec.BackgroundColor, l.BackgroundColor)
		if (text == "") != (bg == "") {
			return ErrLabelColor
		}
		if text != "" && (!InPalette(text) || !InPalette(bg)) {
			return ErrLabelColor
		}
		l.TextColor, l.BackgroundColor = strings.ToLower(text), strings.ToLower(bg)
	}
	return nil
}

func deref(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

// systemName reports a name Gmail reserves for a system label, in any case.
func systemName(key string) bool {
	for _, l := range systemLabels {
		if strings.ToLower(l) == key {
			return true
		}
	}
	return false
}

// DeleteLabel deletes a user label and takes it off every message.
func (s *Store) DeleteLabel(id string) error {
	s.mu.Lock()
	defer s.unlock()
	if isSystemLabel(id) {
		return ErrSystemLabel
	}
	i := slices.IndexFunc(s.userLabels, func(l *Label) bool { return l.ID == id })
	if i < 0 {
		return ErrNotFound
	}
	var es []*entry
	for _, e := range s.byDate {
		if slices.Contains(e.labels, id) {
			es = append(es, e)
		}
	}
	s.change(es, nil, []string{id})
	l := s.userLabels[i]
	delete(s.labelIDs, strings.ToLower(l.Name))
	delete(s.labelIDs, strings.ToLower(l.ID))
	s.userLabels = slices.Delete(s.userLabels, i, i+1)
	return nil
}

// StripHeader returns raw without the named header field (unfolded
// continuation lines included), e.g. Bcc on what recipients receive.
func StripHeader(raw []byte, name string) []byte {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if e2 := bytes.Index(raw, []byte("\n\n")); e2 >= 0 && (end < 0 || e2 < end) {
		end = e2
	}
	if end < 0 {
		end = len(raw)
	}
	var out bytes.Buffer
	skipping := false
	for _, line := range bytes.SplitAfter(raw[:end], []byte("\n")) {
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			if !skipping {
				out.Write(line)
			}
			continue
		}
		k, _, ok := bytes.Cut(line, []byte(":"))
		skipping = ok && strings.EqualFold(strings.TrimSpace(string(k)), name)
		if !skipping {
			out.Write(line)
		}
	}
	out.Write(raw[end:])
	return out.Bytes()
}

// SetRetention sets how long history is kept: records older than age
// (when age > 0) and beyond the newest count (when count > 0) are
// forgotten, and a start id before them is answered with ErrHistoryGone.
func (s *Store) SetRetention(age time.Duration, count int) {
	s.mu.Lock()
	defer s.unlock()
	s.retainAge, s.retainCount = age, count
	s.prune()
}

// ExpireHistory forgets every history record now: any start id before the
// current history id is answered with ErrHistoryGone.
func (s *Store) ExpireHistory() uint64 {
	s.mu.Lock()
	defer s.unlock()
	s.history = nil
	s.oldest = s.historyID
	return s.oldest
}

// prune drops the records retention no longer keeps. The caller holds
// the write lock.
func (s *Store) prune() {
	drop := 0
	if s.retainCount > 0 && len(s.history) > s.retainCount {
		drop = len(s.history) - s.retainCount
	}
	if s.retainAge > 0 {
		cut := s.now().Add(-s.retainAge)
		for drop < len(s.history) && s.history[drop].at.Before(cut) {
			drop++
		}
	}
	if drop > 0 {
		s.oldest = s.history[drop-1].id
		s.history = slices.Clone(s.history[drop:])
	}
}

// ResolveLabels turns label names or ids, as a person picks them in
// Gmail's UI, into ids; a user label name not yet known is created, as
// the UI's "Create new" does.
func (s *Store) ResolveLabels(names []string) []string {
	s.mu.Lock()
	defer s.unlock()
	var out []string
	for _, n := range names {
		switch {
		case isSystemLabel(strings.ToUpper(n)):
			out = append(out, strings.ToUpper(n))
		case s.labelIDs[strings.ToLower(n)] != "":
			out = append(out, s.labelIDs[strings.ToLower(n)])
		default:
			out = append(out, s.userLabel(n))
		}
	}
	return out
}
