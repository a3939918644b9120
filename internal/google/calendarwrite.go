package google

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/api/calendar/v3"
	"google.golang.org/api/googleapi"

	"github.com/jarvis-hq/jarvis"
)

var _ jarvis.CalendarWriter = (*Service)(nil)

// calWriteScopes allow changing events.
var calWriteScopes = []string{ScopeCalendarEvents, "https://www.googleapis.com/auth/calendar"}

// CreateEvent inserts an event into the account's primary calendar
// (events.insert, with conferenceDataVersion 1 for a Meet link) and reads
// it back. It writes a calendar.event.create audit row with the account,
// the new id and no content.
func (s *Service) CreateEvent(ctx context.Context, userID, account string, in jarvis.EventCreate) (*jarvis.Event, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	st, en, err := jarvis.ParseEventSpan(in.Start, in.End, in.TimeZone)
	if err != nil {
		return nil, err
	}
	ev := &calendar.Event{Summary: in.Summary, Description: in.Description, Location: in.Location,
		Start: eventDateTime(st, in.TimeZone), End: eventDateTime(en, in.TimeZone), Recurrence: in.Recurrence,
		Attendees: guests(nil, in.Attendees)}
	if in.Meet {
		ev.ConferenceData = meetRequest()
	}
	// Run as an action of the queue, the event takes an id derived from
	// the action's: a re-run of the action (after a crash between
	// creating and recording) meets Google's 409 for that id and answers
	// the event the first run made, so it is created once.
	if aid := jarvis.ActionIDFrom(ctx); aid != "" {
		ev.Id = jarvis.ActionEventID(aid)
	}
	meta := map[string]any{"send_updates": sendUpdates(in.SendUpdates, jarvis.SendUpdatesNone), "attendees": len(ev.Attendees), "recurring": len(in.Recurrence) > 0}
	return s.calendarWrite(ctx, userID, account, jarvis.AuditCalendarEventCreate, "", meta, func(ctx context.Context, c *calCall) (string, error) {
		call := c.svc.Events.Insert("primary", ev).SendUpdates(sendUpdates(in.SendUpdates, jarvis.SendUpdatesNone)).Context(ctx)
		if in.Meet {
			call = call.ConferenceDataVersion(1)
		}
		out, err := call.Do()
		var ge *googleapi.Error
		if ev.Id != "" && errors.As(err, &ge) && ge.Code == http.StatusConflict {
			meta["existing"] = true
			return ev.Id, nil
		}
		if err != nil {
			return "", eventError(ctx, err)
		}
		return out.Id, nil
	})
}

// UpdateEvent changes an event (events.patch). For an instance of a
// series, scope instance patches the instance, series the series (a new
// start or end moves every instance by as much as it moves this one),
// and following splits the series: a new series from the instance on,
// with the change, then the old one ends before it (RRULE UNTIL; a COUNT
// is shared out), as Google Calendar does; if the old one cannot be
// ended, the new one is deleted again. It answers the event changed (the
// new series for following), read back, and writes a
// calendar.event.update audit row.
func (s *Service) UpdateEvent(ctx context.Context, userID, account, eventID string, in jarvis.EventUpdate) (*jarvis.Event, error) {
	send := sendUpdates(in.SendUpdates, jarvis.SendUpdatesNone)
	meta := map[string]any{"scope": in.Scope, "send_updates": send}
	return s.eventChange(ctx, userID, account, jarvis.AuditCalendarEventUpdate, eventID, in, meta, func(ctx context.Context, c *calCall, cur *calendar.Event) (string, error) {
		target, series, err := c.scoped(ctx, cur, in.Scope)
		if err != nil {
			return "", err
		}
		meta["scope"] = target.kind
		switch target.kind {
		case jarvis.ScopeFollowing:
			return c.split(ctx, series, cur, in, send)
		case jarvis.ScopeSeries:
			return c.patchSeries(ctx, series, cur, in, send)
		}
		patch := &calendar.Event{}
		if err := applyUpdate(patch, cur, in); err != nil {
			return "", err
		}
		return cur.Id, c.patch(ctx, cur.Id, patch, in.Meet != nil, send)
	})
}

