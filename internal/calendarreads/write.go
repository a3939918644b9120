package calendarreads

import (
	"context"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
)

var _ jarvis.CalendarWriter = (*Service)(nil)

// CreateEvent creates the event at Google, then brings the index up to
// the change (see settle).
func (s *Service) CreateEvent(ctx context.Context, userID, account string, in jarvis.EventCreate) (*jarvis.Event, error) {
	return s.settled(ctx)(s.cfg.Writer.CreateEvent(ctx, userID, account, in))
}

// UpdateEvent changes the event at Google, then brings the index up to
// the change.
func (s *Service) UpdateEvent(ctx context.Context, userID, account, eventID string, in jarvis.EventUpdate) (*jarvis.Event, error) {
	return s.settled(ctx)(s.cfg.Writer.UpdateEvent(ctx, userID, account, eventID, in))
}

// DeleteEvent cancels the event at Google, then brings the index up to
// the change.
func (s *Service) DeleteEvent(ctx context.Context, userID, account, eventID string, in jarvis.EventDelete) (*jarvis.Event, error) {
	return s.settled(ctx)(s.cfg.Writer.DeleteEvent(ctx, userID, account, eventID, in))
}

// RSVP answers the invitation at Google, then brings the index up to the
// change.
func (s *Service) RSVP(ctx context.Context, userID, account, eventID string, in jarvis.EventRSVP) (*jarvis.Event, error) {
	return s.settled(ctx)(s.cfg.Writer.RSVP(ctx, userID, account, eventID, in))
}

// Suggest reads busy time, which is always Google's.
func (s *Service) Suggest(ctx context.Context, userID, account string, in jarvis.MeetingRequest) (*jarvis.MeetingSuggestions, error) {
	return s.cfg.Writer.Suggest(ctx, userID, account, in)
}

func (s *Service) settled(ctx context.Context) func(*jarvis.Event, error) (*jarvis.Event, error) {
	return func(ev *jarvis.Event, err error) (*jarvis.Event, error) {
		if err != nil {
			return nil, err
		}
		indexed := ev.Account != nil && s.settle(ctx, ev.Account.ID)
		ev.Indexed = &indexed
		return ev, nil
	}
}

// settle records the change for the account's calendar sync and schedules
// it (Config.Changed), which reads the change back from Google as it reads
// any other (the index is only ever written by the sync), and waits, at
// most Config.Settle, until a sync that began after the change has
// finished. It reports whether one has: when not (the calendar is not
// indexed yet, so reads come from Google, or the sync is slow), the
// change arrives with that sync.
func (s *Service) settle(ctx context.Context, accountID string) bool {
	if s.cfg.Changed == nil {
		return false
	}
	st, err := s.cfg.Index.State(ctx, accountID)
	if err != nil || st.CalendarSyncToken == "" {
		return false
	}
	mark, err := s.cfg.Changed(ctx, accountID)
	if err != nil {
		s.cfg.Logger.WarnContext(ctx, "schedule the calendar sync after a change", "account_id", accountID, "err", err)
		return false
	}
	return mailsync.Settle(ctx, s.cfg.Settle, func() (bool, bool) {
		st, err := s.cfg.Index.State(ctx, accountID)
		if err != nil || st.CalendarSyncToken == "" {
			return false, false
		}
		return st.CalendarSyncedPushes >= mark, true
	})
}
