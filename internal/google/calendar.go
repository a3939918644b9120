package google

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/api/calendar/v3"
	"google.golang.org/api/option"

	"github.com/jarvis-hq/jarvis"
)

var _ jarvis.CalendarService = (*Service)(nil)

// calendarFor returns a Calendar service acting for the user, after checking
// that a calendar scope was granted (ESCOPEMISSING otherwise).
func (s *Service) calendarFor(ctx context.Context, userID string) (*calendar.Service, error) {
	u := s.tokens(userID)
	g, err := u.integration(ctx)
	if err != nil {
		return nil, err
	}
	if !hasAny(g, calScopes) {
		return nil, &jarvis.Error{Code: jarvis.ESCOPEMISSING, Message: "You did not let Jarvis read your calendar. Reconnect your Google account and grant that permission."}
	}
	opts := []option.ClientOption{option.WithHTTPClient(s.client(u))}
	if s.cal != "" {
		opts = append(opts, option.WithEndpoint(s.cal))
	}
	return calendar.NewService(ctx, opts...)
}

// Upcoming lists the primary calendar's events overlapping the next days,
// recurring events expanded, ordered by start, at most maxResults.
func (s *Service) Upcoming(ctx context.Context, userID string, days, maxResults int) (events []jarvis.Event, err error) {
	now := s.now()
	return s.events(ctx, userID, now, now.AddDate(0, 0, days), maxResults, map[string]any{"days": days})
}

// Events lists the primary calendar's events overlapping [from, to),
// recurring events expanded, ordered by start, at most maxResults.
func (s *Service) Events(ctx context.Context, userID string, from, to time.Time, maxResults int) ([]jarvis.Event, error) {
	return s.events(ctx, userID, from, to, maxResults, map[string]any{"from": from.UTC().Format(time.RFC3339), "to": to.UTC().Format(time.RFC3339)})
}

func (s *Service) events(ctx context.Context, userID string, from, to time.Time, maxResults int, meta map[string]any) (events []jarvis.Event, err error) {
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	defer func() {
		meta["results"] = len(events)
		s.audit(ctx, jarvis.AuditCalendarEventsList, "calendar", "primary", err, meta)
	}()
	svc, err := s.calendarFor(ctx, userID)
	if err != nil {
		return nil, err
	}
	events = []jarvis.Event{}
	pageToken := ""
	for len(events) < maxResults {
		call := svc.Events.List("primary").Context(ctx).SingleEvents(true).OrderBy("startTime").
			TimeMin(from.UTC().Format(time.RFC3339)).TimeMax(to.UTC().Format(time.RFC3339)).
			MaxResults(int64(min(maxResults-len(events), 250)))
		if pageToken != "" {
			call = call.PageToken(pageToken)
		}
		res, err := call.Do()
		if err != nil {
			return nil, upstreamError(ctx, err, "Calendar")
		}
		tz := res.TimeZone
		if tz == "" {
			tz = "UTC"
		}
		for _, e := range res.Items {
			if e.Status == "cancelled" {
				continue
			}
			events = append(events, eventFromGoogle(e, tz))
		}
		if pageToken = res.NextPageToken; pageToken == "" {
			break
		}
	}
	if len(events) > maxResults {
		events = events[:maxResults]
	}
	return events, nil
}

// TimeZone returns the primary calendar's time zone, "UTC" when it has
// none. It writes no audit row: it reads a setting, not the user's events.
func (s *Service) TimeZone(ctx context.Context, userID string) (string, error) {
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	svc, err := s.calendarFor(ctx, userID)
	if err != nil {
		return "", err
	}
	c, err := svc.CalendarList.Get("primary").Context(ctx).Do()
	if err != nil {
		return "", upstreamError(ctx, err, "Calendar")
	}
	if c.TimeZone == "" {
		return "UTC", nil
	}
	return c.TimeZone, nil
}

// eventFromGoogle turns an event into Jarvis's shape: all-day dates as
// YYYY-MM-DD, timed ones as RFC 3339 in UTC.
func eventFromGoogle(e *calendar.Event, calendarTZ string) jarvis.Event {
	out := jarvis.Event{ID: e.Id, Summary: e.Summary, Location: e.Location, HTMLLink: e.HtmlLink, Status: e.Status,
		MeetLink: e.HangoutLink, Attendees: []jarvis.Attendee{}, TimeZone: calendarTZ}
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
		out.Attendees = append(out.Attendees, jarvis.Attendee{Email: a.Email, Name: a.DisplayName, ResponseStatus: a.ResponseStatus})
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

// FreeBusy returns the primary calendar's busy intervals in [from, to) and
// its time zone.
func (s *Service) FreeBusy(ctx context.Context, userID string, from, to time.Time) (fb *jarvis.FreeBusy, err error) {
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	defer func() { s.audit(ctx, jarvis.AuditCalendarFreeBusy, "calendar", "primary", err, nil) }()
	svc, err := s.calendarFor(ctx, userID)
	if err != nil {
		return nil, err
	}
	fb = &jarvis.FreeBusy{TimeZone: "UTC", Busy: []jarvis.Interval{}}
	list, err := svc.CalendarList.List().Context(ctx).Do()
	if err != nil {
		return nil, upstreamError(ctx, err, "Calendar")
	}
	for _, c := range list.Items {
		if c.Primary && c.TimeZone != "" {
			fb.TimeZone = c.TimeZone
		}
	}
	res, err := svc.Freebusy.Query(&calendar.FreeBusyRequest{TimeMin: from.UTC().Format(time.RFC3339), TimeMax: to.UTC().Format(time.RFC3339),
		Items: []*calendar.FreeBusyRequestItem{{Id: "primary"}}}).Context(ctx).Do()
	if err != nil {
		return nil, upstreamError(ctx, err, "Calendar")
	}
	for id, c := range res.Calendars {
		if len(c.Errors) > 0 {
			return nil, &jarvis.Error{Code: jarvis.EUPSTREAM, Message: "Google could not read the calendar's free/busy time.", Err: fmt.Errorf("calendar %s: %s", id, c.Errors[0].Reason)}
		}
		for _, b := range c.Busy {
			st, err1 := time.Parse(time.RFC3339, b.Start)
			en, err2 := time.Parse(time.RFC3339, b.End)
			if err1 == nil && err2 == nil {
				fb.Busy = append(fb.Busy, jarvis.Interval{Start: st.UTC(), End: en.UTC()})
			}
		}
	}
	return fb, nil
}
