package calendar

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The admin side of the book: events changed by someone other than the
// account that reads them — an organizer outside the sandbox, or another
// sandbox account — as the sandbox's /sandbox/calendar routes drive them.

// AdminError is a refused admin call: Status is the HTTP status to answer.
type AdminError struct {
	Status  int
	Message string
}

func (e *AdminError) Error() string { return e.Message }

func adminErr(status int, format string, args ...any) *AdminError {
	return &AdminError{status, fmt.Sprintf(format, args...)}
}

func fromAPI(e *apiError) error {
	if e == nil {
		return nil
	}
	return &AdminError{e.code, e.item.Message}
}

// AdminResult is what an admin call answers: the event as its source
// calendar shows it and the accounts whose calendars hold it.
type AdminResult struct {
	Event     any      `json:"event"`
	Calendars []string `json:"calendars"`
}

// Organize creates an event as its organizer would in their own
// calendar: body is an Event resource (Calendar's JSON) whose
// organizer.email names the organizer. A sandbox organizer gets it in
// their calendar; one from outside the sandbox sends it to the sandbox
// accounts among the guests. Every sandbox guest finds it in their
// calendar; sendUpdates (all, externalOnly, none; "" is all) mails the
// invitations. It returns a 400 AdminError for a body Google would refuse
// or without an organizer or a sandbox account to hold the event.
func (b *Book) Organize(body []byte, sendUpdates string) (*AdminResult, error) {
	in, e := decodeEvent(body)
	if e != nil {
		return nil, fromAPI(e)
	}
	if in.Organizer == nil || !strings.Contains(in.Organizer.Email, "@") {
		return nil, adminErr(http.StatusBadRequest, "organizer.email is required")
	}
	ch := &change{send: adminSend(sendUpdates)}
	b.mu.Lock()
	src := b.lookup(in.Organizer.Email)
	if src == nil {
		for _, a := range in.Attendees {
			if src = b.lookup(a.Email); src != nil {
				break
			}
		}
	}
	if src == nil {
		b.mu.Unlock()
		return nil, adminErr(http.StatusBadRequest, "neither the organizer nor any attendee is a sandbox account")
	}
	if in.Organizer.DisplayName == "" && b.lookup(in.Organizer.Email) != nil {
		in.Organizer.DisplayName = src.ownerName
	}
	ev, e := b.insert(src, in, ch)
	if e != nil {
		b.mu.Unlock()
		return nil, fromAPI(e)
	}
	res := b.result(src, ev)
	b.mu.Unlock()
	b.finish(ch)
	return res, nil
}

// Change patches an event as its organizer would: body holds the fields
// to change (Calendar's JSON, as events.patch takes it). id may name one
// instance of a series; with following, that instance and all after it
// change: the series ends before it (UNTIL) and a new series starts
// there, as Google Calendar splits one. It returns a 404 AdminError for
// an event no sandbox calendar holds.
func (b *Book) Change(id string, body []byte, following bool, sendUpdates string) (*AdminResult, error) {
	in, e := decodeEvent(body)
	if e != nil {
		return nil, fromAPI(e)
	}
	ch := &change{send: adminSend(sendUpdates)}
	b.mu.Lock()
	src, cur := b.source(id)
	if cur == nil {
		b.mu.Unlock()
		return nil, adminErr(http.StatusNotFound, "no sandbox calendar holds event %s", id)
	}
	if cur.status == "cancelled" && !in.has["status"] {
		b.mu.Unlock()
		return nil, adminErr(http.StatusGone, "event %s is cancelled", id)
	}
	if in.has["start"] && !in.has["end"] {
		// Moving the start keeps the length.
		in.End = (&view{cal: src, loc: src.loc}).time(when{allDay: cur.start.allDay, t: cur.end.t.Add(mustStart(in).Sub(cur.start.t)), tz: cur.end.tz})
		if in.Start.TimeZone != "" {
			in.End.TimeZone = in.Start.TimeZone
		}
		in.has["end"] = true
	}
	var ev *event
	if following && cur.instance() {
		ev, e = b.split(src, cur, in, ch)
	} else {
		next := cur.clone()
		if e = in.apply(next, false); e == nil {
			if next.instance() {
				next.rec = nil
			}
			next.updated = b.now().UTC()
			b.commit(src, cur, next, ch)
			ev = src.find(id)
		}
	}
	if e != nil {
		b.mu.Unlock()
		return nil, fromAPI(e)
	}
	res := b.result(src, ev)
	b.mu.Unlock()
	b.finish(ch)
	return res, nil
}

