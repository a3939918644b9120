package calendar

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

const (
	defaultMaxResults = 250
	maxMaxResults     = 2500
)

// listQuery is a parsed events.list or events.instances request.
type listQuery struct {
	from, to      time.Time // zero: open
	single        bool
	orderBy       string
	max           int
	words         []string
	showDeleted   bool
	loc           *time.Location
	tzName        string
	syncing       bool
	since         int64 // with syncing: the version the token was issued at
	after         *pageKey
	iCalUID       string
	updatedMin    time.Time
	maxAttendees  int
	series        string     // events.instances: the series' id
	originalStart *time.Time // events.instances: only this instance
	noDefaultType bool       // eventTypes asks only for kinds the sandbox has none of
}

// apiError is a Google error response waiting to be written.
type apiError struct {
	code int
	item wire.ErrorItem
}

func (e *apiError) write(w http.ResponseWriter) { wire.WriteError(w, e.code, e.item) }

func invalid(param, message string) *apiError {
	return &apiError{http.StatusBadRequest, wire.ErrorItem{Domain: "global", Reason: "invalid", Message: message, Location: param, LocationType: "parameter"}}
}

func timeRangeEmpty() *apiError {
	return &apiError{http.StatusBadRequest, wire.ErrorItem{Domain: "calendar", Reason: "timeRangeEmpty", Message: "The specified time range is empty.", Location: "timeMax", LocationType: "parameter"}}
}

func parseBool(q url.Values, name string) (bool, *apiError) {
	switch v := q.Get(name); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, invalid(name, fmt.Sprintf("Invalid boolean value: '%s'.", v))
	}
}

func parseTime(q url.Values, name string) (time.Time, *apiError) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, invalid(name, fmt.Sprintf("Invalid value for: %s", name))
	}
	return t, nil
}

func parseZone(q url.Values, c *calendar) (*time.Location, string, *apiError) {
	name := q.Get("timeZone")
	if name == "" {
		return c.loc, c.tzName, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return nil, "", invalid("timeZone", "Invalid time zone definition for time zone.")
	}
	return loc, name, nil
}

func (b *Book) parseList(c *calendar, q url.Values, series string) (*listQuery, *apiError) {
	lq := &listQuery{max: defaultMaxResults, series: series, single: series != "", iCalUID: q.Get("iCalUID")}
	var e *apiError
	if lq.from, e = parseTime(q, "timeMin"); e != nil {
		return nil, e
	}
	if lq.to, e = parseTime(q, "timeMax"); e != nil {
		return nil, e
	}
	if !lq.from.IsZero() && !lq.to.IsZero() && !lq.to.After(lq.from) {
		return nil, timeRangeEmpty()
	}
	if lq.updatedMin, e = parseTime(q, "updatedMin"); e != nil {
		return nil, e
	}
	if series == "" {
		if lq.single, e = parseBool(q, "singleEvents"); e != nil {
			return nil, e
		}
	}
	if lq.showDeleted, e = parseBool(q, "showDeleted"); e != nil {
		return nil, e
	}
	if lq.loc, lq.tzName, e = parseZone(q, c); e != nil {
		return nil, e
	}
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, invalid("maxResults", fmt.Sprintf("Invalid value '%s'. Values must be within the range: [1, 2500]", v))
		}
		lq.max = min(n, maxMaxResults)
	}
	if v := q.Get("maxAttendees"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, invalid("maxAttendees", fmt.Sprintf("Invalid value '%s'.", v))
		}
		lq.maxAttendees = n
	}
	if v := q.Get("originalStart"); v != "" && series != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, invalid("originalStart", "Invalid value for: originalStart")
		}
		lq.originalStart = &t
	}
	switch lq.orderBy = q.Get("orderBy"); lq.orderBy {
	case "", "updated":
	case "startTime":
		if !lq.single {
			return nil, invalid("orderBy", "The requested ordering is not available for the particular query.")
		}
	default:
		return nil, invalid("orderBy", fmt.Sprintf("Invalid value for: orderBy: %s", lq.orderBy))
	}
	lq.words = strings.Fields(q.Get("q"))
	if types := q["eventTypes"]; len(types) > 0 && !slices.Contains(types, "default") {
		lq.noDefaultType = true // every event here is of type "default"
	}
	if v := q.Get("pageToken"); v != "" {
		pk, ok := parsePageToken(v, c)
		if !ok {
			return nil, invalid("pageToken", "Invalid page token value.")
		}
		lq.after = pk
	}
	if v := q.Get("syncToken"); v != "" && series == "" {
		if !lq.from.IsZero() || !lq.to.IsZero() || lq.orderBy != "" || len(lq.words) > 0 || lq.iCalUID != "" || !lq.updatedMin.IsZero() ||
			q.Has("privateExtendedProperty") || q.Has("sharedExtendedProperty") {
			return nil, invalid("syncToken", "Sync token cannot be combined with timeMin, timeMax, orderBy, q, iCalUID, updatedMin, privateExtendedProperty or sharedExtendedProperty.")
		}
		since, ok := b.parseSyncToken(c, v)
		if !ok || lq.after != nil && lq.after.asof < c.floor {
			return nil, fullSyncRequired()
		}
		lq.syncing, lq.since, lq.showDeleted = true, since, true
	}
	return lq, nil
}