// DeleteEvent cancels an event (events.delete): scope instance one
// instance, series the series, following ends the series before the
// instance (the whole series when the instance is its first). It answers
// the event read back — cancelled, or the series ended early — and writes
// a calendar.event.delete audit row.
func (s *Service) DeleteEvent(ctx context.Context, userID, account, eventID string, in jarvis.EventDelete) (*jarvis.Event, error) {
	send := sendUpdates(in.SendUpdates, jarvis.SendUpdatesNone)
	meta := map[string]any{"scope": in.Scope, "send_updates": send}
	return s.eventChange(ctx, userID, account, jarvis.AuditCalendarEventDelete, eventID, in, meta, func(ctx context.Context, c *calCall, cur *calendar.Event) (string, error) {
		if cur.Status == "cancelled" {
			if jarvis.ActionIDFrom(ctx) != "" {
				// An action run again (its first run cancelled the event,
				// then the outcome was not recorded): the event is as the
				// action wants it, so it answers the event, not an error.
				meta["already"] = true
				return cur.Id, nil
			}
			return "", jarvis.Errorf(jarvis.ENOTFOUND, "Event not found: it is cancelled already.")
		}
		target, series, err := c.scoped(ctx, cur, in.Scope)
		if err != nil {
			return "", err
		}
		meta["scope"] = target.kind
		id := cur.Id
		switch target.kind {
		case jarvis.ScopeFollowing:
			before, err := c.instancesBefore(ctx, series, cur)
			if err != nil {
				return "", err
			}
			if before > 0 {
				old, _ := splitRules(series.Recurrence, cur.OriginalStartTime, before)
				return series.Id, c.patch(ctx, series.Id, &calendar.Event{Recurrence: old}, false, send)
			}
			id = series.Id
		case jarvis.ScopeSeries:
			id = series.Id
		}
		if err := c.svc.Events.Delete("primary", id).SendUpdates(send).Context(ctx).Do(); err != nil {
			return "", eventError(ctx, err)
		}
		return id, nil
	})
}

// RSVP sets the user's own response and comment on an event or one
// instance (events.patch of their attendee entry; Google records it at
// the organizer and, with send_updates all, the default, mails it there).
// ECONFLICT when the account is not among the guests. It writes a
// calendar.event.rsvp audit row with the response.
func (s *Service) RSVP(ctx context.Context, userID, account, eventID string, in jarvis.EventRSVP) (*jarvis.Event, error) {
	send := sendUpdates(in.SendUpdates, jarvis.SendUpdatesAll)
	meta := map[string]any{"response": in.Response, "send_updates": send, "comment": in.Comment != ""}
	return s.eventChange(ctx, userID, account, jarvis.AuditCalendarEventRSVP, eventID, in, meta, func(ctx context.Context, c *calCall, cur *calendar.Event) (string, error) {
		list := make([]*calendar.EventAttendee, 0, len(cur.Attendees))
		found := false
		for _, a := range cur.Attendees {
			cp := *a
			if a.Self || strings.EqualFold(a.Email, c.g.Email) {
				cp.ResponseStatus, cp.Comment, found = in.Response, in.Comment, true
				cp.ForceSendFields = []string{"Comment"}
			}
			list = append(list, &cp)
		}
		if !found {
			return "", jarvis.Errorf(jarvis.ECONFLICT, "%s is not a guest of this event: only guests answer an invitation.", c.g.Email)
		}
		return cur.Id, c.patch(ctx, cur.Id, &calendar.Event{Attendees: list}, false, send)
	})
}

// eventChange checks the change and the id of the event it names, then
// runs it (see calendarWrite) on the event as Google has it now.
func (s *Service) eventChange(ctx context.Context, userID, account, action, eventID string, in interface{ Validate() error }, meta map[string]any,
	change func(ctx context.Context, c *calCall, cur *calendar.Event) (string, error)) (*jarvis.Event, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if err := validEventID(eventID); err != nil {
		return nil, err
	}
	return s.calendarWrite(ctx, userID, account, action, eventID, meta, func(ctx context.Context, c *calCall) (string, error) {
		cur, err := c.get(ctx, eventID)
		if err != nil {
			if id := c.splitMade(ctx, in, err); id != "" {
				meta["already"] = true
				return id, nil
			}
			return "", err
		}
		return change(ctx, c, cur)
	})
}

