package mailsync

// The calendar half of the sync: the account's primary calendar, its events
// expanded into instances (singleEvents=true) in a rolling window.
//
// The window runs from CalendarDaysBack days before the current UTC day to
// CalendarDaysAhead days after it: the agenda, the assistant's questions
// about last month and the year ahead, at the cost of a few hundred rows
// per account. A full sync lists the window (timeMin/timeMax) and keeps the
// sync token Google gives with the last page; later syncs ask only for what
// changed since (syncToken). Google refuses timeMin, timeMax, orderBy, q,
// iCalUID and updatedMin beside a sync token, so an increment holds changes
// anywhere in the calendar and is filtered here: a single event outside the
// window, or cancelled, leaves the index. A change to a recurring event
// (its series, or one instance) is applied by listing the series' instances
// in the window again (events.instances) and replacing the ones indexed: an
// increment does not report the instances that a changed rule no longer
// has. A sync token Google no longer honours (410 Gone) starts a full sync
// of the window, as does the day changing (the window has moved by a day);
// a full sync replaces the calendar's events in one transaction, so that
// the old ones are served until the new set is committed.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"google.golang.org/api/calendar/v3"
	"google.golang.org/api/googleapi"

	"github.com/jarvis-hq/jarvis"
)

const (
	// CalendarDaysBack and CalendarDaysAhead bound the window of events
	// indexed, around the current UTC day.
	CalendarDaysBack  = 30
	CalendarDaysAhead = 365
	// PrimaryCalendar is the calendar synced, as Calendar names it.
	PrimaryCalendar = "primary"
	// calendarPageSize is the most events Calendar returns per page.
	calendarPageSize = 2500
)

// CalendarWindow is the window a calendar sync at now indexes: from
// CalendarDaysBack days before now's UTC day to the end of the day
// CalendarDaysAhead days after it. It moves once a day.
func CalendarWindow(now time.Time) (start, end time.Time) {
	day := now.UTC().Truncate(24 * time.Hour)
	return day.AddDate(0, 0, -CalendarDaysBack), day.AddDate(0, 0, CalendarDaysAhead+1)
}

// errFullSyncRequired is events.list's 410 Gone on a sync token.
var errFullSyncRequired = errors.New("calendar sync token no longer valid")

// SyncCalendar brings the index of the account's primary calendar up to
// date: a full sync of the window when there is no sync token, it was
// refused (410) or the window has moved; else the changes since the token.
// It records, with the events, the count of channel notifications it had
// seen when it began (CalendarSyncedPushes), so that a caller can tell
// whether another came meanwhile.
func (e *Engine) SyncCalendar(ctx context.Context, accountID string) error {
	ctx = e.cfg.Background(ctx)
	var err error
	for range maxConflicts + 1 {
		if err = e.syncCalendarOnce(ctx, accountID); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			break
		}
	}
	if err != nil && ctx.Err() == nil {
		e.cfg.Logger.Warn("calendar sync failed", "account_id", accountID, "err", err)
	}
	return err
}

func (e *Engine) syncCalendarOnce(ctx context.Context, accountID string) error {
	if e.cfg.DecodeEvent == nil {
		return errors.New("calendar sync: no event decoder configured")
	}
	st, err := e.cfg.Store.State(ctx, accountID)
	if err != nil {
		return err
	}
	svc, err := e.cfg.Google.CalendarService(ctx, st.UserID, accountID)
	if err != nil {
		return err
	}
	c := &calendarSync{e: e, svc: svc, st: &st, mark: st.CalendarPushes}
	start, end := CalendarWindow(e.cfg.Now())
	// A window later than this replica's (another's clock runs ahead) is
	// kept rather than fought over.
	if st.CalendarSyncToken != "" && !start.After(st.CalendarWindowStart) {
		if err := c.incremental(ctx); !errors.Is(err, errFullSyncRequired) {
			return err
		}
		e.cfg.Logger.Info("calendar sync token expired; syncing the window afresh", "account_id", accountID)
	}
	return c.full(ctx, start, end)
}

// calendarSync is one calendar sync run of one account.
type calendarSync struct {
	e    *Engine
	svc  *calendar.Service
	st   *State
	mark int64 // CalendarPushes when the run began
}

// full lists the window and replaces the indexed events with it, with the
// new sync token and window, in one transaction.
func (c *calendarSync) full(ctx context.Context, start, end time.Time) error {
	var events []Event
	var token, pageToken string
	for {
		call := c.svc.Events.List(PrimaryCalendar).Context(ctx).SingleEvents(true).
			TimeMin(start.Format(time.RFC3339)).TimeMax(end.Format(time.RFC3339)).MaxResults(calendarPageSize)
		if pageToken != "" {
			call = call.PageToken(pageToken)
		}
		res, err := call.Do()
		if err != nil {
			return c.e.upstream(err)
		}
		tz, loc := calendarZone(res.TimeZone)
		for _, it := range res.Items {
			if ev, ok := c.event(it, tz, loc, start, end); ok {
				events = append(events, ev)
			}
		}
		if pageToken = res.NextPageToken; pageToken == "" {
			token = res.NextSyncToken
			break
		}
	}
	if token == "" {
		return errors.New("calendar: the last page of the listing has no sync token")
	}
	next := *c.st
	next.CalendarSyncToken, next.CalendarWindowStart, next.CalendarWindowEnd = token, start, end
	return c.save(ctx, &next, events, nil, true)
}

