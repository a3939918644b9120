package calendar

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/teambition/rrule-go"
)

const (
	maxICSBytes = 32 << 20 // a year of a busy calendar is a few MB
	maxNesting  = 16       // VCALENDAR > VEVENT > VALARM needs three
	maxRules    = 4        // RFC 5545 advises one RRULE per event
)

// parsedFile is what one iCalendar file holds.
type parsedFile struct {
	zone       zone     // the calendar's zone according to the file
	zoneStated bool     // whether the file named one, or zone is UTC by default
	events     []*event // single events and series
	overrides  []*event // instances with a RECURRENCE-ID
}

// fileParser turns the VEVENTs of one file into events.
type fileParser struct {
	name string
	zs   *zoneSet
	fz   zone // where floating times are read
	now  time.Time
}

// parseICS reads an iCalendar file. Its errors start with the file's name
// and say what is wrong; it does not panic on any input.
func parseICS(filename string, data []byte, now time.Time) (pf *parsedFile, err error) {
	defer func() {
		if r := recover(); r != nil {
			pf, err = nil, fmt.Errorf("%s: malformed iCalendar data (%v)", filename, r)
		}
	}()
	if len(data) > maxICSBytes {
		return nil, fmt.Errorf("%s: file too large (%d bytes, at most %d)", filename, len(data), maxICSBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if err := checkNesting(data); err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid iCalendar file: %w", filename, err)
	}
	if len(cal.CalendarProperties) == 0 && len(cal.Components) == 0 {
		return nil, fmt.Errorf("%s: not a valid iCalendar file: no BEGIN:VCALENDAR", filename)
	}
	p := &fileParser{name: filename, zs: newZoneSet(cal), now: now}
	var stated bool
	p.fz, stated = p.fileZone(cal)
	pf = &parsedFile{zone: p.fz, zoneStated: stated}
	cancel := strings.EqualFold(calProp(cal, "METHOD"), "CANCEL")
	for i, ve := range cal.Events() {
		ev, err := p.event(ve, i)
		if err != nil {
			return nil, err
		}
		if cancel {
			ev.status = "cancelled"
		}
		if ev.recurrenceID != nil {
			pf.overrides = append(pf.overrides, ev)
		} else {
			pf.events = append(pf.events, ev)
		}
	}
	return pf, nil
}

// checkNesting refuses components nested deeper than maxNesting before the
// recursive parser sees them.
func checkNesting(data []byte) error {
	depth := 0
	var line strings.Builder
	count := func() error {
		s := strings.TrimLeftFunc(line.String(), func(r rune) bool { return !isNameRune(r) })
		end := strings.IndexFunc(s, func(r rune) bool { return !isNameRune(r) })
		if end < 0 {
			end = len(s)
		}
		switch strings.ToUpper(s[:end]) {
		case "BEGIN":
			depth++
		case "END":
			depth--
		}
		line.Reset()
		if depth > maxNesting {
			return fmt.Errorf("components nested more than %d deep", maxNesting)
		}
		return nil
	}
	for _, raw := range bytes.Split(data, []byte("\n")) {
		raw = bytes.TrimSuffix(raw, []byte("\r"))
		if len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\t') {
			line.Write(raw[1:])
			continue
		}
		if err := count(); err != nil {
			return err
		}
		line.Write(raw)
	}
	return count()
}

func isNameRune(r rune) bool {
	return r == '-' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
}

func calProp(cal *ics.Calendar, name string) string {
	for _, p := range cal.CalendarProperties {
		if strings.EqualFold(p.IANAToken, name) {
			return strings.TrimSpace(p.Value)
		}
	}
	return ""
}

