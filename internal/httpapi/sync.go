package httpapi

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
)

// PushIntake takes Pub/Sub's pushes of Gmail notifications: it verifies the
// push's OIDC token before anything else, then records the notification.
type PushIntake interface {
	Handle(ctx context.Context, authorization string, body []byte) error
}

// CalendarIntake takes the notifications Google Calendar posts on Jarvis's
// channels: it checks the channel and its secret token before anything
// else, then records the notification.
type CalendarIntake interface {
	Handle(ctx context.Context, h http.Header) error
}

// SyncStates reads an account's sync state.
type SyncStates interface {
	State(ctx context.Context, accountID string) (mailsync.State, error)
}

// maxPushBytes bounds a push body: Gmail's notifications are tiny.
const maxPushBytes = 64 << 10

func (s *Server) registerSyncRoutes() {
	s.handle("POST /webhooks/google/pubsub", http.HandlerFunc(s.pubsubPush))
	s.handle("POST /webhooks/google/calendar", http.HandlerFunc(s.calendarPush))
	s.handle("GET /accounts/{id}/sync", s.authed(s.syncStatus))
}

// pubsubPush answers 204 once the notification is durably recorded (or
// dropped because no account has its address), so that Pub/Sub stops
// retrying; the sync itself runs as a job.
func (s *Server) pubsubPush(w http.ResponseWriter, r *http.Request) {
	if s.Push == nil {
		s.unavailable(w, r, jarvis.EUNAVAILABLE, "Pub/Sub push intake (JARVIS_GMAIL_PUSH is not push)")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPushBytes))
	if err != nil {
		s.Error(w, r, &jarvis.Error{Code: jarvis.ETOOLARGE, Message: "A push body is at most 64 KiB."})
		return
	}
	if err := s.Push.Handle(r.Context(), r.Header.Get("Authorization"), body); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// calendarPush answers 204 once a channel's notification is durably
// recorded with the calendar sync it schedules (a "sync" notification is
// only acknowledged); the sync itself runs as a job. The body is empty and
// not read.
func (s *Server) calendarPush(w http.ResponseWriter, r *http.Request) {
	if s.CalendarPush == nil {
		s.unavailable(w, r, jarvis.EUNAVAILABLE, "Calendar channel intake (JARVIS_GMAIL_PUSH is not push)")
		return
	}
	if err := s.CalendarPush.Handle(r.Context(), r.Header); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// syncStatus is how far an account's sync is.
type syncStatus struct {
	Account       jarvis.AccountRef `json:"account"`
	Phase         string            `json:"phase" doc:"new (nothing indexed yet), full (first listing), backfill (newest mail indexed, the rest being listed), incremental (complete, following Gmail's history) or resync (the history expired; reconciling while the old index serves)."`
	Done          int               `json:"done" doc:"Messages listed so far by the full sync, backfill or resync."`
	Total         int               `json:"total" doc:"Messages in the mailbox when the listing began (Gmail's estimate)."`
	Rate          float64           `json:"rate" doc:"Messages indexed per second since the listing began; 0 once it is done."`
	ETASeconds    *int              `json:"eta,omitempty" doc:"Seconds left in the listing at that rate; absent when none is running."`
	HistoryID     uint64            `json:"history_id,string" doc:"The cursor: every change up to this Gmail historyId is in the index."`
	LastPushAt    *time.Time        `json:"last_push,omitempty" doc:"When Google last notified a change."`
	LastSuccessAt *time.Time        `json:"last_success,omitempty" doc:"When a sync last caught up."`
	LastError     string            `json:"last_error,omitempty" doc:"Why the last sync failed, if it did."`
	WatchExpiry   *time.Time        `json:"watch_expiry,omitempty" doc:"When the Gmail watch lapses unless renewed (push and pull modes)."`
	Calendar      calendarStatus    `json:"calendar" doc:"The calendar's sync."`
}

// calendarStatus is how far an account's calendar sync is.
type calendarStatus struct {
	Synced        bool       `json:"synced" doc:"Whether the calendar's window is indexed (upcoming events are then read from the index)."`
	WindowStart   *time.Time `json:"window_start,omitempty" doc:"The window of events indexed: from this instant…"`
	WindowEnd     *time.Time `json:"window_end,omitempty" doc:"…to this one."`
	LastPushAt    *time.Time `json:"last_push,omitempty" doc:"When the calendar's channel last notified a change."`
	LastSuccessAt *time.Time `json:"last_success,omitempty" doc:"When a calendar sync last finished."`
	ChannelExpiry *time.Time `json:"channel_expiry,omitempty" doc:"When the calendar's channel lapses unless renewed (push mode)."`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) syncStatus(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if s.Syncs == nil || s.Integrations == nil {
		s.unavailable(w, r, jarvis.EUNAVAILABLE, "the local index")
		return
	}
	a, err := s.findAccount(r, u.ID, r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	st, err := s.Syncs.State(r.Context(), a.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	out := syncStatus{Account: jarvis.AccountRef{ID: a.ID, Email: a.Email}, Phase: string(st.Phase), Done: st.Done, Total: st.Total,
		HistoryID: st.HistoryID, LastPushAt: optTime(st.LastPushAt), LastSuccessAt: optTime(st.LastSuccessAt), LastError: st.LastError,
		WatchExpiry: optTime(st.WatchExpiry), Calendar: calendarStatus{Synced: st.CalendarSyncToken != "",
			WindowStart: optTime(st.CalendarWindowStart), WindowEnd: optTime(st.CalendarWindowEnd), LastPushAt: optTime(st.CalendarPushAt),
			LastSuccessAt: optTime(st.CalendarSyncedAt), ChannelExpiry: optTime(st.CalendarChannelExpiry)}}
	if listing := st.Phase == mailsync.PhaseFull || st.Phase == mailsync.PhaseBackfill || st.Phase == mailsync.PhaseResync; listing && !st.StartedAt.IsZero() {
		if secs := time.Since(st.StartedAt).Seconds(); secs > 0 {
			out.Rate = float64(st.Done) / secs
		}
		if out.Rate > 0 && st.Total > st.Done {
			eta := int(float64(st.Total-st.Done) / out.Rate)
			out.ETASeconds = &eta
		}
	}
	writeJSON(w, http.StatusOK, out)
}