// incremental applies the changes since the sync token.
func (c *calendarSync) incremental(ctx context.Context) error {
	var items []*calendar.Event
	var token, pageToken, zone string
	for {
		call := c.svc.Events.List(PrimaryCalendar).Context(ctx).SingleEvents(true).SyncToken(c.st.CalendarSyncToken).
			MaxResults(calendarPageSize)
		if pageToken != "" {
			call = call.PageToken(pageToken)
		}
		res, err := call.Do()
		if isGone(err) {
			return errFullSyncRequired
		}
		if err != nil {
			return c.e.upstream(err)
		}
		zone = res.TimeZone
		items = append(items, res.Items...)
		if pageToken = res.NextPageToken; pageToken == "" {
			token = res.NextSyncToken
			break
		}
	}
	if token == "" {
		return errors.New("calendar: the last page of the changes has no sync token")
	}
	start, end := c.st.CalendarWindowStart, c.st.CalendarWindowEnd
	tz, loc := calendarZone(zone)
	var upserts []Event
	deletes := map[string]bool{}
	if len(items) > 0 {
		held, err := c.e.cfg.Store.EventIDs(ctx, c.st.AccountID, PrimaryCalendar)
		if err != nil {
			return err
		}
		series := map[string]bool{}
		for _, it := range items {
			if it.RecurringEventId != "" {
				series[it.RecurringEventId] = true
				continue
			}
			if ev, ok := c.event(it, tz, loc, start, end); ok {
				upserts = append(upserts, ev)
			} else {
				deletes[it.Id] = true
			}
			// A series that became a single event leaves its instances.
			for _, id := range held {
				if instanceOf(id, it.Id) {
					deletes[id] = true
				}
			}
		}
		for s := range series {
			instances, err := c.instances(ctx, s, start, end)
			if err != nil {
				return err
			}
			keep := map[string]bool{}
			for _, ev := range instances {
				keep[ev.Event.ID] = true
			}
			upserts = append(upserts, instances...)
			for _, id := range held {
				if (id == s || instanceOf(id, s)) && !keep[id] {
					deletes[id] = true
				}
			}
		}
	}
	for _, ev := range upserts {
		delete(deletes, ev.Event.ID)
	}
	gone := make([]string, 0, len(deletes))
	for id := range deletes {
		gone = append(gone, id)
	}
	next := *c.st
	next.CalendarSyncToken = token
	return c.save(ctx, &next, upserts, gone, false)
}

// instanceOf reports whether id names an instance of series: Google's
// "<series>_<original start>", whose start has no "_" (a series split from
// another, "<series>_R<start>", has instances of its own).
func instanceOf(id, series string) bool {
	rest, ok := strings.CutPrefix(id, series+"_")
	return ok && rest != "" && !strings.Contains(rest, "_")
}

// instances lists a series' instances in the window; none when the series
// is gone.
func (c *calendarSync) instances(ctx context.Context, series string, start, end time.Time) ([]Event, error) {
	var out []Event
	pageToken := ""
	for {
		call := c.svc.Events.Instances(PrimaryCalendar, series).Context(ctx).TimeMin(start.Format(time.RFC3339)).
			TimeMax(end.Format(time.RFC3339)).MaxResults(calendarPageSize)
		if pageToken != "" {
			call = call.PageToken(pageToken)
		}
		res, err := call.Do()
		if isNotFound(err) || isGone(err) {
			return nil, nil
		}
		if err != nil {
			return nil, c.e.upstream(err)
		}
		tz, loc := calendarZone(res.TimeZone)
		for _, it := range res.Items {
			if ev, ok := c.event(it, tz, loc, start, end); ok {
				out = append(out, ev)
			}
		}
		if pageToken = res.NextPageToken; pageToken == "" {
			return out, nil
		}
	}
}

// save applies the changes with next's calendar state, the run's mark and
// the time, then tells the user's dashboards when something changed.
func (c *calendarSync) save(ctx context.Context, next *State, upserts []Event, deletes []string, reset bool) error {
	next.CalendarSyncedPushes, next.CalendarSyncedAt = c.mark, c.e.cfg.Now()
	if err := c.e.cfg.Store.ApplyEvents(ctx, c.st.AccountID, PrimaryCalendar, upserts, deletes, reset, next); err != nil {
		return err
	}
	*c.st = *next
	if (reset || len(upserts) > 0 || len(deletes) > 0) && c.e.cfg.Notifier != nil {
		if err := c.e.cfg.Notifier.Publish(ctx, c.st.UserID, "calendar.changed", map[string]any{"account_id": c.st.AccountID}); err != nil {
			c.e.cfg.Logger.Warn("publish calendar.changed", "err", err)
		}
	}
	return nil
}