// fileZone is the calendar's zone: X-WR-TIMEZONE if present, else the first
// TZID in the file, else UTC; stated is false in that last case.
func (p *fileParser) fileZone(cal *ics.Calendar) (z zone, stated bool) {
	if tz := calProp(cal, "X-WR-TIMEZONE"); tz != "" {
		return p.zs.resolve(tz), true
	}
	for _, c := range cal.Components {
		switch c := c.(type) {
		case *ics.VTimezone:
			if tz := c.GetProperty(ics.ComponentPropertyTzid); tz != nil {
				return p.zs.resolve(tz.Value), true
			}
		case *ics.VEvent:
			for i := range c.Properties {
				if tz := param(&c.Properties[i], "TZID"); tz != "" {
					return p.zs.resolve(tz), true
				}
			}
		}
	}
	return utcZone, false
}

func param(p *ics.IANAProperty, name string) string {
	for k, v := range p.ICalParameters {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func text(ve *ics.VEvent, prop ics.ComponentProperty) string {
	if p := ve.GetProperty(prop); p != nil {
		return strings.TrimSpace(p.Value)
	}
	return ""
}

var meetURL = regexp.MustCompile(`https://meet\.google\.com/[a-z]{3}-[a-z]{4}-[a-z]{3}`)

// event reads one VEVENT; i is its position in the file, for messages.
func (p *fileParser) event(ve *ics.VEvent, i int) (*event, error) {
	uid := text(ve, ics.ComponentPropertyUniqueId)
	fail := func(format string, args ...any) error {
		what := fmt.Sprintf("event %d", i+1)
		if uid != "" {
			what += fmt.Sprintf(" (UID %s)", uid)
		}
		return fmt.Errorf("%s: %s: %s", p.name, what, fmt.Sprintf(format, args...))
	}
	if uid == "" {
		uid = "sandbox-" + eventID(p.name, strconv.Itoa(i)) + "@jarvis.local"
	}
	ev := &event{uid: uid, id: eventID("uid", uid), status: "confirmed"}

	dtstart := ve.GetProperty(ics.ComponentPropertyDtStart)
	if dtstart == nil {
		return nil, fail("missing DTSTART")
	}
	var err error
	if ev.start, err = p.when(dtstart); err != nil {
		return nil, fail("DTSTART: %v", err)
	}
	if ev.end, err = p.end(ve, ev.start); err != nil {
		return nil, fail("%v", err)
	}

	switch strings.ToUpper(text(ve, ics.ComponentPropertyStatus)) {
	case "CANCELLED":
		ev.status = "cancelled"
	case "TENTATIVE":
		ev.status = "tentative"
	}
	ev.summary = text(ve, ics.ComponentPropertySummary)
	ev.description = text(ve, ics.ComponentPropertyDescription)
	ev.location = text(ve, ics.ComponentPropertyLocation)
	if s := text(ve, ics.ComponentPropertySequence); s != "" {
		if ev.sequence, err = strconv.Atoi(s); err != nil || ev.sequence < 0 {
			return nil, fail("SEQUENCE %q is not a number", s)
		}
	}
	ev.transparent = strings.EqualFold(text(ve, ics.ComponentPropertyTransp), "TRANSPARENT") ||
		strings.EqualFold(text(ve, "X-MICROSOFT-CDO-BUSYSTATUS"), "FREE")
	switch strings.ToUpper(text(ve, ics.ComponentPropertyClass)) {
	case "PUBLIC":
		ev.visibility = "public"
	case "PRIVATE":
		ev.visibility = "private"
	case "CONFIDENTIAL":
		ev.visibility = "confidential"
	}
	if o := ve.GetProperty(ics.ComponentPropertyOrganizer); o != nil {
		ev.organizer = &person{email: mailto(o.Value), name: param(o, "CN")}
	}
	for _, a := range ve.GetProperties(ics.ComponentPropertyAttendee) {
		ev.attendees = append(ev.attendees, readAttendee(a))
	}
	for _, s := range []string{text(ve, "X-GOOGLE-CONFERENCE"), text(ve, ics.ComponentPropertyUrl), ev.location, ev.description} {
		if m := meetURL.FindString(s); m != "" {
			ev.meet = m
			break
		}
	}

	if ev.created, err = p.stamp(ve, ics.ComponentPropertyCreated, ics.ComponentPropertyDtstamp); err != nil {
		return nil, fail("%v", err)
	}
	if ev.created.IsZero() {
		ev.created = p.now
	}
	if ev.updated, err = p.stamp(ve, ics.ComponentPropertyLastModified, ics.ComponentPropertyDtstamp); err != nil {
		return nil, fail("%v", err)
	}
	if ev.updated.IsZero() || ev.updated.Before(ev.created) {
		ev.updated = ev.created
	}

	if rid := ve.GetProperty(ics.ComponentPropertyRecurrenceId); rid != nil {
		w, err := p.when(rid)
		if err != nil {
			return nil, fail("RECURRENCE-ID: %v", err)
		}
		ev.recurrenceID = &w
		return ev, nil
	}
	if ev.rec, err = p.recurrence(ve, ev.start); err != nil {
		return nil, fail("%v", err)
	}
	return ev, nil
}

func mailto(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		v = v[7:]
	}
	return v
}

func readAttendee(a *ics.IANAProperty) attendee {
	at := attendee{person: person{email: mailto(a.Value), name: param(a, "CN")}, status: "needsAction"}
	switch strings.ToUpper(param(a, "PARTSTAT")) {
	case "ACCEPTED":
		at.status = "accepted"
	case "DECLINED":
		at.status = "declined"
	case "TENTATIVE":
		at.status = "tentative"
	}
	switch strings.ToUpper(param(a, "ROLE")) {
	case "OPT-PARTICIPANT", "NON-PARTICIPANT":
		at.optional = true
	}
	switch strings.ToUpper(param(a, "CUTYPE")) {
	case "ROOM", "RESOURCE":
		at.resource = true
	}
	return at
}

// stamp reads the first present of the named UTC timestamps; zero if none.
func (p *fileParser) stamp(ve *ics.VEvent, names ...ics.ComponentProperty) (time.Time, error) {
	for _, n := range names {
		if prop := ve.GetProperty(n); prop != nil {
			w, err := p.when(prop)
			if err != nil {
				return time.Time{}, fmt.Errorf("%s: %v", n, err)
			}
			return w.t.UTC(), nil
		}
	}
	return time.Time{}, nil
}

// end reads DTEND or DURATION. Without either, a timed event ends when it
// starts and an all-day one lasts a day (RFC 5545 3.6.1).
func (p *fileParser) end(ve *ics.VEvent, start when) (when, error) {
	end := start
	if prop := ve.GetProperty(ics.ComponentPropertyDtEnd); prop != nil {
		w, err := p.when(prop)
		if err != nil {
			return when{}, fmt.Errorf("DTEND: %v", err)
		}
		end = sameKind(w, start)
	} else if prop := ve.GetProperty(ics.ComponentPropertyDuration); prop != nil {
		days, clock, err := parseDuration(prop.Value)
		if err != nil {
			return when{}, fmt.Errorf("DURATION: %v", err)
		}
		end.t = start.t.AddDate(0, 0, days)
		if !start.allDay {
			end.t = end.t.Add(clock)
		}
	} else if start.allDay {
		end.t = addDays(start.t, 1)
	}
	if end.t.Before(start.t) || start.allDay && !end.t.After(start.t) {
		// Clients have been seen to write DTEND before DTSTART; read it the
		// way a calendar would show it rather than refuse the file.
		end.t = start.t
		if start.allDay {
			end.t = addDays(start.t, 1)
		}
	}
	return end, nil
}

// sameKind converts w to ref's kind: a date-time becomes its date, a date
// gets ref's time of day in ref's zone.
func sameKind(w, ref when) when {
	switch {
	case w.allDay == ref.allDay:
		return w
	case ref.allDay:
		y, m, d := w.t.Date()
		return when{allDay: true, t: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
	default:
		y, m, d := w.t.Date()
		h, mi, s := ref.t.Clock()
		return when{t: time.Date(y, m, d, h, mi, s, 0, ref.t.Location()), tz: ref.tz}
	}
}

// when reads a DATE or DATE-TIME property value.
func (p *fileParser) when(prop *ics.IANAProperty) (when, error) {
	return p.value(strings.TrimSpace(prop.Value), param(prop, "TZID"))
}

func (p *fileParser) value(v, tzid string) (when, error) {
	var w when
	var err error
	switch {
	case len(v) == 8:
		w.allDay = true
		w.t, err = time.ParseInLocation("20060102", v, time.UTC)
	case len(v) == 16 && v[15] == 'Z':
		w.t, err = time.ParseInLocation("20060102T150405Z", v, time.UTC)
		w.tz = "UTC"
	case len(v) == 15:
		z := p.fz
		if tzid != "" {
			z = p.zs.resolve(tzid)
		}
		w.t, err = time.ParseInLocation("20060102T150405", v, z.loc)
		w.tz = z.iana
	default:
		return w, fmt.Errorf("%q is neither a DATE nor a DATE-TIME", v)
	}
	if err != nil {
		return w, fmt.Errorf("%q is neither a DATE nor a DATE-TIME", v)
	}
	if w.t.Year() < 1 {
		return w, fmt.Errorf("%q: year out of range", v)
	}
	return w, nil
}

// parseDuration reads an RFC 5545 duration ("PT1H30M", "P1D", "P2W") as
// nominal days plus exact clock time.
func parseDuration(s string) (days int, clock time.Duration, err error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "+")
	bad := fmt.Errorf("%q is not a duration", s)
	if strings.HasPrefix(s, "-") || !strings.HasPrefix(s, "P") || len(s) < 3 {
		return 0, 0, bad
	}
	inTime := false
	num := ""
	for _, r := range s[1:] {
		switch {
		case r >= '0' && r <= '9':
			num += string(r)
			continue
		case r == 'T' && num == "" && !inTime:
			inTime = true
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n > 100_000 {
			return 0, 0, bad
		}
		num = ""
		switch {
		case r == 'W' && !inTime:
			days += 7 * n
		case r == 'D' && !inTime:
			days += n
		case r == 'H' && inTime:
			clock += time.Duration(n) * time.Hour
		case r == 'M' && inTime:
			clock += time.Duration(n) * time.Minute
		case r == 'S' && inTime:
			clock += time.Duration(n) * time.Second
		default:
			return 0, 0, bad
		}
	}
	if num != "" || days > 100_000 {
		return 0, 0, bad
	}
	return days, clock, nil
}

// recurrence reads RRULE, RDATE and EXDATE; nil when there are none.
func (p *fileParser) recurrence(ve *ics.VEvent, start when) (*recurrence, error) {
	rules := ve.GetProperties(ics.ComponentPropertyRrule)
	rdates := ve.GetProperties(ics.ComponentPropertyRdate)
	exdates := ve.GetProperties(ics.ComponentPropertyExdate)
	if len(rules)+len(rdates) == 0 {
		return nil, nil
	}
	if len(rules) > maxRules {
		return nil, fmt.Errorf("%d RRULEs; at most %d are supported", len(rules), maxRules)
	}
	r := &recurrence{dtstart: start.t, exInstants: map[int64]bool{}, exDates: map[string]bool{}}
	for _, prop := range rules {
		rule, err := p.rule(prop.Value, start)
		if err != nil {
			return nil, err
		}
		r.lines = append(r.lines, "RRULE:"+strings.ToUpper(strings.TrimSpace(prop.Value)))
		if rule != nil {
			r.rules = append(r.rules, rule)
		}
	}
	for _, prop := range rdates {
		ws, err := p.values(prop)
		if err != nil {
			return nil, fmt.Errorf("RDATE: %v", err)
		}
		for _, w := range ws {
			r.rdates = append(r.rdates, sameKind(w, start).t)
		}
		r.lines = append(r.lines, p.line(prop))
	}
	for _, prop := range exdates {
		ws, err := p.values(prop)
		if err != nil {
			return nil, fmt.Errorf("EXDATE: %v", err)
		}
		for _, w := range ws {
			if w.allDay && !start.allDay {
				r.exDates[w.t.Format("20060102")] = true
			} else {
				r.exInstants[sameKind(w, start).t.Unix()] = true
			}
		}
		r.lines = append(r.lines, p.line(prop))
	}
	return r, nil
}

// rule reads one RRULE for a series starting at start. It returns nil for
// a rule that never occurs, so that no query walks it to the year 9999.
func (p *fileParser) rule(value string, start when) (*rrule.RRule, error) {
	value = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(value)), "RRULE:")
	opt, err := rrule.StrToROptionInLocation(value, start.t.Location())
	if err != nil {
		return nil, fmt.Errorf("RRULE %q: %v", value, err)
	}
	if opt.Freq > rrule.DAILY {
		return nil, fmt.Errorf("RRULE %q: FREQ=%v is not supported (Google Calendar repeats at most daily)", value, opt.Freq)
	}
	if !opt.Until.IsZero() && !start.allDay && untilIsDate(value) {
		// A date UNTIL on a timed series includes that whole day.
		opt.Until = opt.Until.AddDate(0, 0, 1).Add(-time.Second)
	}
	opt.Dtstart = start.t
	rule, err := rrule.NewRRule(*opt)
	if err != nil {
		return nil, fmt.Errorf("RRULE %q: %v", value, err)
	}
	// A rule whose pattern never matches makes the iterator walk to the
	// year 9999. The Gregorian calendar repeats every 400 years, so probe
	// the pattern, without COUNT or UNTIL, over the last such cycles only.
	probe := *opt
	probe.Count, probe.Until = 0, time.Time{}
	if cycles := (rrule.MAXYEAR - 800 - start.t.Year()) / 400; cycles > 0 {
		probe.Dtstart = start.t.AddDate(400*cycles, 0, 0)
	}
	if pr, err := rrule.NewRRule(probe); err != nil {
		return nil, fmt.Errorf("RRULE %q: %v", value, err)
	} else if _, ok := pr.Iterator()(); !ok {
		return nil, nil
	}
	return rule, nil
}

