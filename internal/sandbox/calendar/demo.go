package calendar

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
)

// demoZone is where the demo's person lives and works.
const demoZone = "Europe/London"

// defaultPeers stand in for colleagues when AddDemo is given none.
var defaultPeers = []string{"priya.shah@example.com", "tom.becker@example.com", "ana.lima@example.com", "sam.okafor@example.com", "lee.wong@example.com"}

// AddDemo fills the account's primary calendar (created if needed) with a
// fortnight of events around now, in Europe/London, so the demo never looks
// stale: a weekday standup (one EXDATE line skipping the offsite, one
// instance moved, one cancelled), a weekly 1:1, meetings with the peers
// answering accepted/tentative/declined/needsAction, Google Meet links,
// locations, a tentative hold, a private appointment, an all-day birthday,
// a two-day all-day offsite, a flight across zones, a cancelled coffee, and
// always something tomorrow. Peers are colleagues' emails; fewer than four
// are topped up with example.com people. Calling it again refreshes the
// same events.
func (b *Book) AddDemo(account string, peers []string) {
	data := demoICS(account, peers, b.now())
	b.mu.Lock()
	if c := b.calendarLocked(account); !c.tzSet {
		loc, _ := time.LoadLocation(demoZone)
		c.setZone(zone{loc: loc, iana: demoZone})
	}
	b.mu.Unlock()
	if err := b.LoadICS(account, "demo.ics", data); err != nil {
		panic("calendar: the built-in demo does not load: " + err.Error())
	}
}

// demoPerson is a peer with a display name made from their address.
type demoPerson struct{ email, name, first string }

func peerOf(email string) demoPerson {
	local, _, _ := strings.Cut(email, "@")
	words := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' })
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	p := demoPerson{email: email, name: strings.Join(words, " ")}
	if len(words) > 0 {
		p.first = words[0]
	} else {
		p.first, p.name = email, email
	}
	return p
}

// demoCal writes the iCalendar text of the demo.
type demoCal struct {
	b       strings.Builder
	loc     *time.Location
	today   time.Time // midnight, London
	now     time.Time
	offsite int // days from today to the offsite's first day; it lasts two
}

func (d *demoCal) line(s string) { d.b.WriteString(s + "\r\n") }

// at is a wall-clock time days after today, in London.
func (d *demoCal) at(days, hour, minute int) time.Time {
	return time.Date(d.today.Year(), d.today.Month(), d.today.Day()+days, hour, minute, 0, 0, d.loc)
}

// workday is the number of days from today to the nth working day after
// it: not a weekend, not at the offsite.
func (d *demoCal) workday(n int) int {
	days := 0
	for n > 0 {
		days++
		if wd := d.today.AddDate(0, 0, days).Weekday(); wd != time.Saturday && wd != time.Sunday && !d.away(days) {
			n--
		}
	}
	return days
}

func (d *demoCal) away(days int) bool { return days == d.offsite || days == d.offsite+1 }

func local(t time.Time) string { return ";TZID=" + demoZone + ":" + t.Format("20060102T150405") }

func date(t time.Time) string { return ";VALUE=DATE:" + t.Format("20060102") }

// meet makes a stable Meet URL for a label.
func meet(label string) string {
	sum := sha256.Sum256([]byte(label))
	var b strings.Builder
	for i, n := range []int{3, 4, 3} {
		if i > 0 {
			b.WriteByte('-')
		}
		for j := 0; j < n; j++ {
			b.WriteByte('a' + sum[b.Len()]%26)
		}
	}
	return "https://meet.google.com/" + b.String()
}

// demoEvent is one VEVENT of the demo.
type demoEvent struct {
	uid, summary, description, location string
	start, end                          string // ";TZID=…:…" or ";VALUE=DATE:…"
	organizer                           *demoPerson
	attendees                           []string // ATTENDEE parameter prefixes, "CN=…;PARTSTAT=…:mailto:…"
	extra                               []string // further raw lines
	meet                                bool
}