// mustStart is the instant of a start that parsed once already; a zero
// time if it does not.
func mustStart(in *eventInput) time.Time {
	w, _ := parseWhen(in.Start, "start")
	return w.t
}

// Cancel cancels an event (or one instance) as its organizer would, for
// every guest.
func (b *Book) Cancel(id, sendUpdates string) (*AdminResult, error) {
	return b.Change(id, []byte(`{"status":"cancelled"}`), false, sendUpdates)
}

// Respond records attendee's answer (accepted, declined, tentative,
// needsAction) to an event or one instance, as that guest's own calendar
// would send it: every sandbox calendar holding the event shows it, and
// with sendUpdates a REPLY goes to the organizer.
func (b *Book) Respond(id, attendeeEmail, status, sendUpdates string) (*AdminResult, error) {
	switch status {
	case "accepted", "declined", "tentative", "needsAction":
	default:
		return nil, adminErr(http.StatusBadRequest, "responseStatus must be accepted, declined, tentative or needsAction")
	}
	ch := &change{send: adminSend(sendUpdates)}
	b.mu.Lock()
	src, cur := b.source(id)
	if cur == nil {
		b.mu.Unlock()
		return nil, adminErr(http.StatusNotFound, "no sandbox calendar holds event %s", id)
	}
	i := slices.IndexFunc(cur.attendees, func(a attendee) bool { return strings.EqualFold(a.email, attendeeEmail) })
	if i < 0 {
		b.mu.Unlock()
		return nil, adminErr(http.StatusBadRequest, "%s is not a guest of event %s", attendeeEmail, id)
	}
	next := cur.clone()
	next.attendees[i].status = status
	next.updated = b.now().UTC()
	b.commitQuiet(src, cur, next, ch)
	if next.organizer != nil && !strings.EqualFold(next.organizer.email, attendeeEmail) && b.lookup(next.organizer.email) != nil && b.sends(ch.send, next.organizer.email) {
		ch.mails = append(ch.mails, b.mail("REPLY", src, next, next.attendees[i].person, *next.organizer, []attendee{next.attendees[i]}))
	}
	res := b.result(src, src.find(id))
	b.mu.Unlock()
	b.finish(ch)
	return res, nil
}

func adminSend(s string) string {
	if s == "" {
		return "all"
	}
	return s
}

// source finds the calendar an admin change starts from: the organizer's
// when it is a sandbox calendar holding the event, else the first (by
// address) that holds it.
func (b *Book) source(id string) (*calendar, *event) {
	var cals []*calendar
	for _, c := range b.cals {
		cals = append(cals, c)
	}
	slices.SortFunc(cals, func(x, y *calendar) int { return strings.Compare(strings.ToLower(x.id), strings.ToLower(y.id)) })
	var first *calendar
	var firstEv *event
	for _, c := range cals {
		ev := c.find(id)
		if ev == nil {
			continue
		}
		if c.organizes(ev) {
			return c, ev
		}
		if first == nil {
			first, firstEv = c, ev
		}
	}
	return first, firstEv
}