// event is the index's row for an event that is not cancelled and overlaps
// [start, end), as events.list places it (all-day dates in the calendar's
// zone); ok is false otherwise.
func (c *calendarSync) event(it *calendar.Event, tz string, loc *time.Location, start, end time.Time) (Event, bool) {
	if it.Status == "cancelled" {
		return Event{}, false
	}
	from, ok1 := eventInstant(it.Start, loc)
	to, ok2 := eventInstant(it.End, loc)
	if !ok1 || !ok2 || !to.After(start) || !from.Before(end) {
		return Event{}, false
	}
	return Event{CalendarID: PrimaryCalendar, Event: c.e.cfg.DecodeEvent(it, tz), StartTime: from, EndTime: to}, true
}

// eventInstant is when an event's start or end falls: its dateTime, or
// midnight of its date in the calendar's zone.
func eventInstant(t *calendar.EventDateTime, loc *time.Location) (time.Time, bool) {
	if t == nil {
		return time.Time{}, false
	}
	if t.DateTime != "" {
		v, err := time.Parse(time.RFC3339, t.DateTime)
		return v.UTC(), err == nil
	}
	v, err := time.ParseInLocation(time.DateOnly, t.Date, loc)
	return v.UTC(), err == nil
}

// calendarZone is the calendar's time zone ("UTC" when Google names none)
// and its location.
func calendarZone(name string) (string, *time.Location) {
	if name == "" {
		return "UTC", time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return name, time.UTC
	}
	return name, loc
}

func isGone(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusGone
}

// RenewChannel opens a new Calendar channel (events.watch) on the account's
// primary calendar, posting to CalendarChannelAddress with a fresh random
// secret token, records it (the token's SHA-256 only) and then stops the
// channel it replaces, so that there is no moment without one. It returns
// the new channel's expiry.
func (e *Engine) RenewChannel(ctx context.Context, accountID string) (time.Time, error) {
	if e.cfg.CalendarChannelAddress == "" {
		return time.Time{}, errors.New("calendar channels: no address configured")
	}
	ctx = e.cfg.Background(ctx)
	st, err := e.cfg.Store.State(ctx, accountID)
	if err != nil {
		return time.Time{}, err
	}
	svc, err := e.cfg.Google.CalendarService(ctx, st.UserID, accountID)
	if err != nil {
		return time.Time{}, err
	}
	id, token := "jarvis-"+randomText(16, hex.EncodeToString), randomText(32, base64.RawURLEncoding.EncodeToString)
	ch, err := svc.Events.Watch(PrimaryCalendar, &calendar.Channel{Id: id, Type: "web_hook", Address: e.cfg.CalendarChannelAddress,
		Token: token}).Context(ctx).Do()
	if err != nil {
		return time.Time{}, e.upstream(err)
	}
	expiry := time.UnixMilli(ch.Expiration).UTC()
	sum := sha256.Sum256([]byte(token))
	var old State
	for range maxConflicts + 1 {
		old = st
		st.CalendarChannelID, st.CalendarChannelTokenSHA256 = id, hex.EncodeToString(sum[:])
		st.CalendarResourceID, st.CalendarChannelExpiry = ch.ResourceId, expiry
		if err = e.cfg.Store.SaveCalendarState(ctx, &st); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			break
		}
		if st, err = e.cfg.Store.State(ctx, accountID); err != nil {
			break
		}
	}
	if err != nil {
		e.stopChannel(ctx, svc, accountID, id, ch.ResourceId)
		return time.Time{}, err
	}
	if old.CalendarChannelID != "" && old.CalendarChannelID != id {
		e.stopChannel(ctx, svc, accountID, old.CalendarChannelID, old.CalendarResourceID)
	}
	return expiry, nil
}

// stopChannel stops a channel (channels.stop); one Google no longer knows
// is stopped already. A failure is logged: the channel lapses by itself,
// and its notifications are refused meanwhile.
func (e *Engine) stopChannel(ctx context.Context, svc *calendar.Service, accountID, id, resourceID string) {
	err := svc.Channels.Stop(&calendar.Channel{Id: id, ResourceId: resourceID}).Context(ctx).Do()
	if err != nil && !isNotFound(err) {
		e.cfg.Logger.Warn("stop calendar channel", "account_id", accountID, "err", err)
	}
}

// randomText is n random bytes, encoded.
func randomText(n int, encode func([]byte) string) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return encode(b)
}