func fullSyncRequired() *apiError {
	return &apiError{http.StatusGone, wire.ErrorItem{Domain: "calendar", Reason: "fullSyncRequired", Message: "Sync token is no longer valid, a full sync is required."}}
}

// syncToken names the calendar's state at version: which book and
// calendar issued it, the version and when. parseSyncToken accepts only
// tokens this book issued for this calendar, not older than the
// calendar's floor (moved by InvalidateSyncTokens) nor than the book's
// token lifetime.
func (b *Book) syncToken(c *calendar, version int64) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "s2.%08x.%s.%d.%d", b.epoch, eventID("cal", strings.ToLower(c.id))[:8], version, b.now().Unix()))
}

func (b *Book) parseSyncToken(c *calendar, tok string) (int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 5 || parts[0] != "s2" || parts[1] != fmt.Sprintf("%08x", b.epoch) || parts[2] != eventID("cal", strings.ToLower(c.id))[:8] {
		return 0, false
	}
	v, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || v < c.floor || v > c.version {
		return 0, false
	}
	issued, err := strconv.ParseInt(parts[4], 10, 64)
	if err != nil || b.syncTTL > 0 && b.now().Sub(time.Unix(issued, 0)) > b.syncTTL {
		return 0, false
	}
	return v, true
}

// pageKey is where the next page starts: after the entry with this sort
// time and id, in a listing as of version asof. A page follows its key,
// not an offset, so that an event changed between pages moves no other
// out of the listing; whatever changed after asof comes back in the next
// sync.
type pageKey struct {
	asof int64
	t    time.Time
	id   string
}

func pageToken(k pageKey) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "p1.%d.%d.%s", k.asof, k.t.UnixNano(), k.id))
}

func parsePageToken(tok string, c *calendar) (*pageKey, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil, false
	}
	parts := strings.SplitN(string(raw), ".", 4)
	if len(parts) != 4 || parts[0] != "p1" {
		return nil, false
	}
	asof, err1 := strconv.ParseInt(parts[1], 10, 64)
	ns, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || asof < 0 || asof > c.version {
		return nil, false
	}
	return &pageKey{asof: asof, t: time.Unix(0, ns), id: parts[3]}, true
}

// entry is one item of a listing, with the instants it is ordered by.
type entry struct {
	ev         *event
	start, end time.Time
}