// calendarWrite runs one change to the account's calendar within the call
// timeout, reads the event it names back, and writes the audit row
// (target the event id, the new one for a create), whatever the outcome.
func (s *Service) calendarWrite(ctx context.Context, userID, account, action, eventID string, meta map[string]any,
	change func(context.Context, *calCall) (string, error)) (out *jarvis.Event, err error) {
	if account == jarvis.AllAccounts {
		return nil, jarvis.Invalid("account", "An event is changed in one account: name it by id or email, or leave account out for the primary.")
	}
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	var c *calCall
	target := eventID
	defer func() {
		if out != nil && out.ID != eventID {
			if eventID == "" {
				target = out.ID
			} else {
				meta["result_id"] = out.ID
			}
		}
		err = s.record(ctx, c.acct(), action, "event", target, err, meta)
	}()
	c, err = s.calendarWith(ctx, userID, account, calWriteScopes, "change your calendar")
	if err != nil {
		return nil, err
	}
	id, err := change(ctx, c)
	if err != nil {
		return nil, err
	}
	return c.readBack(ctx, id)
}

// readBack reads an event as Google stores it, in Jarvis's shape, naming
// its account.
func (c *calCall) readBack(ctx context.Context, id string) (*jarvis.Event, error) {
	e, err := c.get(ctx, id)
	if err != nil {
		return nil, err
	}
	tz := ""
	if e.Start == nil || e.Start.TimeZone == "" {
		cal, err := c.svc.CalendarList.Get("primary").Context(ctx).Do()
		if err != nil {
			return nil, upstreamError(ctx, err, "Calendar")
		}
		tz = cal.TimeZone
	}
	if tz == "" {
		tz = "UTC"
	}
	ev := DecodeEvent(e, tz)
	ev.Account = c.g.Ref()
	return &ev, nil
}

func (c *calCall) get(ctx context.Context, id string) (*calendar.Event, error) {
	e, err := c.svc.Events.Get("primary", id).Context(ctx).Do()
	if err != nil {
		return nil, eventError(ctx, err)
	}
	return e, nil
}

func (c *calCall) patch(ctx context.Context, id string, patch *calendar.Event, conference bool, send string) error {
	call := c.svc.Events.Patch("primary", id, patch).SendUpdates(send).Context(ctx)
	if conference {
		call = call.ConferenceDataVersion(1)
	}
	_, err := call.Do()
	return eventError(ctx, err)
}

// patchSeries applies the change to the whole series; from an instance
// cur, a new start or end moves every instance by as much as it moves cur.
func (c *calCall) patchSeries(ctx context.Context, series, cur *calendar.Event, in jarvis.EventUpdate, send string) (string, error) {
	patch := &calendar.Event{}
	if err := applyUpdate(patch, series, in); err != nil {
		return "", err
	}
	if cur.Id != series.Id && (in.Start != nil || in.End != nil) {
		if err := shiftSeries(patch, series, cur); err != nil {
			return "", err
		}
	}
	return series.Id, c.patch(ctx, series.Id, patch, in.Meet != nil, send)
}

// scope is where a change applies.
type scope struct{ kind string }

// scoped resolves a scope against the event the id names: for an
// instance, the series too; "" means what the id names. An instance
// scope on a series itself is refused (which instance?); a single event
// is its own series.
func (c *calCall) scoped(ctx context.Context, cur *calendar.Event, want string) (scope, *calendar.Event, error) {
	if cur.RecurringEventId == "" {
		if want == jarvis.ScopeInstance && len(cur.Recurrence) > 0 {
			return scope{}, nil, jarvis.Invalid("scope", "This id names a whole series: to change one instance, use the instance's id, as GET /calendar/upcoming lists it.")
		}
		// The first instance and those following are the series.
		return scope{jarvis.ScopeSeries}, cur, nil
	}
	if want == "" || want == jarvis.ScopeInstance {
		return scope{jarvis.ScopeInstance}, nil, nil
	}
	series, err := c.get(ctx, cur.RecurringEventId)
	if err != nil {
		return scope{}, nil, err
	}
	if want == jarvis.ScopeFollowing && len(series.Recurrence) == 0 {
		want = jarvis.ScopeSeries
	}
	return scope{want}, series, nil
}

