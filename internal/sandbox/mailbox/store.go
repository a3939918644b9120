// Package mailbox is the sandbox's mail store: it parses RFC 5322 messages
// into Gmail's payload shape, threads them as Gmail does, keeps labels,
// drafts and history, and answers Gmail's search queries. It knows nothing
// of HTTP; the sandbox's Gmail handlers render what it returns.
package mailbox

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Errors a Store returns.
var (
	ErrNotFound     = errors.New("mailbox: not found")
	ErrPageToken    = errors.New("mailbox: invalid page token")
	ErrHistoryGone  = errors.New("mailbox: start history id is older than the retained history")
	ErrInvalidLabel = errors.New("mailbox: invalid label")
)

// DefaultRetention is how long a Store keeps history unless told
// otherwise (SetRetention): Gmail keeps it for at least a week.
const DefaultRetention = 7 * 24 * time.Hour

// Store is one account's mailbox. It is safe for concurrent use: reads share
// a read lock and copy out what they return, writes are short.
type Store struct {
	now func() time.Time

	mu          sync.RWMutex
	seq         uint64
	msgs        map[string]*entry
	byDate      []*entry // newest first
	threads     map[string]*thread
	byMessageID map[string]*entry
	byGMThread  map[string]*thread
	userLabels  []*Label
	labelIDs    map[string]string // lower-cased name or id → id
	history     []record
	historyID   uint64
	oldest      uint64 // the oldest startHistoryId still answered
	drafts      map[string]*entry
	draftIDs    []string // in creation order
	changed     uint64   // the history id of a change not yet announced
	retainAge   time.Duration
	retainCount int
	pageEpoch   uint64 // in every page token; InvalidatePageTokens moves it on

	hookMu sync.Mutex
	hooks  []func(historyID uint64)

	bodyMu   sync.Mutex
	bodyDone chan struct{} // closed when generated bodies are indexed
}

type entry struct {
	m         *Message
	labels    []string
	historyID uint64
	draftID   string
}

type thread struct {
	id   string
	key  string   // normalised subject
	msgs []*entry // oldest first
}

// NewStore returns an empty mailbox. now is the clock for drafts, delivered
// messages and relative searches.
func NewStore(now func() time.Time) *Store {
	return &Store{
		now:         now,
		msgs:        map[string]*entry{},
		threads:     map[string]*thread{},
		byMessageID: map[string]*entry{},
		byGMThread:  map[string]*thread{},
		labelIDs:    map[string]string{},
		drafts:      map[string]*entry{},
		historyID:   1000,
		retainAge:   DefaultRetention,
	}
}

// Load adds parsed messages, oldest first so that replies find their
// parents, with the labels their headers give. Loading records no history:
// it is the state a client's first full sync sees.
func (s *Store) Load(msgs []*Message) {
	sorted := slices.Clone(msgs)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Date.Before(sorted[j].Date) })
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range sorted {
		e := s.insert(m, m.initialLabels(s.userLabel), "")
		e.historyID = s.nextHistory()
	}
	s.oldest = s.historyID
}

// Deliver adds a new message as if it had just arrived: INBOX and UNREAD,
// its date now when it has none, and a messagesAdded history record.
func (s *Store) Deliver(raw []byte) MessageView {
	m := Parse(raw, s.now())
	s.mu.Lock()
	defer s.unlock()
	e := s.insert(m, []string{Inbox, Unread}, "")
	s.record(record{added: []*entry{e}})
	return s.view(e)
}

// CreateDraft stores raw as a draft. With threadID it joins that thread only
// when its In-Reply-To/References name a message of the thread and its
// subject matches, as Gmail requires; otherwise it starts a new thread.
func (s *Store) CreateDraft(raw []byte, threadID string) DraftView {
	m := Parse(raw, s.now())
	m.Date = s.now()
	s.mu.Lock()
	defer s.unlock()
	s.seq++
	id := fmt.Sprintf("r%d", 5000000000000000000+s.seq)
	e := s.insertDraft(m, threadID, id)
	s.drafts[id] = e
	s.draftIDs = append(s.draftIDs, id)
	s.record(record{added: []*entry{e}})
	return DraftView{ID: id, Message: s.view(e)}
}

// insert files a message under a new id, threads it by headers and indexes
// it. The caller holds the write lock.
func (s *Store) insert(m *Message, labels []string, draftID string) *entry {
	m.ID = s.newID(m.Date)
	e := &entry{m: m, labels: labels, draftID: draftID}
	t := s.threadFor(m)
	if t == nil {
		t = &thread{id: m.ID, key: m.subjectKey}
		s.threads[t.id] = t
	}
	s.file(e, t)
	return e
}

func (s *Store) insertDraft(m *Message, threadID, draftID string) *entry {
	m.ID = s.newID(m.Date)
	e := &entry{m: m, labels: []string{Draft}, draftID: draftID}
	t := s.threads[threadID]
	if t == nil || t.key != m.subjectKey || !s.refersInto(m, t) {
		t = &thread{id: m.ID, key: m.subjectKey}
		s.threads[t.id] = t
	}
	s.file(e, t)
	return e
}

func (s *Store) refersInto(m *Message, t *thread) bool {
	for _, ref := range m.refs {
		if p := s.byMessageID[ref]; p != nil && p.m.ThreadID == t.id {
			return true
		}
	}
	return false
}

