// Package calendarreads serves calendar reads from the local index when the
// calendars asked for are synced over the whole span, and from Google when
// they are not.
//
// An account's calendar is read from the index when the account is active,
// its grant may read calendars, and its calendar sync has indexed a window
// that covers the span asked for; a read of every account (account=all)
// needs that of every account, else it is asked of Google as a whole. The
// answer's Source says which. Busy time and the calendar's time zone are
// always read from Google.
package calendarreads

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
)

// Index is the local index the reads are served from.
type Index interface {
	State(ctx context.Context, accountID string) (mailsync.State, error)
	// Events returns the account's indexed events that end after from and
	// start before to (Unix milliseconds), in start order.
	Events(ctx context.Context, accountID string, from, to int64) ([]jarvis.Event, error)
}

// Accounts lists a user's Google accounts and records their use.
type Accounts interface {
	ListGoogleAccounts(ctx context.Context, userID string) ([]jarvis.GoogleAccount, error)
	TouchGoogleAccount(ctx context.Context, userID, accountID string, t time.Time) error
}

// lastUsedEvery is how often a read records the account's last use, as a
// live read does.
const lastUsedEvery = time.Minute

// Config is what the service needs.
type Config struct {
	Live     jarvis.CalendarService
	Index    Index
	Accounts Accounts
	Auditor  jarvis.Auditor
	// CanRead reports whether granted scopes let Jarvis read a calendar.
	CanRead func(scopes []string) bool
	Now     func() time.Time
	// Writer changes calendars at Google (nil: no writes).
	Writer jarvis.CalendarWriter
	// Changed records a change Jarvis made to an account's calendar and
	// schedules the calendar sync, returning the count of changes and
	// notifications a sync that began after it has seen (see
	// mailsync.State.CalendarSyncedPushes); nil: writes do not wait for
	// the index.
	Changed func(ctx context.Context, accountID string) (int64, error)
	// Settle bounds how long a write waits for the index to have it
	// (default 2 s).
	Settle time.Duration
	Logger *slog.Logger
}

// Service is a jarvis.CalendarService that lists events from the index
// where it can; every other read is the live one. Its writes
// (jarvis.CalendarWriter) are Google's, followed by a calendar sync of the
// account so that the next listing from the index shows them.
type Service struct {
	jarvis.CalendarService
	cfg Config
}

var _ jarvis.CalendarService = (*Service)(nil)

// New returns the service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{CalendarService: cfg.Live, cfg: cfg}
}

// Upcoming lists the events overlapping the next days, as the live service
// does, from the index when it can.
func (s *Service) Upcoming(ctx context.Context, userID, account string, days, maxResults int) (*jarvis.EventList, error) {
	now := s.cfg.Now()
	list, err := s.fromIndex(ctx, userID, account, now, now.AddDate(0, 0, days), maxResults, map[string]any{"days": days})
	if list != nil || err != nil {
		return list, err
	}
	return s.live(s.CalendarService.Upcoming(ctx, userID, account, days, maxResults))
}

// Events lists the events overlapping [from, to), as the live service does,
// from the index when it can.
func (s *Service) Events(ctx context.Context, userID, account string, from, to time.Time, maxResults int) (*jarvis.EventList, error) {
	list, err := s.fromIndex(ctx, userID, account, from, to, maxResults,
		map[string]any{"from": from.UTC().Format(time.RFC3339), "to": to.UTC().Format(time.RFC3339)})
	if list != nil || err != nil {
		return list, err
	}
	return s.live(s.CalendarService.Events(ctx, userID, account, from, to, maxResults))
}

func (s *Service) live(list *jarvis.EventList, err error) (*jarvis.EventList, error) {
	if list != nil {
		list.Source = jarvis.SourceGoogle
	}
	return list, err
}