// split ends the series before instance inst and starts a new series
// there with the change: the new series is inserted first, so that a
// failure leaves the calendar as it was.
func (c *calCall) split(ctx context.Context, series, inst *calendar.Event, in jarvis.EventUpdate, send string) (string, error) {
	before, err := c.instancesBefore(ctx, series, inst)
	if err != nil {
		return "", err
	}
	if before == 0 {
		// Splitting at the first instance changes the whole series.
		return c.patchSeries(ctx, series, inst, in, send)
	}
	old, rest := splitRules(series.Recurrence, inst.OriginalStartTime, before)
	// The new series: the old one's content from the instance's original
	// start on, with the change.
	orig, err := readEventTime(inst.OriginalStartTime)
	if err != nil {
		return "", err
	}
	start, _ := readEventTime(series.Start)
	end, _ := readEventTime(series.End)
	ns := &calendar.Event{Summary: series.Summary, Description: series.Description, Location: series.Location,
		Transparency: series.Transparency, Visibility: series.Visibility, Recurrence: rest,
		Start: eventDateTime(orig, series.Start.TimeZone), End: eventDateTime(shiftBy(orig, end, start), series.End.TimeZone)}
	for _, a := range series.Attendees {
		cp := *a
		cp.Self, cp.Organizer, cp.Id = false, false, ""
		ns.Attendees = append(ns.Attendees, &cp)
	}
	conference := series.ConferenceData != nil && in.Meet == nil
	if conference {
		ns.ConferenceData = &calendar.ConferenceData{ConferenceId: series.ConferenceData.ConferenceId,
			ConferenceSolution: series.ConferenceData.ConferenceSolution, EntryPoints: series.ConferenceData.EntryPoints}
	}
	if err := applyUpdate(ns, ns, in); err != nil {
		return "", err
	}
	call := c.svc.Events.Insert("primary", ns).SendUpdates(send).Context(ctx)
	if conference || in.Meet != nil {
		call = call.ConferenceDataVersion(1)
	}
	// Run as an action of the queue, the new series takes an id derived
	// from the action's, as a created event does: a re-run of the action
	// meets Google's 409 for it and goes on with the series the first run
	// made (ending the old one, if the first run did not get to it) rather
	// than splitting again.
	if aid := jarvis.ActionIDFrom(ctx); aid != "" {
		ns.Id = jarvis.ActionEventID(aid)
	}
	created, err := call.Do()
	var ge *googleapi.Error
	if ns.Id != "" && errors.As(err, &ge) && ge.Code == http.StatusConflict {
		if created, err = c.get(ctx, ns.Id); err != nil {
			return "", err
		}
		if created.Status == "cancelled" {
			// The first run undid its new series: it failed, and said so.
			return "", jarvis.Errorf(jarvis.ECONFLICT, "This change was tried before and undone; ask for it again.")
		}
	} else if err != nil {
		return "", eventError(ctx, err)
	}
	if err := c.patch(ctx, series.Id, &calendar.Event{Recurrence: old}, false, send); err != nil {
		// Undo the new series rather than leave the span twice.
		if derr := c.svc.Events.Delete("primary", created.Id).SendUpdates(send).Context(context.WithoutCancel(ctx)).Do(); derr != nil {
			return "", errors.Join(err, fmt.Errorf("delete the new series %s: %w", created.Id, derr))
		}
		return "", err
	}
	return created.Id, nil
}

// splitMade answers, for an action's "this and following" change run
// again whose instance is gone (the first run split the series there, and
// ended the old one before it), the id of the new series that run made;
// "" otherwise.
func (c *calCall) splitMade(ctx context.Context, in any, err error) string {
	u, ok := in.(jarvis.EventUpdate)
	aid := jarvis.ActionIDFrom(ctx)
	if !ok || u.Scope != jarvis.ScopeFollowing || aid == "" || !jarvis.IsCode(err, jarvis.ENOTFOUND) {
		return ""
	}
	ns, gerr := c.get(ctx, jarvis.ActionEventID(aid))
	if gerr != nil || ns.Status == "cancelled" {
		return ""
	}
	return ns.Id
}