// wallUTC moves an instant into the all-day representation: the wall
// clock it shows in loc, read as UTC.
func wallUTC(t time.Time, loc *time.Location) time.Time {
	if t.IsZero() {
		return t
	}
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// window is the query window in the representation of series m's times.
func (c *calendar) window(m *event, from, to time.Time) (time.Time, time.Time) {
	if m.start.allDay {
		return wallUTC(from, c.loc), wallUTC(to, c.loc)
	}
	return from, to
}

// collect gathers the events a listing shows, before ordering and paging.
func (c *calendar) collect(q *listQuery) []entry {
	var out []entry
	if q.noDefaultType {
		return nil
	}
	consider := func(e *event, checkWindow bool) {
		if e.status == "cancelled" && !q.showDeleted ||
			q.syncing && e.version <= q.since ||
			!q.updatedMin.IsZero() && e.updated.Before(q.updatedMin) ||
			!e.matches(q.words) {
			return
		}
		en := entry{ev: e, start: e.start.instant(c.loc), end: e.end.instant(c.loc)}
		if checkWindow && (!q.from.IsZero() && !en.end.After(q.from) || !q.to.IsZero() && !en.start.Before(q.to)) {
			return
		}
		if q.originalStart != nil && (e.recurrenceID == nil || !e.recurrenceID.instant(c.loc).Equal(*q.originalStart)) {
			return
		}
		out = append(out, en)
	}
	for _, e := range c.events {
		if q.series != "" && e.id != q.series || q.iCalUID != "" && e.uid != q.iCalUID {
			continue
		}
		if e.rec == nil {
			if q.series == "" {
				consider(e, true)
			}
			continue
		}
		from, to := c.window(e, q.from, q.to)
		if q.single {
			for _, occ := range e.rec.occurrences(from, to, e.duration(), maxInstances) {
				if o := e.overrides[when{allDay: e.start.allDay, t: occ}.key()]; o == nil {
					consider(instanceOf(e, occ), true)
				}
			}
		} else if q.from.IsZero() && q.to.IsZero() || len(e.rec.occurrences(from, to, e.duration(), 1)) > 0 {
			// A series is listed when any of its instances falls in the window.
			consider(e, false)
		}
		for _, o := range e.overrides {
			if e.status == "cancelled" && o.status != "cancelled" {
				cp := *o
				cp.status = "cancelled"
				o = &cp
			}
			consider(o, true)
		}
	}
	slices.SortFunc(out, func(a, b entry) int { return compareKey(q.sortKey(a), q.sortKey(b)) })
	return out
}

// sortKey is where an entry sorts: by start, or by updated with
// orderBy=updated, then by id.
func (q *listQuery) sortKey(e entry) pageKey {
	if q.orderBy == "updated" {
		return pageKey{t: e.ev.updated, id: e.ev.id}
	}
	return pageKey{t: e.start, id: e.ev.id}
}

func compareKey(a, b pageKey) int {
	if n := a.t.Compare(b.t); n != 0 {
		return n
	}
	return strings.Compare(a.id, b.id)
}

// listEvents answers events.list, or events.instances of series.
func (b *Book) listEvents(w http.ResponseWriter, c *calendar, account string, q url.Values, series string) {
	if series != "" && c.events[series] == nil {
		wire.NotFound(w)
		return
	}
	lq, e := b.parseList(c, q, series)
	if e != nil {
		e.write(w)
		return
	}
	all := c.collect(lq)
	v := &view{cal: c, account: account, loc: lq.loc, maxAttendees: lq.maxAttendees}
	out := eventsJSON{
		Kind:             "calendar#events",
		Etag:             etag(c.lastUpdated(), c.version),
		Summary:          c.id,
		Updated:          stamp(c.lastUpdated()),
		TimeZone:         lq.tzName,
		AccessRole:       "owner",
		DefaultReminders: []struct{}{},
		Items:            []eventJSON{},
	}
	asof := c.version
	start := 0
	if lq.after != nil {
		asof = lq.after.asof
		start, _ = slices.BinarySearchFunc(all, *lq.after, func(e entry, k pageKey) int {
			if compareKey(lq.sortKey(e), k) <= 0 {
				return -1
			}
			return 1
		})
	}
	end := min(start+lq.max, len(all))
	for _, en := range all[start:end] {
		out.Items = append(out.Items, v.event(en.ev))
	}
	if end < len(all) {
		k := lq.sortKey(all[end-1])
		k.asof = asof
		out.NextPageToken = pageToken(k)
	} else if series == "" {
		out.NextSyncToken = b.syncToken(c, asof)
	}
	wire.WriteJSON(w, http.StatusOK, out)
}

func (c *calendar) lastUpdated() time.Time {
	t := c.created
	for _, e := range c.events {
		if e.updated.After(t) {
			t = e.updated
		}
		for _, o := range e.overrides {
			if o.updated.After(t) {
				t = o.updated
			}
		}
	}
	return t
}

// getEvent answers events.get for a single event, a series, or an instance
// id "<seriesId>_<originalStart>". Cancelled events are still returned,
// with status "cancelled", as Google does.
func (b *Book) getEvent(w http.ResponseWriter, c *calendar, account string, q url.Values, id string) {
	loc, _, e := parseZone(q, c)
	if e != nil {
		e.write(w)
		return
	}
	v := &view{cal: c, account: account, loc: loc}
	if n, err := strconv.Atoi(q.Get("maxAttendees")); err == nil && n > 0 {
		v.maxAttendees = n
	}
	ev := c.find(id)
	if ev == nil {
		wire.NotFound(w)
		return
	}
	wire.WriteJSON(w, http.StatusOK, v.event(ev))
}

// find resolves an event id, generating an unmodified instance when the id
// names a real occurrence of a series.
func (c *calendar) find(id string) *event {
	if e := c.events[id]; e != nil {
		return e
	}
	cut := strings.LastIndex(id, "_")
	if cut < 0 {
		return nil
	}
	mid, key := id[:cut], id[cut+1:]
	m := c.events[mid]
	if m == nil || m.rec == nil {
		return nil
	}
	if o := m.overrides[key]; o != nil {
		if m.status == "cancelled" {
			cp := *o
			cp.status = "cancelled"
			return &cp
		}
		return o
	}
	var occ time.Time
	var err error
	if m.start.allDay {
		occ, err = time.ParseInLocation("20060102", key, time.UTC)
	} else {
		occ, err = time.Parse("20060102T150405Z", key)
		occ = occ.In(m.start.t.Location())
	}
	if err != nil || !m.rec.has(occ) {
		return nil
	}
	return instanceOf(m, occ)
}