func (d *demoCal) event(e demoEvent) {
	d.line("BEGIN:VEVENT")
	d.line("UID:" + e.uid + "@demo.jarvis.sandbox")
	d.line("DTSTAMP:" + d.now.UTC().Format("20060102T150405Z"))
	d.line("CREATED:" + d.now.AddDate(0, 0, -12).UTC().Format("20060102T150405Z"))
	d.line("LAST-MODIFIED:" + d.now.AddDate(0, 0, -2).UTC().Format("20060102T150405Z"))
	d.line("DTSTART" + e.start)
	d.line("DTEND" + e.end)
	d.line("SUMMARY:" + ics.ToText(e.summary))
	if e.description != "" {
		d.line("DESCRIPTION:" + ics.ToText(e.description))
	}
	if e.location != "" {
		d.line("LOCATION:" + ics.ToText(e.location))
	}
	if e.organizer != nil {
		d.line(fmt.Sprintf("ORGANIZER;CN=%s:mailto:%s", e.organizer.name, e.organizer.email))
	}
	for _, a := range e.attendees {
		d.line("ATTENDEE;" + a)
	}
	if e.meet {
		d.line("X-GOOGLE-CONFERENCE:" + meet(e.uid))
	}
	for _, x := range e.extra {
		d.line(x)
	}
	d.line("END:VEVENT")
}

func attendeeLine(p demoPerson, partstat string) string {
	return fmt.Sprintf("CN=%s;PARTSTAT=%s;ROLE=REQ-PARTICIPANT:mailto:%s", p.name, partstat, p.email)
}