// instancesBefore counts the series' occurrences before the instance's
// original start, cancelled ones included (a COUNT counts them).
func (c *calCall) instancesBefore(ctx context.Context, series, inst *calendar.Event) (int, error) {
	orig, err := readEventTime(inst.OriginalStartTime)
	if err != nil {
		return 0, err
	}
	max := orig.Time
	if orig.AllDay {
		d, _ := time.Parse(time.DateOnly, orig.Date)
		max = d.Add(36 * time.Hour)
	}
	n, pageToken := 0, ""
	for {
		list := c.svc.Events.Instances("primary", series.Id).ShowDeleted(true).TimeMax(max.UTC().Format(time.RFC3339)).MaxResults(2500).Context(ctx)
		if pageToken != "" {
			list = list.PageToken(pageToken)
		}
		res, err := list.Do()
		if err != nil {
			return 0, eventError(ctx, err)
		}
		for _, it := range res.Items {
			t, err := readEventTime(it.OriginalStartTime)
			if err == nil && t.Before(orig) {
				n++
			}
		}
		if pageToken = res.NextPageToken; pageToken == "" {
			return n, nil
		}
	}
}

// splitRules ends a series' RRULEs just before the occurrence at orig
// (UNTIL one second before it in UTC, or the day before for all-day
// series) and gives the rules the new series repeats by: the old ones,
// a COUNT less the before occurrences already past.
func splitRules(lines []string, orig *calendar.EventDateTime, before int) (old, rest []string) {
	t, _ := readEventTime(orig)
	var until string
	if t.AllDay {
		d, _ := time.Parse(time.DateOnly, t.Date)
		until = d.AddDate(0, 0, -1).Format("20060102")
	} else {
		until = t.Time.Add(-time.Second).UTC().Format("20060102T150405Z")
	}
	for _, l := range lines {
		name, value, _ := strings.Cut(l, ":")
		if !strings.EqualFold(name, "RRULE") {
			old, rest = append(old, l), append(rest, l)
			continue
		}
		var parts, newParts []string
		for _, p := range strings.Split(value, ";") {
			k, v, _ := strings.Cut(p, "=")
			switch strings.ToUpper(k) {
			case "COUNT":
				n, _ := strconv.Atoi(v)
				newParts = append(newParts, "COUNT="+strconv.Itoa(max(n-before, 1)))
			case "UNTIL":
				newParts = append(newParts, p)
			default:
				parts = append(parts, p)
				newParts = append(newParts, p)
			}
		}
		old = append(old, "RRULE:"+strings.Join(append(parts, "UNTIL="+until), ";"))
		rest = append(rest, "RRULE:"+strings.Join(newParts, ";"))
	}
	return old, rest
}

