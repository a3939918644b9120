package google

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/api/calendar/v3"
	"google.golang.org/api/option"

	"github.com/jarvis-hq/jarvis"
)

var _ jarvis.CalendarService = (*Service)(nil)

// calCall is one Calendar operation for one of a user's accounts.
type calCall struct {
	svc *calendar.Service
	g   *jarvis.GoogleIntegration
}

func (c *calCall) acct() *jarvis.GoogleIntegration {
	if c == nil {
		return nil
	}
	return c.g
}

// calendarFor returns a Calendar service acting for the user's account (id,
// email, or "" for the primary), after checking that a calendar scope was
// granted (ESCOPEMISSING otherwise). ENOTFOUND if there is no such account.
func (s *Service) calendarFor(ctx context.Context, userID, account string) (*calCall, error) {
	return s.calendarWith(ctx, userID, account, calScopes, "read the calendar")
}

// calendarWith is calendarFor for a call that needs one of scopes, to do
// what (for the ESCOPEMISSING message).
func (s *Service) calendarWith(ctx context.Context, userID, account string, scopes []string, what string) (*calCall, error) {
	u := s.tokens(userID, account)
	g, err := u.integration(ctx)
	if err != nil {
		return nil, err
	}
	if !hasAny(g, scopes) {
		return nil, scopeError(g, what)
	}
	opts := []option.ClientOption{option.WithHTTPClient(s.client(u))}
	if s.cal != "" {
		opts = append(opts, option.WithEndpoint(s.cal))
	}
	svc, err := calendar.NewService(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return &calCall{svc: svc, g: g}, nil
}

// Upcoming lists the events of the account's primary calendar (or, for
// AllAccounts, of every account's, merged) overlapping the next days,
// recurring events expanded, ordered by start, at most maxResults.
func (s *Service) Upcoming(ctx context.Context, userID, account string, days, maxResults int) (*jarvis.EventList, error) {
	now := s.now()
	return s.eventList(ctx, userID, account, now, now.AddDate(0, 0, days), maxResults, map[string]any{"days": days})
}

// Events lists the events of the account's primary calendar (or, for
// AllAccounts, of every account's, merged) overlapping [from, to),
// recurring events expanded, ordered by start, at most maxResults.
func (s *Service) Events(ctx context.Context, userID, account string, from, to time.Time, maxResults int) (*jarvis.EventList, error) {
	return s.eventList(ctx, userID, account, from, to, maxResults, map[string]any{"from": from.UTC().Format(time.RFC3339), "to": to.UTC().Format(time.RFC3339)})
}

// eventList reads one account's events, or every account's in parallel,
// merged by start (all-day events at the start of their day, in UTC).
func (s *Service) eventList(ctx context.Context, userID, account string, from, to time.Time, maxResults int, meta map[string]any) (*jarvis.EventList, error) {
	if account != jarvis.AllAccounts {
		events, g, err := s.events(ctx, userID, account, from, to, maxResults, meta)
		if err != nil {
			return nil, err
		}
		return &jarvis.EventList{Accounts: []jarvis.AccountRef{*g.Ref()}, Events: events}, nil
	}
	accounts, err := s.allAccounts(ctx, userID)
	if err != nil {
		return nil, err
	}
	per := make([][]jarvis.Event, len(accounts))
	eg, gctx := errgroup.WithContext(ctx)
	for i, a := range accounts {
		eg.Go(func() error {
			m := maps.Clone(meta)
			m["merged"] = true
			events, _, err := s.events(gctx, userID, a.ID, from, to, maxResults, m)
			per[i] = events
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	out := &jarvis.EventList{Events: []jarvis.Event{}}
	for i, a := range accounts {
		out.Accounts = append(out.Accounts, jarvis.AccountRef{ID: a.ID, Email: a.Email})
		out.Events = append(out.Events, per[i]...)
	}
	slices.SortStableFunc(out.Events, func(a, b jarvis.Event) int { return eventStart(a).Compare(eventStart(b)) })
	if len(out.Events) > maxResults {
		out.Events = out.Events[:maxResults]
	}
	return out, nil
}

// allAccounts returns the user's accounts, the primary first; EREAUTH
// (not connected) when there is none.
func (s *Service) allAccounts(ctx context.Context, userID string) ([]jarvis.GoogleAccount, error) {
	accounts, err := s.st.Integrations.ListGoogleAccounts(ctx, userID)
	if err != nil {
		return nil, err
	}
	if len(accounts) == 0 {
		return nil, notConnected(nil)
	}
	return accounts, nil
}

// eventStart is when an event starts, for ordering: an all-day event at the
// start of its day in UTC.
func eventStart(e jarvis.Event) time.Time {
	if e.AllDay {
		t, _ := time.Parse(time.DateOnly, e.Start)
		return t
	}
	t, _ := time.Parse(time.RFC3339, e.Start)
	return t
}

// events reads one account's events and writes the calendar.events.list
// audit row.
func (s *Service) events(ctx context.Context, userID, account string, from, to time.Time, maxResults int, meta map[string]any) (events []jarvis.Event, _ *jarvis.GoogleIntegration, err error) {
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	var c *calCall
	defer func() {
		meta["results"] = len(events)
		err = s.record(ctx, c.acct(), jarvis.AuditCalendarEventsList, "calendar", "primary", err, meta)
	}()
	c, err = s.calendarFor(ctx, userID, account)
	if err != nil {
		return nil, nil, err
	}
	ref := c.g.Ref()
	events = []jarvis.Event{}
	pageToken := ""
	for len(events) < maxResults {
		call := c.svc.Events.List("primary").Context(ctx).SingleEvents(true).OrderBy("startTime").
			TimeMin(from.UTC().Format(time.RFC3339)).TimeMax(to.UTC().Format(time.RFC3339)).
			MaxResults(int64(min(maxResults-len(events), 250)))
		if pageToken != "" {
			call = call.PageToken(pageToken)
		}
		res, err := call.Do()
		if err != nil {
			return nil, nil, upstreamError(ctx, err, "Calendar")
		}
		tz := res.TimeZone
		if tz == "" {
			tz = "UTC"
		}
		for _, e := range res.Items {
			if e.Status == "cancelled" {
				continue
			}
			ev := DecodeEvent(e, tz)
			ev.Account = ref
			events = append(events, ev)
		}
		if pageToken = res.NextPageToken; pageToken == "" {
			break
		}
	}
	if len(events) > maxResults {
		events = events[:maxResults]
	}
	return events, c.g, nil
}

// TimeZone returns the time zone of the account's primary calendar, "UTC"
// when it has none. It writes no audit row: it reads a setting, not the
// user's events.
func (s *Service) TimeZone(ctx context.Context, userID, account string) (_ string, err error) {
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	if account == jarvis.AllAccounts {
		account = ""
	}
	c, err := s.calendarFor(ctx, userID, account)
	if err != nil {
		return "", err
	}
	cal, err := c.svc.CalendarList.Get("primary").Context(ctx).Do()
	if err != nil {
		return "", aboutAccount(upstreamError(ctx, err, "Calendar"), c.g)
	}
	if cal.TimeZone == "" {
		return "UTC", nil
	}
	return cal.TimeZone, nil
}

// DecodeEvent turns an event into Jarvis's shape: all-day dates as
// YYYY-MM-DD, timed ones as RFC 3339 in UTC.
func DecodeEvent(e *calendar.Event, calendarTZ string) jarvis.Event {
	out := jarvis.Event{ID: e.Id, Summary: e.Summary, Description: e.Description, Location: e.Location, HTMLLink: e.HtmlLink, Status: e.Status,
		MeetLink: e.HangoutLink, Attendees: []jarvis.Attendee{}, TimeZone: calendarTZ, Recurrence: e.Recurrence, RecurringEventID: e.RecurringEventId}
	if o := e.OriginalStartTime; o != nil {
		if o.Date != "" {
			out.OriginalStart = o.Date
		} else {
			out.OriginalStart = utc(o.DateTime)
		}
	}
	if e.Start != nil {
		if e.Start.Date != "" {
			out.AllDay, out.Start = true, e.Start.Date
		} else {
			out.Start = utc(e.Start.DateTime)
		}
		if e.Start.TimeZone != "" {
			out.TimeZone = e.Start.TimeZone
		}
	}
	if e.End != nil {
		if e.End.Date != "" {
			out.End = e.End.Date
		} else {
			out.End = utc(e.End.DateTime)
		}
	}
	if out.MeetLink == "" && e.ConferenceData != nil {
		for _, ep := range e.ConferenceData.EntryPoints {
			if ep.EntryPointType == "video" {
				out.MeetLink = ep.Uri
				break
			}
		}
	}
	for _, a := range e.Attendees {
		if a.Resource {
			continue
		}
		out.Attendees = append(out.Attendees, jarvis.Attendee{Email: a.Email, Name: a.DisplayName, ResponseStatus: a.ResponseStatus, Comment: a.Comment, Self: a.Self})
	}
	if e.Organizer != nil {
		out.Organizer = &jarvis.Attendee{Email: e.Organizer.Email, Name: e.Organizer.DisplayName}
	}
	return out
}

func utc(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format(time.RFC3339)
}

// FreeBusy returns the busy intervals in [from, to) of the account's primary
// calendar and its time zone; for AllAccounts, of every account's, merged
// (busy in any calendar is busy), in the primary account's time zone.
func (s *Service) FreeBusy(ctx context.Context, userID, account string, from, to time.Time) (*jarvis.FreeBusy, error) {
	if account != jarvis.AllAccounts {
		return s.freeBusy(ctx, userID, account, from, to, false)
	}
	accounts, err := s.allAccounts(ctx, userID)
	if err != nil {
		return nil, err
	}
	per := make([]*jarvis.FreeBusy, len(accounts))
	eg, gctx := errgroup.WithContext(ctx)
	for i, a := range accounts {
		eg.Go(func() (err error) {
			per[i], err = s.freeBusy(gctx, userID, a.ID, from, to, true)
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	out := &jarvis.FreeBusy{TimeZone: per[0].TimeZone, Busy: []jarvis.Interval{}}
	for _, fb := range per {
		out.Busy = append(out.Busy, fb.Busy...)
		out.Accounts = append(out.Accounts, fb.Accounts...)
	}
	slices.SortStableFunc(out.Busy, func(a, b jarvis.Interval) int { return a.Start.Compare(b.Start) })
	return out, nil
}

// freeBusy reads one account's busy time and writes the
// calendar.freebusy.query audit row.
func (s *Service) freeBusy(ctx context.Context, userID, account string, from, to time.Time, merged bool) (fb *jarvis.FreeBusy, err error) {
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	var c *calCall
	defer func() {
		var meta map[string]any
		if merged {
			meta = map[string]any{"merged": true}
		}
		err = s.record(ctx, c.acct(), jarvis.AuditCalendarFreeBusy, "calendar", "primary", err, meta)
	}()
	c, err = s.calendarFor(ctx, userID, account)
	if err != nil {
		return nil, err
	}
	fb = &jarvis.FreeBusy{TimeZone: "UTC", Busy: []jarvis.Interval{}, Accounts: []jarvis.AccountRef{*c.g.Ref()}}
	list, err := c.svc.CalendarList.List().Context(ctx).Do()
	if err != nil {
		return nil, upstreamError(ctx, err, "Calendar")
	}
	for _, cal := range list.Items {
		if cal.Primary && cal.TimeZone != "" {
			fb.TimeZone = cal.TimeZone
		}
	}
	res, err := c.svc.Freebusy.Query(&calendar.FreeBusyRequest{TimeMin: from.UTC().Format(time.RFC3339), TimeMax: to.UTC().Format(time.RFC3339),
		Items: []*calendar.FreeBusyRequestItem{{Id: "primary"}}}).Context(ctx).Do()
	if err != nil {
		return nil, upstreamError(ctx, err, "Calendar")
	}
	for id, cal := range res.Calendars {
		if len(cal.Errors) > 0 {
			return nil, &jarvis.Error{Code: jarvis.EUPSTREAM, Account: c.g.Ref(),
				Message: fmt.Sprintf("Google could not read the free/busy time of the calendar of %s.", c.g.Email), Err: fmt.Errorf("calendar %s: %s", id, cal.Errors[0].Reason)}
		}
		for _, b := range cal.Busy {
			st, err1 := time.Parse(time.RFC3339, b.Start)
			en, err2 := time.Parse(time.RFC3339, b.End)
			if err1 == nil && err2 == nil {
				fb.Busy = append(fb.Busy, jarvis.Interval{Start: st.UTC(), End: en.UTC()})
			}
		}
	}
	return fb, nil
}