// fromIndex answers from the index, or returns nil (and no error) when the
// index cannot answer, for the live service to. Like the live read, it
// writes a calendar.events.list audit row per account read (with source
// index) and records the account's use.
func (s *Service) fromIndex(ctx context.Context, userID, account string, from, to time.Time, maxResults int, meta map[string]any) (*jarvis.EventList, error) {
	all, err := s.cfg.Accounts.ListGoogleAccounts(ctx, userID)
	if err != nil {
		return nil, err
	}
	var read []jarvis.GoogleAccount
	for _, a := range all {
		if account == jarvis.AllAccounts || account == "" && a.Primary || account != "" && (a.ID == account || strings.EqualFold(a.Email, account)) {
			read = append(read, a)
		}
	}
	if len(read) == 0 {
		return nil, nil // the live service answers for an unknown account
	}
	// As the live read asks Google: to the second.
	from, to = from.UTC().Truncate(time.Second), to.UTC().Truncate(time.Second)
	for _, a := range read {
		if a.Status != jarvis.GoogleActive || !s.cfg.CanRead(a.Scopes) {
			return nil, nil
		}
		st, err := s.cfg.Index.State(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		if st.CalendarSyncToken == "" || st.CalendarWindowStart.After(from) || st.CalendarWindowEnd.Before(to) {
			return nil, nil
		}
	}
	out := &jarvis.EventList{Events: []jarvis.Event{}, Source: jarvis.SourceIndex}
	for _, a := range read {
		ref := jarvis.AccountRef{ID: a.ID, Email: a.Email}
		events, err := s.cfg.Index.Events(ctx, a.ID, from.UnixMilli(), to.UnixMilli())
		if len(events) > maxResults {
			events = events[:maxResults]
		}
		m := map[string]any{"results": len(events)}
		for k, v := range meta {
			m[k] = v
		}
		if account == jarvis.AllAccounts {
			m["merged"] = true
		}
		s.record(ctx, a.ID, err, m)
		if err != nil {
			return nil, err
		}
		if err := s.touch(ctx, userID, a); err != nil {
			return nil, err
		}
		for i := range events {
			events[i].Account = &jarvis.AccountRef{ID: a.ID, Email: a.Email}
		}
		out.Accounts = append(out.Accounts, ref)
		out.Events = append(out.Events, events...)
	}
	if account == jarvis.AllAccounts {
		// Merged as the live read merges: all-day events at the start of
		// their day in UTC.
		slices.SortStableFunc(out.Events, func(a, b jarvis.Event) int { return mergeStart(a).Compare(mergeStart(b)) })
		if len(out.Events) > maxResults {
			out.Events = out.Events[:maxResults]
		}
	}
	return out, nil
}

// touch records the account's use at most once a minute, as a read from
// Google does.
func (s *Service) touch(ctx context.Context, userID string, a jarvis.GoogleAccount) error {
	if now := s.cfg.Now(); a.LastUsedAt == nil || now.Sub(*a.LastUsedAt) >= lastUsedEvery {
		return s.cfg.Accounts.TouchGoogleAccount(ctx, userID, a.ID, now)
	}
	return nil
}

// record writes the audit row of a read served from the index, as the live
// read writes its own.
func (s *Service) record(ctx context.Context, accountID string, err error, meta map[string]any) {
	e := jarvis.AuditEntry{Action: jarvis.AuditCalendarEventsList, TargetType: "calendar", TargetID: "primary",
		Outcome: jarvis.OutcomeSuccess, Metadata: meta}
	e.Metadata["account_id"], e.Metadata["source"] = accountID, jarvis.SourceIndex
	if err != nil {
		e.Outcome = jarvis.OutcomeFailure
		e.Metadata["error_code"] = jarvis.ErrorCode(err)
	}
	s.cfg.Auditor.Record(ctx, e)
}

func mergeStart(e jarvis.Event) time.Time {
	layout := time.RFC3339
	if e.AllDay {
		layout = time.DateOnly
	}
	t, _ := time.Parse(layout, e.Start)
	return t
}
