package calendar

import (
	"crypto/rand"
	"encoding/base32"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// change is what one write did: the accounts whose calendars changed and
// the mails it sends, both dealt with once the book is unlocked.
type change struct {
	send     string // sendUpdates: all, externalOnly or none
	accounts []string
	mails    []Mail
}

func (ch *change) touch(c *calendar) {
	if !slices.ContainsFunc(ch.accounts, func(a string) bool { return strings.EqualFold(a, c.id) }) {
		ch.accounts = append(ch.accounts, c.id)
	}
}

// finish announces a write's changes and sends its mail. The caller does
// not hold b.mu.
func (b *Book) finish(ch *change) {
	b.changed(ch.accounts...)
	b.hookMu.Lock()
	mailer := b.mailer
	b.hookMu.Unlock()
	if mailer == nil {
		return
	}
	for _, m := range ch.mails {
		mailer(m)
	}
}

// parseSendUpdates reads sendUpdates, or the older sendNotifications
// (true is "all"); the default is "none", as the API's.
func parseSendUpdates(q url.Values) (string, *apiError) {
	switch v := q.Get("sendUpdates"); v {
	case "all", "externalOnly", "none":
		return v, nil
	case "":
	default:
		return "", invalid("sendUpdates", "Invalid value for: sendUpdates: "+v)
	}
	notify, e := parseBool(q, "sendNotifications")
	if e != nil {
		return "", e
	}
	if notify {
		return "all", nil
	}
	return "none", nil
}

// clone copies an event deeply enough that changing the copy, its
// attendees or its overrides leaves e alone.
func (e *event) clone() *event {
	cp := *e
	cp.attendees = slices.Clone(e.attendees)
	if e.organizer != nil {
		o := *e.organizer
		cp.organizer = &o
	}
	if e.recurrenceID != nil {
		r := *e.recurrenceID
		cp.recurrenceID = &r
	}
	if e.overrides != nil {
		cp.overrides = make(map[string]*event, len(e.overrides))
		for k, o := range e.overrides {
			cp.overrides[k] = o.clone()
		}
	}
	return &cp
}

// organizes reports whether the calendar's owner organizes e: an event
// without an organizer is the owner's own.
func (c *calendar) organizes(e *event) bool {
	return e.organizer == nil || strings.EqualFold(e.organizer.email, c.id)
}

// instance reports whether e is one instance of a series.
func (e *event) instance() bool { return e.masterID != "" && e.recurrenceID != nil }

func (b *Book) nextRev() int64 {
	b.rev++
	return b.rev
}

// newEventID makes an id as Google does: 26 characters of base32hex.
func newEventID() string {
	var r [16]byte
	_, _ = rand.Read(r[:])
	return strings.ToLower(base32.HexEncoding.WithPadding(base32.NoPadding).EncodeToString(r[:]))[:26]
}

// validEventID is Google's rule for client ids: 5 to 1024 characters of
// base32hex (a–v, 0–9).
func validEventID(id string) bool {
	if len(id) < 5 || len(id) > 1024 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'v' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func deletedError() *apiError {
	return &apiError{http.StatusGone, wire.ErrorItem{Domain: "global", Reason: "deleted", Message: "Resource has been deleted"}}
}

func notFound() *apiError {
	return &apiError{http.StatusNotFound, wire.ErrorItem{Domain: "global", Reason: "notFound", Message: "Not Found"}}
}

// serveWrite answers events.insert, update, patch and delete.
func (b *Book) serveWrite(w http.ResponseWriter, r *http.Request, account string, rt route) {
	q := r.URL.Query()
	send, e := parseSendUpdates(q)
	if e != nil {
		e.write(w)
		return
	}
	var in *eventInput
	if rt.method != methodEventsDelete {
		data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			parseError().write(w)
			return
		}
		if in, e = decodeEvent(data); e != nil {
			e.write(w)
			return
		}
		switch v := q.Get("conferenceDataVersion"); v {
		case "", "0":
		case "1":
			in.conference = true
		default:
			invalid("conferenceDataVersion", "Invalid value for: conferenceDataVersion: "+v).write(w)
			return
		}
	}
	ch := &change{send: send}
	var out *eventJSON
	b.mu.Lock()
	c := b.own(account, rt.calendar)
	if c == nil {
		b.mu.Unlock()
		wire.NotFound(w)
		return
	}
	var ev *event
	switch rt.method {
	case methodEventsInsert:
		in.Organizer = nil // the calendar's owner organizes what it inserts
		ev, e = b.insert(c, in, ch)
	case methodEventsUpdate, methodEventsPatch:
		ev, e = b.modify(c, rt.event, in, rt.method == methodEventsUpdate, r.Header.Get("If-Match"), ch)
	case methodEventsDelete:
		e = b.remove(c, rt.event, r.Header.Get("If-Match"), ch)
	}
	if e == nil && ev != nil {
		j := (&view{cal: c, account: account, loc: c.loc}).event(ev)
		out = &j
	}
	b.mu.Unlock()
	if e != nil {
		e.write(w)
		return
	}
	b.finish(ch)
	if out == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	wire.WriteJSON(w, http.StatusOK, out)
}

// insert is events.insert into the account's calendar, which organizes
// the new event.
func (b *Book) insert(c *calendar, in *eventInput, ch *change) (*event, *apiError) {
	id := in.ID
	switch {
	case id == "":
		id = newEventID()
	case !validEventID(id):
		return nil, badField("invalid", "Invalid resource id value.")
	case c.events[id] != nil:
		return nil, &apiError{http.StatusConflict, wire.ErrorItem{Domain: "global", Reason: "duplicate", Message: "The requested identifier already exists."}}
	}
	org := &person{email: c.id, name: c.ownerName}
	if in.Organizer != nil && in.Organizer.Email != "" {
		org = &person{email: in.Organizer.Email, name: in.Organizer.DisplayName}
	}
	ev := &event{id: id, uid: in.ICalUID, status: "confirmed", organizer: org}
	if ev.uid == "" {
		ev.uid = id + "@google.com"
	}
	if e := in.apply(ev, true); e != nil {
		return nil, e
	}
	if len(ev.attendees) > 0 && !slices.ContainsFunc(ev.attendees, func(a attendee) bool { return strings.EqualFold(a.email, org.email) }) {
		// Google lists the organizer among the guests, going.
		ev.attendees = append([]attendee{{person: *org, status: "accepted"}}, ev.attendees...)
	}
	now := b.now().UTC()
	ev.created, ev.updated = now, now
	b.commit(c, nil, ev, ch)
	return ev, nil
}

// modify is events.update (full) and events.patch on an event, a series
// or one instance of a series.
func (b *Book) modify(c *calendar, id string, in *eventInput, full bool, ifMatch string, ch *change) (*event, *apiError) {
	cur := c.find(id)
	if cur == nil {
		return nil, notFound()
	}
	if ifMatch != "" && ifMatch != "*" && ifMatch != etag(cur.updated, cur.version) {
		return nil, &apiError{http.StatusPreconditionFailed, wire.ErrorItem{Domain: "global", Reason: "conditionNotMet", Message: "Precondition Failed", Location: "If-Match", LocationType: "header"}}
	}
	next := cur.clone()
	if e := in.apply(next, full); e != nil {
		return nil, e
	}
	if next.instance() && next.rec != nil {
		return nil, badField("invalid", "Invalid recurrence rule: an instance cannot recur.")
	}
	if next.instance() {
		next.rec = nil
	}
	if c.organizes(cur) {
		next.updated = b.now().UTC()
		b.commit(c, cur, next, ch)
		return c.find(id), nil
	}
	if next.shared() != cur.shared() {
		return nil, calendarError(http.StatusForbidden, "forbiddenForNonOrganizer", "Shared properties can only be changed by the organizer of the event.")
	}
	status, comment := next.selfStatus(c.id), next.selfComment(c.id)
	if status != cur.selfStatus(c.id) || comment != cur.selfComment(c.id) {
		b.respond(c, id, c.id, status, comment, ch)
	}
	return c.find(id), nil
}

// respond records who's answer to event id as status (with comment), as the attendee's
// RSVP does: in the organizer's calendar when it is a sandbox one (and
// from there in every guest's copy), else in from's own copy. A REPLY
// goes to the organizer when the write sends updates.
func (b *Book) respond(from *calendar, id, who, status, comment string, ch *change) {
	cur := from.find(id)
	src := from
	if oc := b.holder(cur, from); oc != nil {
		src, cur = oc, oc.find(id)
	}
	next := cur.clone()
	for i := range next.attendees {
		if strings.EqualFold(next.attendees[i].email, who) {
			next.attendees[i].status, next.attendees[i].comment = status, comment
		}
	}
	next.updated = b.now().UTC()
	if src == from && !from.organizes(cur) {
		// The organizer is outside the sandbox: the answer is this
		// guest's until the organizer sends an update.
		b.store(from, cur, next)
		ch.touch(from)
	} else {
		b.commitQuiet(src, cur, next, ch)
	}
	if next.organizer != nil && b.sends(ch.send, next.organizer.email) {
		a := next.attendees[slices.IndexFunc(next.attendees, func(a attendee) bool { return strings.EqualFold(a.email, who) })]
		ch.mails = append(ch.mails, b.mail("REPLY", src, next, a.person, *next.organizer, []attendee{a}))
	}
}

// holder is the organizer's sandbox calendar when it holds the event,
// nil otherwise (an organizer outside the sandbox).
func (b *Book) holder(ev *event, not *calendar) *calendar {
	if ev.organizer == nil {
		return nil
	}
	oc := b.lookup(ev.organizer.email)
	if oc == nil || oc == not || oc.find(ev.id) == nil {
		return nil
	}
	return oc
}

// remove is events.delete: the organizer cancels the event (or the one
// instance) for everyone; a guest only takes it off their own calendar.
func (b *Book) remove(c *calendar, id, ifMatch string, ch *change) *apiError {
	cur := c.find(id)
	if cur == nil {
		return notFound()
	}
	if cur.status == "cancelled" {
		return deletedError()
	}
	if ifMatch != "" && ifMatch != "*" && ifMatch != etag(cur.updated, cur.version) {
		return &apiError{http.StatusPreconditionFailed, wire.ErrorItem{Domain: "global", Reason: "conditionNotMet", Message: "Precondition Failed", Location: "If-Match", LocationType: "header"}}
	}
	next := cur.clone()
	next.status = "cancelled"
	next.updated = b.now().UTC()
	if c.organizes(cur) {
		b.commit(c, cur, next, ch)
		return nil
	}
	next.dismissed = true
	b.store(c, cur, next)
	ch.touch(c)
	return nil
}

// commit stores next (a new event when cur is nil) in the calendar of its
// organizer, copies the result into the guests' calendars and queues the
// mail sendUpdates asks for.
func (b *Book) commit(c *calendar, cur, next *event, ch *change) {
	if cur != nil && cur.significant() != next.significant() && next.sequence <= cur.sequence {
		next.sequence = cur.sequence + 1
	}
	b.commitQuiet(c, cur, next, ch)
	b.notify(c, cur, next, ch)
}

// commitQuiet stores next and copies it to the guests, without mail.
func (b *Book) commitQuiet(c *calendar, cur, next *event, ch *change) {
	b.store(c, cur, next)
	ch.touch(c)
	master := next
	if next.instance() {
		master = c.events[next.masterID]
	}
	var former []attendee
	if cur != nil {
		former = cur.attendees
	}
	b.propagate(c, master, former, ch)
}

// store writes next (which was cur, nil for a new event) into c: an
// instance as an override of its series, a series with its overrides, a
// single event as itself. The overrides of a series follow what changed
// in it where they had not changed that themselves; those the new rule no
// longer has are cancelled.
func (b *Book) store(c *calendar, cur, next *event) {
	c.written = true
	next.rev = b.nextRev()
	if next.instance() {
		m := c.events[next.masterID]
		key := next.recurrenceID.key()
		next.id = m.id + "_" + key
		next.version = c.bump()
		if m.overrides == nil {
			m.overrides = map[string]*event{}
		}
		m.overrides[key] = next
		return
	}
	// A new rule is news for every exception, cancelled ones too, as
	// Google reports each instance of a changed series to a sync: a
	// client expanding instances learns of the change from them even when
	// no unmodified instance is left to tell it.
	ruleChanged := cur != nil && !slices.Equal(ruleLines(cur), ruleLines(next))
	for k, o := range next.overrides {
		if ruleChanged {
			o.rev, o.version = b.nextRev(), c.bump()
		}
		if o.status == "cancelled" {
			continue
		}
		if cur != nil && inherit(o, cur, next) {
			o.updated, o.rev, o.version = next.updated, b.nextRev(), c.bump()
		}
		if next.rec == nil || !next.rec.has(sameKind(*o.recurrenceID, next.start).t) || next.status == "cancelled" {
			cp := o.clone()
			cp.status, cp.updated, cp.rev, cp.version = "cancelled", next.updated, b.nextRev(), c.bump()
			next.overrides[k] = cp
		}
	}
	next.version = c.bump()
	c.events[next.id] = next
}

// propagate makes the calendar of every sandbox guest of master hold a
// copy of it, as Google adds an invitation to a guest's calendar; a guest
// no longer invited finds the copy cancelled. src is not touched.
func (b *Book) propagate(src *calendar, master *event, former []attendee, ch *change) {
	for _, a := range master.attendees {
		ac := b.lookup(a.email)
		if ac == nil || ac == src {
			continue
		}
		if b.copyInto(ac, master) {
			ch.touch(ac)
		}
	}
	for _, a := range former {
		if slices.ContainsFunc(master.attendees, func(x attendee) bool { return strings.EqualFold(x.email, a.email) }) {
			continue
		}
		ac := b.lookup(a.email)
		if ac == nil || ac == src {
			continue
		}
		if old := ac.events[master.id]; old != nil && old.status != "cancelled" {
			cp := old.clone()
			cp.status, cp.updated, cp.rev, cp.version = "cancelled", b.now().UTC(), b.nextRev(), ac.bump()
			ac.events[master.id] = cp
			ac.written = true
			ch.touch(ac)
		}
	}
}

// copyInto puts master's copy into ac; parts that did not change since
// the last copy keep their version there. It reports whether anything
// changed.
func (b *Book) copyInto(ac *calendar, master *event) bool {
	old := ac.events[master.id]
	cp := master.clone()
	changed := false
	if old != nil && old.rev == master.rev {
		cp.version = old.version
	} else {
		cp.version, changed = ac.bump(), true
	}
	if old != nil && old.dismissed {
		cp.status, cp.dismissed = "cancelled", true
	}
	for k, o := range cp.overrides {
		var prev *event
		if old != nil {
			prev = old.overrides[k]
		}
		if prev != nil && prev.rev == o.rev {
			o.version = prev.version
		} else {
			o.version, changed = ac.bump(), true
		}
		if prev != nil && prev.dismissed {
			o.status, o.dismissed = "cancelled", true
		}
	}
	if old != nil {
		cp.created = old.created
	}
	ac.events[master.id] = cp
	ac.written = true
	return changed
}

// sends reports whether sendUpdates mails to address.
func (b *Book) sends(send, address string) bool {
	switch send {
	case "all":
		return true
	case "externalOnly":
		return b.lookup(address) == nil
	}
	return false
}

// notify queues the organizer's mail about a change from cur to next:
// invitations to new guests, updates to the others when the change is
// significant, cancellations to guests removed or to all when cancelled.
func (b *Book) notify(c *calendar, cur, next *event, ch *change) {
	if ch.send == "none" || ch.send == "" || next.organizer == nil {
		return
	}
	org := *next.organizer
	has := func(list []attendee, a attendee) bool {
		return slices.ContainsFunc(list, func(x attendee) bool { return strings.EqualFold(x.email, a.email) })
	}
	// An organizer outside the sandbox mails its guests outside it itself.
	outside := b.lookup(org.email) == nil
	to := func(method string, who []attendee) {
		for _, a := range who {
			if a.resource || strings.EqualFold(a.email, org.email) || !b.sends(ch.send, a.email) || outside && b.lookup(a.email) == nil {
				continue
			}
			ch.mails = append(ch.mails, b.mail(method, c, next, org, a.person, next.attendees))
		}
	}
	var added, kept, removed []attendee
	for _, a := range next.attendees {
		if cur != nil && has(cur.attendees, a) {
			kept = append(kept, a)
		} else {
			added = append(added, a)
		}
	}
	if cur != nil {
		for _, a := range cur.attendees {
			if !has(next.attendees, a) {
				removed = append(removed, a)
			}
		}
	}
	switch {
	case next.status == "cancelled" && (cur == nil || cur.status != "cancelled"):
		to("CANCEL", append(kept, removed...))
	case next.status == "cancelled":
	default:
		to("REQUEST", added)
		if cur != nil && cur.significant() != next.significant() {
			to("UPDATE", kept)
		}
		to("CANCEL", removed)
	}
}

// inherit carries a series' change from cur to next into its override o
// for every field o had left as the series had it; it reports whether o
// changed.
func inherit(o, cur, next *event) bool {
	changed := false
	str := func(field *string, was, now string) {
		if *field == was && was != now {
			*field, changed = now, true
		}
	}
	str(&o.summary, cur.summary, next.summary)
	str(&o.description, cur.description, next.description)
	str(&o.location, cur.location, next.location)
	str(&o.visibility, cur.visibility, next.visibility)
	if o.transparent == cur.transparent && cur.transparent != next.transparent {
		o.transparent, changed = next.transparent, true
	}
	if slices.Equal(o.attendees, cur.attendees) && !slices.Equal(cur.attendees, next.attendees) {
		o.attendees, changed = slices.Clone(next.attendees), true
	}
	return changed
}

// ruleLines are a series' recurrence lines, none for a single event.
func ruleLines(e *event) []string {
	if e.rec == nil {
		return nil
	}
	return e.rec.lines
}
