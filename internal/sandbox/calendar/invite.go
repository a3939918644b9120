package calendar

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"mime"
	"strings"
	"time"
)

// Mail is an invitation, update, cancellation or reply that a calendar
// write sends (iMIP: a text/calendar part with METHOD REQUEST, CANCEL or
// REPLY, and the same as an invite.ics attachment).
type Mail struct {
	Method string // REQUEST, CANCEL or REPLY
	From   string // the sender's address: the organizer, or the guest replying
	To     string
	Raw    []byte // RFC 5322
}

// SetMailer makes f the way the book's mail leaves: it is called, after
// the book is unlocked, for every mail a write with sendUpdates sends.
// Without a mailer the mail is dropped.
func (b *Book) SetMailer(f func(Mail)) {
	b.hookMu.Lock()
	b.mailer = f
	b.hookMu.Unlock()
}

// mail builds the message about ev from one person to another, as Google
// Calendar sends it. kind is REQUEST (a new invitation), UPDATE (an
// updated one, sent as REQUEST), CANCEL or REPLY; attendees are the guests
// the iCalendar part lists.
func (b *Book) mail(kind string, c *calendar, ev *event, from, to person, attendees []attendee) Mail {
	now := b.now().UTC()
	method := kind
	prefix := map[string]string{"REQUEST": "Invitation", "UPDATE": "Updated invitation", "CANCEL": "Canceled event"}[kind]
	if kind == "UPDATE" {
		method = "REQUEST"
	}
	if kind == "REPLY" {
		for _, a := range attendees {
			prefix = map[string]string{"accepted": "Accepted", "declined": "Declined", "tentative": "Tentatively accepted"}[a.status]
			if prefix == "" {
				prefix = "Response"
			}
		}
	}
	loc := c.loc
	summary := ev.summary
	if summary == "" {
		summary = "(No title)"
	}
	whenText := describeWhen(ev, loc, c.tzName)
	subject := fmt.Sprintf("%s: %s @ %s (%s)", prefix, summary, whenText, to.email)
	if kind == "REPLY" {
		subject = fmt.Sprintf("%s: %s @ %s", prefix, summary, whenText)
	}
	var master *event
	if ev.instance() {
		master = c.events[ev.masterID]
	}
	cal := icsText(method, ev, master, attendees, now)

	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	boundary := hex.EncodeToString(rnd[:])
	var m bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&m, "%s: %s\r\n", k, v) }
	hdr("MIME-Version", "1.0")
	hdr("Date", now.Format(time.RFC1123Z))
	hdr("Message-ID", "<calendar-"+hex.EncodeToString(rnd[:])+"@google.com>")
	hdr("From", address(from))
	hdr("Sender", "Google Calendar <calendar-notification@google.com>")
	hdr("Reply-To", address(from))
	hdr("To", address(to))
	hdr("Subject", mime.QEncoding.Encode("utf-8", subject))
	hdr("Content-Type", `multipart/mixed; boundary="mixed`+boundary+`"`)
	m.WriteString("\r\n")
	fmt.Fprintf(&m, "--mixed%s\r\nContent-Type: multipart/alternative; boundary=\"alt%s\"\r\n\r\n", boundary, boundary)
	text := mailText(kind, ev, summary, whenText, from, attendees)
	fmt.Fprintf(&m, "--alt%s\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n", boundary, wrap64([]byte(text)))
	htmlBody := "<html><body><p>" + strings.ReplaceAll(html.EscapeString(text), "\n", "<br>\r\n") + "</p></body></html>"
	fmt.Fprintf(&m, "--alt%s\r\nContent-Type: text/html; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n", boundary, wrap64([]byte(htmlBody)))
	fmt.Fprintf(&m, "--alt%s\r\nContent-Type: text/calendar; charset=\"UTF-8\"; method=%s\r\nContent-Transfer-Encoding: 7bit\r\n\r\n%s\r\n", boundary, method, cal)
	fmt.Fprintf(&m, "--alt%s--\r\n\r\n", boundary)
	fmt.Fprintf(&m, "--mixed%s\r\nContent-Type: application/ics; name=\"invite.ics\"\r\nContent-Disposition: attachment; filename=\"invite.ics\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n", boundary, wrap64([]byte(cal)))
	fmt.Fprintf(&m, "--mixed%s--\r\n", boundary)
	return Mail{Method: method, From: from.email, To: to.email, Raw: m.Bytes()}
}

func address(p person) string {
	if p.name == "" {
		return "<" + p.email + ">"
	}
	return mime.QEncoding.Encode("utf-8", quoteName(p.name)) + " <" + p.email + ">"
}

func quoteName(n string) string {
	if strings.ContainsAny(n, `()<>[]:;@\,."`) {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(n) + `"`
	}
	return n
}