// threadFor finds the thread a loaded or delivered message joins: its
// Takeout thread id, else a referenced message's thread with the same
// normalised subject.
func (s *Store) threadFor(m *Message) *thread {
	if m.gmThreadID != "" {
		if t := s.byGMThread[m.gmThreadID]; t != nil {
			return t
		}
	}
	for _, ref := range m.refs {
		if p := s.byMessageID[ref]; p != nil {
			if t := s.threads[p.m.ThreadID]; t != nil && t.key == m.subjectKey {
				return t
			}
		}
	}
	return nil
}

func (s *Store) file(e *entry, t *thread) {
	m := e.m
	m.ThreadID = t.id
	i := sort.Search(len(t.msgs), func(i int) bool { return t.msgs[i].m.Date.After(m.Date) })
	t.msgs = slices.Insert(t.msgs, i, e)
	s.msgs[m.ID] = e
	j := sort.Search(len(s.byDate), func(i int) bool { return newer(e, s.byDate[i]) })
	s.byDate = slices.Insert(s.byDate, j, e)
	if m.messageID != "" && s.byMessageID[m.messageID] == nil {
		s.byMessageID[m.messageID] = e
	}
	if m.gmThreadID != "" && s.byGMThread[m.gmThreadID] == nil {
		s.byGMThread[m.gmThreadID] = t
	}
}

// newer orders entries newest first, ties by id.
func newer(a, b *entry) bool {
	if !a.m.Date.Equal(b.m.Date) {
		return a.m.Date.After(b.m.Date)
	}
	return a.m.ID > b.m.ID
}

// newID makes a Gmail-like id: 16 lower-case hex digits, growing with the
// date like Gmail's.
func (s *Store) newID(date time.Time) string {
	ms := max(date.UnixMilli(), 0)
	for {
		s.seq++
		id := fmt.Sprintf("%016x", uint64(ms)<<20|s.seq&0xfffff)
		if len(id) > 16 {
			id = id[len(id)-16:]
		}
		if s.msgs[id] == nil {
			return id
		}
	}
}

// userLabel returns the id of the user label called name, creating it.
// The caller holds the write lock.
func (s *Store) userLabel(name string) string {
	key := strings.ToLower(name)
	if id, ok := s.labelIDs[key]; ok {
		return id
	}
	id := fmt.Sprintf("Label_%d", len(s.userLabels)+1)
	s.userLabels = append(s.userLabels, &Label{ID: id, Name: name, Type: "user", MessageListVisibility: "show", LabelListVisibility: "labelShow"})
	s.labelIDs[key] = id
	s.labelIDs[strings.ToLower(id)] = id
	return id
}

// labelID resolves a label name or id as search's label: does; Gmail also
// lets spaces and slashes be written as dashes. The caller holds a lock.
func (s *Store) labelID(name string) string {
	if id, ok := s.labelIDs[name]; ok {
		return id
	}
	for _, l := range s.userLabels {
		n := strings.NewReplacer(" ", "-", "/", "-").Replace(strings.ToLower(l.Name))
		if n == name {
			return l.ID
		}
	}
	return ""
}

func (s *Store) knownLabel(id string) bool {
	if isSystemLabel(id) {
		return true
	}
	for _, l := range s.userLabels {
		if l.ID == id {
			return true
		}
	}
	return false
}

// Modify adds and removes labels of a message and records the change.
// It returns ErrNotFound for an unknown message, ErrInvalidLabel for an
// unknown label id.
func (s *Store) Modify(id string, add, remove []string) (MessageView, error) {
	s.mu.Lock()
	defer s.unlock()
	e := s.msgs[id]
	if e == nil {
		return MessageView{}, ErrNotFound
	}
	if err := s.checkModify(add, remove); err != nil {
		return MessageView{}, err
	}
	s.change([]*entry{e}, add, remove)
	return s.view(e), nil
}

// Profile returns the counts getProfile reports and the current history id.
func (s *Store) Profile() (messages, threads int, historyID uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.msgs), len(s.threads), s.historyID
}

// LabelInfo is a label with its counts, as labels.get shows it.
type LabelInfo struct {
	Label
	MessagesTotal, MessagesUnread, ThreadsTotal, ThreadsUnread int
}

// Labels returns every label: the system labels then the user labels.
func (s *Store) Labels() []Label {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Label, 0, len(systemLabels)+len(s.userLabels))
	for _, id := range systemLabels {
		out = append(out, Label{ID: id, Name: id, Type: "system"})
	}
	for _, l := range s.userLabels {
		out = append(out, *l)
	}
	return out
}

// Label returns one label with its counts, or ErrNotFound.
func (s *Store) Label(id string) (LabelInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var info LabelInfo
	switch {
	case isSystemLabel(id):
		info.Label = Label{ID: id, Name: id, Type: "system"}
	default:
		i := slices.IndexFunc(s.userLabels, func(l *Label) bool { return l.ID == id })
		if i < 0 {
			return info, ErrNotFound
		}
		info.Label = *s.userLabels[i]
	}
	for _, t := range s.threads {
		has, unread := false, false
		for _, e := range t.msgs {
			if slices.Contains(e.labels, id) {
				has = true
				info.MessagesTotal++
				if slices.Contains(e.labels, Unread) {
					info.MessagesUnread++
					unread = true
				}
			}
		}
		if has {
			info.ThreadsTotal++
		}
		if unread {
			info.ThreadsUnread++
		}
	}
	return info, nil
}