func untilIsDate(rule string) bool {
	for _, part := range strings.Split(rule, ";") {
		if v, ok := strings.CutPrefix(part, "UNTIL="); ok {
			return len(v) == 8
		}
	}
	return false
}

// values reads the comma-separated DATE, DATE-TIME or PERIOD values of an
// RDATE or EXDATE; a PERIOD counts by its start.
func (p *fileParser) values(prop *ics.IANAProperty) ([]when, error) {
	var out []when
	tzid := param(prop, "TZID")
	for _, v := range strings.Split(prop.Value, ",") {
		v, _, _ = strings.Cut(strings.TrimSpace(v), "/")
		if v == "" {
			continue
		}
		w, err := p.value(v, tzid)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return nil, errors.New("no value")
	}
	return out, nil
}

// line writes an RDATE or EXDATE the way the "recurrence" field shows it,
// with a Windows or prefixed TZID replaced by its IANA name.
func (p *fileParser) line(prop *ics.IANAProperty) string {
	var b strings.Builder
	b.WriteString(strings.ToUpper(prop.IANAToken))
	keys := make([]string, 0, len(prop.ICalParameters))
	for k := range prop.ICalParameters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.Join(prop.ICalParameters[k], ",")
		if strings.EqualFold(k, "TZID") {
			if z := p.zs.resolve(v); z.iana != "" {
				v = z.iana
			}
		}
		if strings.ContainsAny(v, ":;,") {
			v = `"` + v + `"`
		}
		b.WriteString(";" + strings.ToUpper(k) + "=" + v)
	}
	b.WriteString(":" + strings.TrimSpace(prop.Value))
	return b.String()
}