// applyUpdate writes the fields in changes onto dst, reading the event's
// current state in cur (dst may be cur): a start alone keeps the length,
// attendees who stay keep their entries (and the user theirs).
func applyUpdate(dst, cur *calendar.Event, in jarvis.EventUpdate) error {
	force := func(f string) { dst.ForceSendFields = append(dst.ForceSendFields, f) }
	if in.Summary != nil {
		dst.Summary = *in.Summary
		force("Summary")
	}
	if in.Description != nil {
		dst.Description = *in.Description
		force("Description")
	}
	if in.Location != nil {
		dst.Location = *in.Location
		force("Location")
	}
	if in.Start != nil || in.End != nil {
		curStart, err := readEventTime(cur.Start)
		if err != nil {
			return err
		}
		curEnd, err := readEventTime(cur.End)
		if err != nil {
			return err
		}
		st, en := curStart, curEnd
		stZone, enZone := zoneOf(cur.Start), zoneOf(cur.End)
		if in.Start != nil {
			if st, _, err = jarvis.ParseEventTime("start", *in.Start, in.TimeZone); err != nil {
				return err
			}
			stZone = in.TimeZone
			if in.End == nil {
				if st.AllDay != curStart.AllDay {
					return jarvis.Invalid("end", "Give end too when an event changes between all-day and timed.")
				}
				en, enZone = shiftBy(st, curEnd, curStart), in.TimeZone
			}
		}
		if in.End != nil {
			if en, _, err = jarvis.ParseEventTime("end", *in.End, in.TimeZone); err != nil {
				return err
			}
			enZone = in.TimeZone
		}
		if err := jarvis.CheckEventSpan(st, en); err != nil {
			return err
		}
		dst.Start, dst.End = eventDateTime(st, stZone), eventDateTime(en, enZone)
	}
	if in.Attendees != nil {
		dst.Attendees = guests(cur.Attendees, *in.Attendees)
		if len(dst.Attendees) == 0 {
			dst.Attendees = []*calendar.EventAttendee{}
			force("Attendees")
		}
	}
	if in.Recurrence != nil {
		dst.Recurrence = *in.Recurrence
		force("Recurrence")
	}
	if in.Meet != nil {
		switch {
		case *in.Meet && cur.ConferenceData == nil:
			dst.ConferenceData = meetRequest()
		case !*in.Meet:
			dst.ConferenceData = nil
			dst.NullFields = append(dst.NullFields, "ConferenceData")
		}
	}
	return nil
}

// shiftSeries turns a new start and end that patch holds for instance
// inst into the series': every instance moves as this one moves from
// where the rule places it.
func shiftSeries(patch, series, inst *calendar.Event) error {
	orig, err := readEventTime(inst.OriginalStartTime)
	if err != nil {
		return err
	}
	sStart, err := readEventTime(series.Start)
	if err != nil {
		return err
	}
	sEnd, err := readEventTime(series.End)
	if err != nil {
		return err
	}
	origEnd := shiftBy(orig, sEnd, sStart)
	newStart, _ := readEventTime(patch.Start)
	newEnd, _ := readEventTime(patch.End)
	if newStart.AllDay != sStart.AllDay {
		return jarvis.Invalid("start", "A whole series cannot change between all-day and timed from one instance: change the series itself.")
	}
	st := shiftBy(newStart, sStart, orig)
	en := shiftBy(newEnd, sEnd, origEnd)
	patch.Start, patch.End = eventDateTime(st, patch.Start.TimeZone), eventDateTime(en, patch.End.TimeZone)
	return nil
}

// shiftBy returns t moved by (to - from): days for all-day times, else
// the time between the instants, in to's zone.
func shiftBy(to, t, from jarvis.EventTime) jarvis.EventTime {
	if to.AllDay {
		a, _ := time.Parse(time.DateOnly, from.Date)
		b, _ := time.Parse(time.DateOnly, to.Date)
		d, _ := time.Parse(time.DateOnly, t.Date)
		return jarvis.EventTime{AllDay: true, Date: d.AddDate(0, 0, int(b.Sub(a).Hours()/24)).Format(time.DateOnly)}
	}
	return jarvis.EventTime{Time: t.Time.Add(to.Time.Sub(from.Time)).In(to.Time.Location())}
}

// readEventTime reads Google's start or end.
func readEventTime(t *calendar.EventDateTime) (jarvis.EventTime, error) {
	switch {
	case t == nil:
		return jarvis.EventTime{}, errors.New("event without a start or end")
	case t.Date != "":
		return jarvis.EventTime{AllDay: true, Date: t.Date}, nil
	}
	v, err := time.Parse(time.RFC3339, t.DateTime)
	if err != nil {
		return jarvis.EventTime{}, fmt.Errorf("event time %q: %w", t.DateTime, err)
	}
	if t.TimeZone != "" {
		if loc, err := time.LoadLocation(t.TimeZone); err == nil {
			v = v.In(loc)
		}
	}
	return jarvis.EventTime{Time: v}, nil
}

func zoneOf(t *calendar.EventDateTime) string {
	if t == nil {
		return ""
	}
	return t.TimeZone
}