func (b *Book) result(src *calendar, ev *event) *AdminResult {
	res := &AdminResult{Event: (&view{cal: src, account: src.id, loc: src.loc}).event(ev), Calendars: []string{}}
	id := ev.id
	if ev.instance() {
		id = ev.masterID
	}
	for _, c := range b.cals {
		if c.events[id] != nil {
			res.Calendars = append(res.Calendars, c.id)
		}
	}
	slices.Sort(res.Calendars)
	return res
}

// split ends the series of instance cur before it and starts a new series
// there with in's changes, as Google Calendar's "this and following
// events" does: the old series' rules get an UNTIL just before the
// instance (its COUNT, if any, goes to the new series less the instances
// already past), its exceptions from there on are cancelled, and the new
// series is "<id>_R<original start>".
func (b *Book) split(src *calendar, cur *event, in *eventInput, ch *change) (*event, *apiError) {
	master := src.events[cur.masterID]
	occ := sameKind(*cur.recurrenceID, master.start).t
	before := len(master.rec.occurrences(time.Time{}, occ, time.Nanosecond, maxInstances))
	var until string
	if master.start.allDay {
		until = occ.AddDate(0, 0, -1).Format("20060102")
	} else {
		until = occ.Add(-time.Second).UTC().Format("20060102T150405Z")
	}
	var oldLines, newLines []string
	for _, l := range master.rec.lines {
		if !strings.HasPrefix(l, "RRULE:") {
			oldLines, newLines = append(oldLines, l), append(newLines, l)
			continue
		}
		var parts, rest []string
		count := -1
		for _, p := range strings.Split(strings.TrimPrefix(l, "RRULE:"), ";") {
			switch {
			case strings.HasPrefix(p, "COUNT="):
				count, _ = strconv.Atoi(strings.TrimPrefix(p, "COUNT="))
			case strings.HasPrefix(p, "UNTIL="):
				rest = append(rest, p)
			default:
				parts = append(parts, p)
			}
		}
		oldLines = append(oldLines, "RRULE:"+strings.Join(append(slices.Clone(parts), "UNTIL="+until), ";"))
		switch {
		case count > 0:
			newLines = append(newLines, "RRULE:"+strings.Join(append(parts, "COUNT="+strconv.Itoa(max(count-before, 1))), ";"))
		default:
			newLines = append(newLines, "RRULE:"+strings.Join(append(parts, rest...), ";"))
		}
	}
	old := master.clone()
	r, err := parseRecurrence(oldLines, old.start)
	if err != nil {
		return nil, badField("invalid", "Invalid recurrence rule.")
	}
	old.rec = r
	old.updated = b.now().UTC()

	key := cur.recurrenceID.key()
	ns := master.clone()
	ns.overrides = nil
	ns.id = master.id + "_R" + strings.TrimSuffix(key, "Z")
	if at := strings.LastIndex(master.uid, "@"); at >= 0 {
		ns.uid = master.uid[:at] + "_R" + strings.TrimSuffix(key, "Z") + master.uid[at:]
	} else {
		ns.uid = master.uid + "_R" + strings.TrimSuffix(key, "Z")
	}
	if src.events[ns.id] != nil {
		return nil, badField("duplicate", "The series was already split at this instance.")
	}
	d := master.duration()
	ns.start = when{allDay: master.start.allDay, t: occ, tz: master.start.tz}
	ns.end = when{allDay: master.end.allDay, t: occ.Add(d), tz: master.end.tz}
	if master.start.allDay {
		ns.end.t = addDays(occ, int(d/(24*time.Hour)))
	}
	ns.rec = &recurrence{lines: newLines}
	if e := in.apply(ns, false); e != nil {
		return nil, e
	}
	if !in.has["recurrence"] {
		r, err := parseRecurrence(newLines, ns.start)
		if err != nil {
			return nil, badField("invalid", "Invalid recurrence rule.")
		}
		ns.rec = r
	}
	now := b.now().UTC()
	ns.created, ns.updated, ns.sequence = now, now, 0
	b.commit(src, master, old, ch)
	b.commit(src, nil, ns, ch)
	return ns, nil
}
