package google

import (
	"context"
	"strings"
	"time"

	"google.golang.org/api/calendar/v3"

	"github.com/jarvis-hq/jarvis"
)

// SetWorkingHours makes src the source of the owners' working hours that
// meeting proposals fall within; nil (the default) is Monday to Friday,
// 09:00 to 17:00, in the calendar's time zone.
func (s *Service) SetWorkingHours(src jarvis.WorkingHoursSource) {
	s.mu.Lock()
	s.hours = src
	s.mu.Unlock()
}

// Suggest proposes meeting times within the window (default: the next 7
// days, never before now): free in the user's calendar — every account's
// for AllAccounts — and in the attendees' (freebusy.query, each call a
// calendar.freebusy.query audit row, the attendees counted, not named),
// within the owner's working hours. Attendees whose free/busy Google does
// not show are listed as unknown.
func (s *Service) Suggest(ctx context.Context, userID, account string, in jarvis.MeetingRequest) (*jarvis.MeetingSuggestions, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	from, to := now, now.Add(jarvis.DefaultSuggestWindow)
	if in.Within != nil {
		from, to, _ = in.Within.Parse()
	}
	if from.Before(now) {
		from = now
	}
	if !to.After(from) {
		return nil, jarvis.Invalid("within.end", "The window is over: give one that ends in the future.")
	}
	max := in.MaxResults
	if max == 0 {
		max = jarvis.DefaultSuggestions
	}
	own, err := s.FreeBusy(ctx, userID, account, from, to)
	if err != nil {
		return nil, err
	}
	busy := own.Busy
	var unknown []string
	if len(in.Attendees) > 0 {
		acting := account
		if acting == jarvis.AllAccounts {
			acting = ""
		}
		theirs, missing, err := s.attendeesBusy(ctx, userID, acting, in.Attendees, from, to)
		if err != nil {
			return nil, err
		}
		busy, unknown = append(busy, theirs...), missing
	}
	hours := jarvis.DefaultWorkingHours()
	s.mu.Lock()
	src := s.hours
	s.mu.Unlock()
	if src != nil {
		h, err := src.WorkingHours(ctx, userID)
		if err != nil {
			return nil, err
		}
		if h != nil {
			hours = *h
		}
	}
	if hours.TimeZone == "" {
		hours.TimeZone = own.TimeZone
	}
	loc, err := time.LoadLocation(hours.TimeZone)
	if err != nil {
		loc, hours.TimeZone = time.UTC, "UTC"
	}
	out := &jarvis.MeetingSuggestions{TimeZone: hours.TimeZone, WorkingHours: hours, Unknown: []string{},
		Proposals: jarvis.ProposeMeetingTimes(busy, hours, loc, from, to, time.Duration(in.DurationMinutes)*time.Minute, max)}
	if len(own.Accounts) > 0 {
		out.Account = &own.Accounts[0]
	}
	if unknown != nil {
		out.Unknown = unknown
	}
	return out, nil
}

// attendeesBusy reads the attendees' busy time (freebusy.query through the
// account) and the attendees whose calendars Google would not show.
func (s *Service) attendeesBusy(ctx context.Context, userID, account string, attendees []string, from, to time.Time) (busy []jarvis.Interval, unknown []string, err error) {
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	var c *calCall
	defer func() {
		err = s.record(ctx, c.acct(), jarvis.AuditCalendarFreeBusy, "calendar", "attendees", err,
			map[string]any{"attendees": len(attendees), "unknown": len(unknown)})
	}()
	c, err = s.calendarFor(ctx, userID, account)
	if err != nil {
		return nil, nil, err
	}
	req := &calendar.FreeBusyRequest{TimeMin: from.Format(time.RFC3339), TimeMax: to.Format(time.RFC3339)}
	for _, a := range attendees {
		req.Items = append(req.Items, &calendar.FreeBusyRequestItem{Id: a})
	}
	res, err := c.svc.Freebusy.Query(req).Context(ctx).Do()
	if err != nil {
		return nil, nil, upstreamError(ctx, err, "Calendar")
	}
	for _, a := range attendees {
		cal, ok := res.Calendars[a]
		if !ok {
			for id, v := range res.Calendars {
				if strings.EqualFold(id, a) {
					cal, ok = v, true
				}
			}
		}
		if !ok || len(cal.Errors) > 0 {
			unknown = append(unknown, a)
			continue
		}
		for _, b := range cal.Busy {
			st, err1 := time.Parse(time.RFC3339, b.Start)
			en, err2 := time.Parse(time.RFC3339, b.End)
			if err1 == nil && err2 == nil {
				busy = append(busy, jarvis.Interval{Start: st.UTC(), End: en.UTC()})
			}
		}
	}
	return busy, unknown, nil
}