// eventDateTime is Google's form of a start or end: a date, or the
// instant with its offset in zone and the zone's name (which a series
// repeats in).
func eventDateTime(t jarvis.EventTime, zone string) *calendar.EventDateTime {
	if t.AllDay {
		return &calendar.EventDateTime{Date: t.Date}
	}
	v := t.Time
	if zone != "" {
		if loc, err := time.LoadLocation(zone); err == nil {
			v = v.In(loc)
		}
	}
	return &calendar.EventDateTime{DateTime: v.Format(time.RFC3339), TimeZone: zone}
}

// guests is the attendee list for addresses: those already invited keep
// their entries (name, response), new ones are added, and self — the
// account's own entry, which Google adds for its organizer — stays while
// anyone else is invited.
func guests(cur []*calendar.EventAttendee, addresses []string) []*calendar.EventAttendee {
	var out []*calendar.EventAttendee
	seen := map[string]bool{}
	for _, addr := range addresses {
		key := strings.ToLower(addr)
		if seen[key] {
			continue
		}
		seen[key] = true
		i := slices.IndexFunc(cur, func(a *calendar.EventAttendee) bool { return strings.EqualFold(a.Email, addr) })
		if i >= 0 {
			cp := *cur[i]
			out = append(out, &cp)
			continue
		}
		out = append(out, &calendar.EventAttendee{Email: addr})
	}
	if len(out) > 0 {
		for _, a := range cur {
			if (a.Self || a.Organizer) && !seen[strings.ToLower(a.Email)] {
				cp := *a
				out = append([]*calendar.EventAttendee{&cp}, out...)
			}
		}
	}
	return out
}

// meetRequest asks Google for a new Meet link (with conferenceDataVersion 1).
func meetRequest() *calendar.ConferenceData {
	return &calendar.ConferenceData{CreateRequest: &calendar.CreateConferenceRequest{
		RequestId: strconv.FormatInt(time.Now().UnixNano(), 36), ConferenceSolutionKey: &calendar.ConferenceSolutionKey{Type: "hangoutsMeet"}}}
}

func sendUpdates(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// validEventID checks an event id's form before it goes into a URL.
func validEventID(id string) error {
	return jarvis.EventTarget{EventID: id}.Validate()
}

// eventError is upstreamError for an event write: a deleted event is not
// found, a change only the organizer may make is forbidden, and Google's
// 400s name the field they are about.
func eventError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		reason := reasonOf(ge)
		switch {
		case ge.Code == http.StatusGone:
			return &jarvis.Error{Code: jarvis.ENOTFOUND, Message: "Event not found: it was deleted.", Err: err}
		case ge.Code == http.StatusForbidden && (reason == "forbiddenForNonOrganizer" || reason == "forbidden" || reason == "requiredAccessLevel"):
			return &jarvis.Error{Code: jarvis.EFORBIDDEN, Message: "Only the event's organizer can change it; a guest answers with POST /calendar/events/{id}/rsvp.", Err: err}
		case ge.Code == http.StatusBadRequest:
			field := ""
			msg := strings.ToLower(ge.Message)
			switch {
			case reason == "timeZoneInvalid" || strings.Contains(msg, "time zone"):
				field = "time_zone"
			case strings.Contains(msg, "recurrence"):
				field = "recurrence"
			case reason == "timeRangeEmpty":
				field = "end"
			case strings.Contains(msg, "attendee"):
				field = "attendees"
			case strings.Contains(msg, "conference"):
				field = "meet"
			}
			return &jarvis.Error{Code: jarvis.EINVALID, Field: field, Message: "Google rejected the event: " + ge.Message, Err: err}
		}
	}
	return upstreamError(ctx, err, "Event")
}

// GetEvent reads one event (or instance) of the account's primary
// calendar as Google stores it: what an action about to change it shows
// the owner. ENOTFOUND when the calendar has no such event.
func (s *Service) GetEvent(ctx context.Context, userID, account, eventID string) (*jarvis.Event, error) {
	if account == jarvis.AllAccounts {
		return nil, jarvis.Invalid("account", "An event is read from one account: name it, or leave account out for the primary.")
	}
	if err := validEventID(eventID); err != nil {
		return nil, err
	}
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	c, err := s.calendarFor(ctx, userID, account)
	if err != nil {
		return nil, err
	}
	return c.readBack(ctx, eventID)
}
