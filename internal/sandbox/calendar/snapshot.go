package calendar

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// BookState is a book as the sandbox's state file keeps it: every
// calendar with its events, their versions and the sync-token epoch, so
// that sync tokens issued before a restart stay good after it.
type BookState struct {
	Epoch     uint32          `json:"epoch"`
	Rev       int64           `json:"rev,omitempty"`
	Calendars []CalendarState `json:"calendars,omitempty"`
}

// CalendarState is one account's primary calendar. A calendar nothing
// was ever written to is Fresh: only its versions are kept, and it is
// built again from its data on start (the demo's relative to that day),
// its sync tokens from before the restart then answering 410.
type CalendarState struct {
	ID      string       `json:"id"`
	Fresh   bool         `json:"fresh,omitempty"`
	Owner   string       `json:"owner,omitempty"`
	Zone    string       `json:"zone"`
	ZoneSet bool         `json:"zone_set,omitempty"`
	Created time.Time    `json:"created"`
	Version int64        `json:"version"`
	Floor   int64        `json:"floor,omitempty"`
	Events  []EventState `json:"events,omitempty"`
}

// EventState is a stored event: a single event, a series (with its
// recurrence lines and overrides) or an override.
type EventState struct {
	ID           string          `json:"id"`
	UID          string          `json:"uid"`
	Status       string          `json:"status"`
	Summary      string          `json:"summary,omitempty"`
	Description  string          `json:"description,omitempty"`
	Location     string          `json:"location,omitempty"`
	Start        WhenState       `json:"start"`
	End          WhenState       `json:"end"`
	Created      time.Time       `json:"created"`
	Updated      time.Time       `json:"updated"`
	Sequence     int             `json:"sequence,omitempty"`
	Organizer    *PersonState    `json:"organizer,omitempty"`
	Attendees    []AttendeeState `json:"attendees,omitempty"`
	Transparent  bool            `json:"transparent,omitempty"`
	Visibility   string          `json:"visibility,omitempty"`
	Meet         string          `json:"meet,omitempty"`
	Recurrence   []string        `json:"recurrence,omitempty"`
	Overrides    []EventState    `json:"overrides,omitempty"`
	RecurrenceID *WhenState      `json:"recurrence_id,omitempty"`
	MasterID     string          `json:"master_id,omitempty"`
	Orphan       bool            `json:"orphan,omitempty"`
	Version      int64           `json:"version"`
	Rev          int64           `json:"rev,omitempty"`
	Dismissed    bool            `json:"dismissed,omitempty"`
}

// WhenState is a start, end or original start: a date, or an instant
// with the IANA zone it repeats in ("" for none: the instant's offset).
type WhenState struct {
	Date string `json:"date,omitempty"`
	Time string `json:"time,omitempty"` // RFC 3339
	Zone string `json:"zone,omitempty"`
}

// PersonState is an organizer.
type PersonState struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