func wrap64(data []byte) string {
	s := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

// describeWhen is the subject's time: "Wed 25 Mar 2026 10:00 - 11:00
// (Europe/London)", a date for an all-day event, "Weekly from …" for a
// series.
func describeWhen(ev *event, loc *time.Location, tzName string) string {
	var s string
	if ev.start.allDay {
		s = ev.start.t.Format("Mon 2 Jan 2006")
		if last := ev.end.t.AddDate(0, 0, -1); last.After(ev.start.t) {
			s += " - " + last.Format("Mon 2 Jan 2006")
		}
	} else {
		if ev.start.tz != "" {
			if l, err := time.LoadLocation(ev.start.tz); err == nil {
				loc, tzName = l, ev.start.tz
			}
		}
		st, en := ev.start.t.In(loc), ev.end.t.In(loc)
		s = st.Format("Mon 2 Jan 2006 15:04") + " - "
		if en.YearDay() == st.YearDay() && en.Year() == st.Year() {
			s += en.Format("15:04")
		} else {
			s += en.Format("Mon 2 Jan 2006 15:04")
		}
		s += " (" + tzName + ")"
	}
	if ev.rec != nil {
		s = "Recurring from " + s
	}
	return s
}

func mailText(kind string, ev *event, summary, whenText string, from person, attendees []attendee) string {
	var b strings.Builder
	switch kind {
	case "REQUEST":
		fmt.Fprintf(&b, "You have been invited to the following event.\n\n")
	case "UPDATE":
		fmt.Fprintf(&b, "This event has been changed.\n\n")
	case "CANCEL":
		fmt.Fprintf(&b, "This event has been canceled and removed from your calendar.\n\n")
	case "REPLY":
		fmt.Fprintf(&b, "%s has responded to the invitation.\n\n", from.email)
	}
	fmt.Fprintf(&b, "Title: %s\nWhen: %s\n", summary, whenText)
	if ev.location != "" {
		fmt.Fprintf(&b, "Where: %s\n", ev.location)
	}
	if ev.description != "" {
		fmt.Fprintf(&b, "\n%s\n\n", ev.description)
	}
	if ev.organizer != nil {
		fmt.Fprintf(&b, "Organizer: %s\n", ev.organizer.email)
	}
	if len(attendees) > 0 {
		b.WriteString("Guests:\n")
		for _, a := range attendees {
			fmt.Fprintf(&b, "  %s (%s)\n", a.email, a.status)
		}
	}
	b.WriteString("\nInvitation from Google Calendar (sandbox)\n")
	return b.String()
}

// icsText is the iCalendar object of an iMIP message: ev (an instance
// carries RECURRENCE-ID, master is its series) with attendees.
func icsText(method string, ev, master *event, attendees []attendee, now time.Time) string {
	var b strings.Builder
	line := func(s string) { b.WriteString(fold(s) + "\r\n") }
	line("BEGIN:VCALENDAR")
	line("PRODID:-//Google Inc//Google Calendar 70.9054//EN")
	line("VERSION:2.0")
	line("CALSCALE:GREGORIAN")
	line("METHOD:" + method)
	line("BEGIN:VEVENT")
	line("DTSTART" + icsWhen(ev.start))
	line("DTEND" + icsWhen(ev.end))
	line("DTSTAMP:" + now.Format("20060102T150405Z"))
	if o := ev.organizer; o != nil {
		line("ORGANIZER" + cnParam(o.name) + ":mailto:" + o.email)
	}
	line("UID:" + ev.uid)
	for _, a := range attendees {
		cutype, role := "INDIVIDUAL", "REQ-PARTICIPANT"
		if a.resource {
			cutype = "RESOURCE"
		}
		if a.optional {
			role = "OPT-PARTICIPANT"
		}
		partstat := map[string]string{"accepted": "ACCEPTED", "declined": "DECLINED", "tentative": "TENTATIVE"}[a.status]
		if partstat == "" {
			partstat = "NEEDS-ACTION"
		}
		rsvp := ";RSVP=TRUE"
		if partstat != "NEEDS-ACTION" {
			rsvp = ""
		}
		line("ATTENDEE;CUTYPE=" + cutype + ";ROLE=" + role + ";PARTSTAT=" + partstat + rsvp + cnParam(a.name) + ";X-NUM-GUESTS=0:mailto:" + a.email)
	}
	if method == "REPLY" && len(attendees) == 1 && attendees[0].comment != "" {
		line("COMMENT:" + icsEscape(attendees[0].comment))
	}
	if ev.instance() {
		rid := *ev.recurrenceID
		if master != nil {
			rid.tz = master.start.tz
		}
		line("RECURRENCE-ID" + icsWhen(rid))
	}
	if ev.rec != nil {
		for _, l := range ev.rec.lines {
			line(l)
		}
	}
	line("CREATED:" + ev.created.UTC().Format("20060102T150405Z"))
	if ev.description != "" {
		line("DESCRIPTION:" + icsEscape(ev.description))
	}
	line("LAST-MODIFIED:" + ev.updated.UTC().Format("20060102T150405Z"))
	if ev.location != "" {
		line("LOCATION:" + icsEscape(ev.location))
	}
	line(fmt.Sprintf("SEQUENCE:%d", ev.sequence))
	status := strings.ToUpper(ev.status)
	if method == "CANCEL" {
		status = "CANCELLED"
	}
	line("STATUS:" + status)
	line("SUMMARY:" + icsEscape(ev.summary))
	if ev.transparent {
		line("TRANSP:TRANSPARENT")
	} else {
		line("TRANSP:OPAQUE")
	}
	line("END:VEVENT")
	line("END:VCALENDAR")
	return b.String()
}

// icsWhen writes a value with its parameters, from the ';' or ':' on.
func icsWhen(w when) string {
	switch {
	case w.allDay:
		return ";VALUE=DATE:" + w.t.Format("20060102")
	case w.tz != "" && w.tz != "UTC":
		return ";TZID=" + w.tz + ":" + w.t.Format("20060102T150405")
	default:
		return ":" + w.t.UTC().Format("20060102T150405Z")
	}
}

func cnParam(name string) string {
	if name == "" {
		return ""
	}
	name = strings.ReplaceAll(name, `"`, "'")
	if strings.ContainsAny(name, ":;,") {
		return `;CN="` + name + `"`
	}
	return ";CN=" + name
}

func icsEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`).Replace(s)
}

// fold breaks a content line into lines of at most 75 octets (RFC 5545
// 3.1), never inside a UTF-8 sequence.
func fold(s string) string {
	if len(s) <= 75 {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		l := len(string(r))
		if n+l > 75 {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteRune(r)
		n += l
	}
	return b.String()
}