func demoICS(account string, peerEmails []string, now time.Time) []byte {
	loc, _ := time.LoadLocation(demoZone)
	n := now.In(loc)
	d := &demoCal{loc: loc, now: now, today: time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)}
	// Next week's Wednesday and Thursday hold the offsite.
	toMonday := (8 - int(d.today.Weekday())) % 7
	if toMonday == 0 {
		toMonday = 7
	}
	d.offsite = toMonday + 2
	offsite := d.offsite

	var peers []demoPerson
	seen := map[string]bool{strings.ToLower(account): true}
	for _, e := range append(append([]string{}, peerEmails...), defaultPeers...) {
		if e = strings.TrimSpace(e); e != "" && !seen[strings.ToLower(e)] {
			seen[strings.ToLower(e)] = true
			peers = append(peers, peerOf(e))
		}
	}
	me := peerOf(account)
	p0, p1, p2, p3 := peers[0], peers[1], peers[2], peers[3]
	team := []string{attendeeLine(me, "ACCEPTED"), attendeeLine(p0, "ACCEPTED"), attendeeLine(p1, "ACCEPTED"), attendeeLine(p2, "ACCEPTED")}

	d.line("BEGIN:VCALENDAR")
	d.line("VERSION:2.0")
	d.line("PRODID:-//Jarvis//Sandbox demo//EN")
	d.line("X-WR-TIMEZONE:" + demoZone)

	firstWeekday := -21 // the series began three weeks ago, on a weekday
	switch d.today.Weekday() {
	case time.Saturday:
		firstWeekday += 2
	case time.Sunday:
		firstWeekday++
	}
	w1, w2, w3, w4, w5 := d.workday(1), d.workday(2), d.workday(3), d.workday(4), d.workday(5)

	standup := demoEvent{
		uid: "standup", summary: "Daily standup", description: "Yesterday, today, blockers. Keep it to 15 minutes.",
		start: local(d.at(firstWeekday, 9, 30)), end: local(d.at(firstWeekday, 9, 45)),
		organizer: &me, attendees: team, meet: true,
		extra: []string{
			"RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
			"EXDATE;TZID=" + demoZone + ":" + d.at(offsite, 9, 30).Format("20060102T150405") + "," + d.at(offsite+1, 9, 30).Format("20060102T150405"),
		},
	}
	d.event(standup)
	moved := standup
	moved.summary, moved.description = "Daily standup (moved for the all-hands)", "Moved to 11:00 because of the company all-hands."
	moved.start, moved.end = local(d.at(w2, 11, 0)), local(d.at(w2, 11, 15))
	moved.extra = []string{"RECURRENCE-ID" + local(d.at(w2, 9, 30)), "SEQUENCE:1"}
	d.event(moved)
	cancelled := standup
	cancelled.start, cancelled.end = local(d.at(w4, 9, 30)), local(d.at(w4, 9, 45))
	cancelled.extra = []string{"RECURRENCE-ID" + local(d.at(w4, 9, 30)), "STATUS:CANCELLED", "SEQUENCE:1"}
	d.event(cancelled)

	oneOnOne := -35 + w3 // five weeks back, on the weekday of the third workday ahead
	d.event(demoEvent{
		uid: "one-on-one", summary: "1:1 " + p0.first + " / " + me.first, description: "Weekly check-in. Agenda in the shared doc.",
		start: local(d.at(oneOnOne, 16, 0)), end: local(d.at(oneOnOne, 16, 30)),
		organizer: &p0, attendees: []string{attendeeLine(p0, "ACCEPTED"), attendeeLine(me, "ACCEPTED")}, meet: true,
		extra: []string{"RRULE:FREQ=WEEKLY;INTERVAL=1"},
	})
	d.event(demoEvent{
		uid: "lunch", summary: "Lunch with " + p3.first, location: "Dishoom, 22 Kingly Street, London W1B 5QP",
		start: local(d.at(1, 12, 30)), end: local(d.at(1, 13, 30)),
		organizer: &me, attendees: []string{attendeeLine(me, "ACCEPTED"), attendeeLine(p3, "ACCEPTED")},
	})
	d.event(demoEvent{
		uid: "planning", summary: "Quarterly planning review", description: "Review of the Q1 roadmap and headcount. Pre-read attached to the invite.",
		location: "Board room 4.02, Farringdon", start: local(d.at(w1, 14, 0)), end: local(d.at(w1, 15, 30)),
		organizer: &p1, meet: true,
		attendees: []string{attendeeLine(p1, "ACCEPTED"), attendeeLine(me, "ACCEPTED"), attendeeLine(p0, "ACCEPTED"), attendeeLine(p2, "TENTATIVE"), attendeeLine(p3, "DECLINED"),
			"CN=Board room 4.02;CUTYPE=ROOM;PARTSTAT=ACCEPTED;ROLE=NON-PARTICIPANT:mailto:room-4-02@resource.example.com"},
	})
	d.event(demoEvent{
		uid: "coffee", summary: "Coffee with recruiter", location: "Prufrock Coffee, Leather Lane",
		start: local(d.at(w1, 8, 30)), end: local(d.at(w1, 9, 0)), extra: []string{"STATUS:CANCELLED"},
	})
	d.event(demoEvent{
		uid: "all-hands", summary: "Company all-hands", description: "Quarterly results and Q&A with the leadership team.",
		location: "Auditorium, ground floor", start: local(d.at(w2, 9, 30)), end: local(d.at(w2, 10, 30)),
		organizer: &p2, meet: true,
		attendees: []string{attendeeLine(p2, "ACCEPTED"), attendeeLine(p0, "ACCEPTED"), attendeeLine(p1, "NEEDS-ACTION"),
			"CN=" + me.name + ";PARTSTAT=ACCEPTED;ROLE=OPT-PARTICIPANT:mailto:" + me.email},
	})
	d.event(demoEvent{
		uid: "vendor-hold", summary: "Hold: vendor demo (tentative)", description: "Waiting for the vendor to confirm the slot.",
		start: local(d.at(w2, 14, 0)), end: local(d.at(w2, 15, 0)), extra: []string{"STATUS:TENTATIVE"},
	})
	d.event(demoEvent{
		uid: "acme", summary: "Acme Corp renewal call", description: "Renewal terms for 2027; bring the usage report.",
		start: local(d.at(w2, 16, 0)), end: local(d.at(w2, 16, 45)), organizer: &me, meet: true,
		attendees: []string{attendeeLine(me, "ACCEPTED"), attendeeLine(p1, "ACCEPTED"), "CN=Jordan Reyes;PARTSTAT=NEEDS-ACTION:mailto:jordan.reyes@acme.example"},
	})
	d.event(demoEvent{
		uid: "dentist", summary: "Dentist", location: "Harley Street Dental, 12 Harley Street, London",
		start: local(d.at(w3, 8, 15)), end: local(d.at(w3, 9, 0)), extra: []string{"CLASS:PRIVATE"},
	})
	d.event(demoEvent{
		uid: "deep-work", summary: "Deep work: board pack", description: "No meetings, please.",
		start: local(d.at(w3, 13, 0)), end: local(d.at(w3, 15, 0)),
	})
	d.event(demoEvent{
		uid: "marketing", summary: "Marketing sync", start: local(d.at(w4, 11, 0)), end: local(d.at(w4, 11, 30)),
		organizer: &p3, attendees: []string{attendeeLine(p3, "ACCEPTED"), attendeeLine(me, "DECLINED"), attendeeLine(p2, "ACCEPTED")}, meet: true,
	})
	d.event(demoEvent{
		uid: "interview", summary: "Interview: Senior Backend Engineer", description: "System design round. Scorecard due the same day.",
		start: local(d.at(w5, 14, 0)), end: local(d.at(w5, 15, 0)), organizer: &me, meet: true,
		attendees: []string{attendeeLine(me, "ACCEPTED"), attendeeLine(p1, "NEEDS-ACTION")},
	})
	d.event(demoEvent{
		uid: "birthday", summary: p0.first + "'s birthday", start: date(d.at(4, 0, 0)), end: date(d.at(5, 0, 0)),
		extra: []string{"TRANSP:TRANSPARENT"},
	})
	dinner := 5
	for d.away(dinner) {
		dinner++
	}
	d.event(demoEvent{
		uid: "dinner", summary: "Dinner with " + p2.first, location: "The Clove Club, Shoreditch Town Hall, London",
		start: local(d.at(dinner, 19, 30)), end: local(d.at(dinner, 22, 0)),
	})
	d.event(demoEvent{
		uid: "offsite", summary: "Team offsite: Lake District", description: "Two days of planning and hiking. Train tickets in the travel folder.",
		location: "Low Wood Bay, Windermere", start: date(d.at(offsite, 0, 0)), end: date(d.at(offsite+2, 0, 0)),
		organizer: &p0, attendees: team,
	})
	d.event(demoEvent{
		uid: "train", summary: "Train to Windermere", location: "London Euston",
		start: local(d.at(offsite, 7, 10)), end: local(d.at(offsite, 10, 25)),
	})
	flight := d.workday(8)
	d.event(demoEvent{
		uid: "flight", summary: "Flight BA982 London Heathrow to Berlin", location: "London Heathrow Terminal 5",
		start: local(d.at(flight, 7, 25)),
		end:   ";TZID=Europe/Berlin:" + time.Date(d.today.Year(), d.today.Month(), d.today.Day()+flight, 10, 20, 0, 0, time.UTC).Format("20060102T150405"),
	})
	sat := (int(time.Saturday) - int(d.today.Weekday()) + 7) % 7
	d.event(demoEvent{
		uid: "parkrun", summary: "Parkrun", location: "Hackney Marshes", start: local(d.at(sat-7, 9, 0)), end: local(d.at(sat-7, 9, 45)),
		extra: []string{"RRULE:FREQ=WEEKLY;COUNT=10", "TRANSP:TRANSPARENT"},
	})
	next := n.Truncate(time.Hour).Add(2 * time.Hour)
	d.event(demoEvent{
		uid: "review-prs", summary: "Review pull requests", description: "Clear the review queue before the end of the day.",
		start: local(next), end: local(next.Add(30 * time.Minute)),
	})
	d.line("END:VCALENDAR")
	return []byte(d.b.String())
}