// AttendeeState is a guest and their answer.
type AttendeeState struct {
	Email    string `json:"email"`
	Name     string `json:"name,omitempty"`
	Status   string `json:"status"`
	Optional bool   `json:"optional,omitempty"`
	Resource bool   `json:"resource,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// Snapshot returns the book's state, calendars and events in a stable
// order.
func (b *Book) Snapshot() BookState {
	b.mu.RLock()
	defer b.mu.RUnlock()
	st := BookState{Epoch: b.epoch, Rev: b.rev}
	for _, key := range slices.Sorted(maps.Keys(b.cals)) {
		c := b.cals[key]
		if !c.written {
			st.Calendars = append(st.Calendars, CalendarState{ID: c.id, Fresh: true, Version: c.version, Floor: c.floor})
			continue
		}
		cs := CalendarState{ID: c.id, Owner: c.ownerName, Zone: c.tzName, ZoneSet: c.tzSet, Created: c.created, Version: c.version, Floor: c.floor}
		for _, id := range slices.Sorted(maps.Keys(c.events)) {
			cs.Events = append(cs.Events, eventState(c.events[id]))
		}
		st.Calendars = append(st.Calendars, cs)
	}
	return st
}

func whenState(w when) WhenState {
	if w.allDay {
		return WhenState{Date: w.t.Format(dateLayout)}
	}
	return WhenState{Time: w.t.Format(time.RFC3339Nano), Zone: w.tz}
}

func eventState(e *event) EventState {
	s := EventState{
		ID: e.id, UID: e.uid, Status: e.status, Summary: e.summary, Description: e.description, Location: e.location,
		Start: whenState(e.start), End: whenState(e.end), Created: e.created, Updated: e.updated, Sequence: e.sequence,
		Transparent: e.transparent, Visibility: e.visibility, Meet: e.meet, MasterID: e.masterID, Orphan: e.orphan,
		Version: e.version, Rev: e.rev, Dismissed: e.dismissed,
	}
	if e.organizer != nil {
		s.Organizer = &PersonState{Email: e.organizer.email, Name: e.organizer.name}
	}
	for _, a := range e.attendees {
		s.Attendees = append(s.Attendees, AttendeeState{Email: a.email, Name: a.name, Status: a.status, Optional: a.optional, Resource: a.resource, Comment: a.comment})
	}
	if e.rec != nil {
		s.Recurrence = slices.Clone(e.rec.lines)
	}
	for _, k := range slices.Sorted(maps.Keys(e.overrides)) {
		s.Overrides = append(s.Overrides, eventState(e.overrides[k]))
	}
	if e.recurrenceID != nil {
		r := whenState(*e.recurrenceID)
		s.RecurrenceID = &r
	}
	return s
}

// Restore puts a snapshot back: each calendar it holds replaces the
// book's calendar of that account; calendars it does not hold, or holds
// as Fresh, stay as loaded (a Fresh one with every older sync token
// invalid). Nothing changes when the snapshot is invalid.
func (b *Book) Restore(st BookState) error {
	cals := map[string]*calendar{}
	fresh := map[string]int64{}
	for _, cs := range st.Calendars {
		key := strings.ToLower(strings.TrimSpace(cs.ID))
		if cs.Fresh {
			fresh[key] = cs.Version
			continue
		}
		c := &calendar{id: cs.ID, ownerName: cs.Owner, tzName: cs.Zone, tzSet: cs.ZoneSet, created: cs.Created,
			version: cs.Version, floor: cs.Floor, events: map[string]*event{}, loc: time.UTC, written: true}
		if cs.Zone != "" {
			loc, err := time.LoadLocation(cs.Zone)
			if err != nil {
				return fmt.Errorf("calendar %s: zone %q: %w", cs.ID, cs.Zone, err)
			}
			c.loc = loc
		}
		for _, es := range cs.Events {
			ev, err := restoreEvent(es)
			if err != nil {
				return fmt.Errorf("calendar %s: event %s: %w", cs.ID, es.ID, err)
			}
			c.events[ev.id] = ev
		}
		cals[key] = c
	}
	b.mu.Lock()
	if st.Epoch != 0 {
		b.epoch = st.Epoch
	}
	b.rev = max(b.rev, st.Rev)
	maps.Copy(b.cals, cals)
	for key, v := range fresh {
		if c := b.cals[key]; c != nil {
			c.version = max(c.version, v) + 1
			c.floor = c.version
		}
	}
	b.mu.Unlock()
	return nil
}

func restoreWhen(s WhenState) (when, error) {
	if s.Date != "" {
		t, err := time.ParseInLocation(dateLayout, s.Date, time.UTC)
		return when{allDay: true, t: t}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s.Time)
	if err != nil {
		return when{}, err
	}
	if s.Zone != "" {
		loc, err := time.LoadLocation(s.Zone)
		if err != nil {
			return when{}, err
		}
		t = t.In(loc)
	}
	return when{t: t, tz: s.Zone}, nil
}

func restoreEvent(s EventState) (*event, error) {
	e := &event{
		id: s.ID, uid: s.UID, status: s.Status, summary: s.Summary, description: s.Description, location: s.Location,
		created: s.Created, updated: s.Updated, sequence: s.Sequence, transparent: s.Transparent, visibility: s.Visibility,
		meet: s.Meet, masterID: s.MasterID, orphan: s.Orphan, version: s.Version, rev: s.Rev, dismissed: s.Dismissed,
	}
	var err error
	if e.start, err = restoreWhen(s.Start); err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	if e.end, err = restoreWhen(s.End); err != nil {
		return nil, fmt.Errorf("end: %w", err)
	}
	if s.Organizer != nil {
		e.organizer = &person{email: s.Organizer.Email, name: s.Organizer.Name}
	}
	for _, a := range s.Attendees {
		e.attendees = append(e.attendees, attendee{person: person{email: a.Email, name: a.Name}, status: a.Status, optional: a.Optional, resource: a.Resource, comment: a.Comment})
	}
	if len(s.Recurrence) > 0 {
		if e.rec, err = parseRecurrence(s.Recurrence, e.start); err != nil {
			return nil, err
		}
	}
	if s.RecurrenceID != nil {
		w, err := restoreWhen(*s.RecurrenceID)
		if err != nil {
			return nil, fmt.Errorf("recurrence id: %w", err)
		}
		e.recurrenceID = &w
	}
	for _, os := range s.Overrides {
		o, err := restoreEvent(os)
		if err != nil {
			return nil, err
		}
		if o.recurrenceID == nil {
			return nil, fmt.Errorf("override %s has no original start", o.id)
		}
		if e.overrides == nil {
			e.overrides = map[string]*event{}
		}
		e.overrides[o.recurrenceID.key()] = o
	}
	return e, nil
}
