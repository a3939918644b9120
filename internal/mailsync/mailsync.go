// Package mailsync keeps a local index of every connected Google account's
// mailbox and calendar: a full sync when an account connects, then
// incremental syncs from Gmail's history and Calendar's sync tokens, driven
// by pushes, pulls or polls. The index is what reads are served from.
//
// The package defines what it needs of its collaborators (the Store, the
// Notifier); the database adapter (internal/sqldb) implements the Store.
package mailsync

import (
	"context"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// Phase is where an account's sync stands.
type Phase string

const (
	// PhaseNew: nothing is indexed yet; reads go to Gmail.
	PhaseNew Phase = "new"
	// PhaseFull: the first listing, newest first; reads go to Gmail until
	// the first page is indexed, then are served from the index for what
	// it holds.
	PhaseFull Phase = "full"
	// PhaseBackfill: the newest mail is indexed; the rest is being listed.
	// Incremental syncs run meanwhile.
	PhaseBackfill Phase = "backfill"
	// PhaseIncremental: the index is complete and follows Gmail's history.
	PhaseIncremental Phase = "incremental"
	// PhaseResync: the history cursor expired; the index is being
	// reconciled with a fresh listing while the old index keeps serving.
	PhaseResync Phase = "resync"
)

// Message is one Gmail message as the index keeps it: its metadata and,
// unless bodies are not indexed, a capped plain-text body for search.
type Message struct {
	ID           string
	ThreadID     string
	HistoryID    uint64
	InternalDate time.Time
	// Date is the Date header's time (InternalDate when it has none), as
	// an inbox shows it.
	Date            time.Time
	Labels          []string
	From            jarvis.Address
	To              []jarvis.Address
	Cc              []jarvis.Address
	Subject         string
	MessageIDHeader string
	InReplyTo       string
	References      string
	Snippet         string
	SizeEstimate    int64
	HasAttachment   bool
	// BodyText is the message's text, capped at MaxBodyText bytes; empty
	// when JARVIS_INDEX_BODIES=false.
	BodyText string
}

// MaxBodyText caps the body text the index keeps per message.
const MaxBodyText = 32 << 10

// LabelChange is a history record's change to one message's labels,
// applied without fetching the message. It applies only to a row whose
// HistoryID is not newer than the record's, and raises the row's HistoryID
// to it: a message fetched after the change already shows it, so replaying
// history over it changes nothing.
type LabelChange struct {
	MessageID string
	HistoryID uint64
	Add       []string
	Remove    []string
}

// Page is one unit of index writes: applied, with the sync state that
// follows from it, in one transaction.
//
// An upsert replaces a row only when its HistoryID is not older than the
// stored one, so that a page fetched earlier cannot undo a newer change.
type Page struct {
	Upserts      []Message
	LabelChanges []LabelChange
	// Deletes are message ids to remove; unknown ids are ignored.
	Deletes []string
}

// Label is a Gmail label with its counts.
type Label struct {
	ID             string
	Name           string
	Type           string // system or user
	MessagesTotal  int
	MessagesUnread int
	ThreadsTotal   int
	ThreadsUnread  int
}

// State is one account's sync state.
type State struct {
	AccountID string
	UserID    string
	Phase     Phase
	// HistoryID is the cursor: every change up to it is in the index.
	HistoryID uint64
	// HighWater is the largest historyId a notification announced; a sync
	// loops until HistoryID has reached it.
	HighWater uint64
	// ListPageToken resumes the full sync (or backfill, or resync) listing;
	// ListPageAt is when Gmail issued it; ListHistoryID is the profile
	// historyId read before that listing began.
	ListPageToken string
	ListPageAt    time.Time
	ListHistoryID uint64
	Done          int
	Total         int
	StartedAt     time.Time
	WatchExpiry   time.Time
	LastPushAt    time.Time
	LastSuccessAt time.Time
	LastError     string
	// Calendar: the primary calendar's sync token and its watch channel.
	CalendarSyncToken   string
	CalendarWindowStart time.Time
	CalendarWindowEnd   time.Time
	CalendarChannelID   string
	// CalendarChannelTokenSHA256 is the hex SHA-256 of the channel's
	// secret token: the token itself is never stored.
	CalendarChannelTokenSHA256 string
	CalendarResourceID         string
	CalendarChannelExpiry      time.Time
	// CalendarPushAt is when a channel notification last came, and
	// CalendarPushes counts them: RecordCalendarPush's alone.
	CalendarPushAt time.Time
	CalendarPushes int64
	// CalendarSyncedPushes is the CalendarPushes a calendar sync read when
	// it began, saved when it finished: a sync is due while it is behind.
	CalendarSyncedPushes int64
	// CalendarSyncedAt is when a calendar sync last finished.
	CalendarSyncedAt time.Time
	// CalendarVersion counts writes of the calendar fields, which are
	// saved apart from the mail's (SaveCalendarState, ApplyEvents): a
	// save whose calendar version changed meanwhile is refused.
	CalendarVersion int64
	// Version counts writes of the state; a save whose version changed
	// meanwhile is refused (jarvis.ECONFLICT).
	Version int64
}

// Event is one calendar event instance as the index keeps it.
type Event struct {
	CalendarID string
	Event      jarvis.Event
	// StartTime and EndTime place the instance in the window (all-day
	// events at midnight of their dates in the calendar's time zone, as
	// Google places them).
	StartTime time.Time
	EndTime   time.Time
}

// Account is an account to sync.
type Account struct {
	ID     string
	UserID string
	Email  string
}

// Store keeps the index and the sync state. Every method is scoped to one
// account; each write is one transaction.
type Store interface {
	// State returns the account's sync state: PhaseNew and version 0 when
	// it has none.
	State(ctx context.Context, accountID string) (State, error)
	// SaveState writes st if its Version is still the stored one, then
	// increments st.Version; ECONFLICT otherwise. The calendar fields are
	// SaveCalendarState's.
	SaveState(ctx context.Context, st *State) error
	// SaveCalendarState writes st's calendar fields (sync token, window,
	// channel, synced pushes) if its CalendarVersion is still the stored
	// one, then increments st.CalendarVersion; ECONFLICT otherwise.
	SaveCalendarState(ctx context.Context, st *State) error
	// RecordHighWater raises the account's high-water mark to historyID (it
	// never lowers it) and records the push time.
	RecordHighWater(ctx context.Context, accountID string, historyID uint64, at time.Time) error
	// ApplyPage applies p — upserts, label changes, deletes, thread
	// aggregates of every thread touched, label counts — and saves st (as
	// SaveState does), in one transaction.
	ApplyPage(ctx context.Context, accountID string, p Page, st *State) error
	// ReplaceLabels replaces the account's label list (names, types; the
	// counts are the index's own).
	ReplaceLabels(ctx context.Context, accountID string, labels []Label) error
	// ApplyEvents upserts and deletes calendar events (reset: drop every
	// event of the calendar first) and saves st's calendar fields (as
	// SaveCalendarState does), in one transaction.
	ApplyEvents(ctx context.Context, accountID, calendarID string, upserts []Event, deletes []string, reset bool, st *State) error
	// EventIDs lists the ids of every event indexed for the calendar.
	EventIDs(ctx context.Context, accountID, calendarID string) ([]string, error)
	// MessageIDs lists the ids of every message indexed for the account.
	MessageIDs(ctx context.Context, accountID string) ([]string, error)
	// Accounts lists every active account.
	Accounts(ctx context.Context) ([]Account, error)
	// Wipe removes everything indexed for the account and its sync state.
	Wipe(ctx context.Context, accountID string) error
}

// Notifier tells a user's open dashboards that something changed.
type Notifier interface {
	// Publish sends a change to every replica's subscribers of userID. typ
	// is mail.changed, calendar.changed or sync.progress; data is encoded
	// as the SSE event's JSON data.
	Publish(ctx context.Context, userID, typ string, data any) error
}
