package calendar

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	gcal "google.golang.org/api/calendar/v3"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
)

// serve puts b behind a test server that answers as account, and returns
// the official client pointed at it.
func serve(t *testing.T, b *Book, account string) *gcal.Service {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.ServeHTTP(w, r.WithContext(WithAccount(r.Context(), account)))
	}))
	t.Cleanup(srv.Close)
	svc, err := gcal.NewService(context.Background(), option.WithEndpoint(srv.URL+"/calendar/v3/"), option.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// exportBook holds google-export.ics in me's calendar.
func exportBook(t *testing.T) *Book {
	t.Helper()
	b := newBook(t)
	if err := b.LoadICS(me, "google-export.ics", readFixture(t, "google-export.ics")); err != nil {
		t.Fatal(err)
	}
	return b
}

func wantAPIError(t *testing.T, err error, code int, reason string) {
	t.Helper()
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		t.Fatalf("error %v is not a *googleapi.Error", err)
	}
	if ge.Code != code || len(ge.Errors) == 0 || ge.Errors[0].Reason != reason {
		t.Fatalf("got %d %+v, want %d %s", ge.Code, ge.Errors, code, reason)
	}
}

// brief is "start summary [status]" for comparing listings.
func brief(e *gcal.Event) string {
	s := e.Start.DateTime + e.Start.Date + " " + e.Summary
	if e.Status != "confirmed" {
		s += " [" + e.Status + "]"
	}
	return s
}

func briefs(items []*gcal.Event) []string {
	var out []string
	for _, e := range items {
		out = append(out, brief(e))
	}
	return out
}

func TestCalendarListAndCalendarsGet(t *testing.T) {
	svc := serve(t, exportBook(t), me)
	list, err := svc.CalendarList.List().Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		t.Fatalf("items %d", len(list.Items))
	}
	c := list.Items[0]
	if c.Id != me || !c.Primary || c.Summary != me || c.TimeZone != "Europe/London" || c.AccessRole != "owner" || c.Kind != "calendar#calendarListEntry" {
		t.Errorf("entry %+v", c)
	}
	if e, err := svc.CalendarList.Get("primary").Do(); err != nil || e.Id != me {
		t.Errorf("calendarList.get: %v %+v", err, e)
	}
	if cal, err := svc.Calendars.Get(me).Do(); err != nil || cal.Id != me || cal.TimeZone != "Europe/London" {
		t.Errorf("calendars.get: %v %+v", err, cal)
	}
	_, err = svc.Calendars.Get("someone.else@example.com").Do()
	wantAPIError(t, err, 404, "notFound")
}

func TestEventsListSingleEvents(t *testing.T) {
	svc := serve(t, exportBook(t), me)
	res, err := svc.Events.List("primary").SingleEvents(true).OrderBy("startTime").
		TimeMin("2026-11-26T00:00:00Z").TimeMax("2026-12-05T00:00:00Z").Do()
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != "calendar#events" || res.TimeZone != "Europe/London" || res.Summary != me || res.AccessRole != "owner" || res.NextSyncToken == "" || res.NextPageToken != "" {
		t.Errorf("envelope %+v", res)
	}
	got := briefs(res.Items)
	want := []string{
		"2026-11-26T09:30:00Z Standup",
		"2026-11-27T11:00:00Z Standup (late)",
		"2026-11-30 Mum's birthday",
		"2026-11-30T09:30:00Z Standup",
		"2026-11-30T15:00:00Z Budget review",
		"2026-11-30T15:00:00Z Call with the New York office [tentative]",
		"2026-12-02 Web Summit",
		"2026-12-02T09:30:00Z Standup",
		"2026-12-03T09:30:00Z Standup",
		"2026-12-04T09:30:00Z Standup",
	}
	// Budget review and the New York call start together; their order is by id.
	if got[4] > got[5] {
		got[4], got[5] = got[5], got[4]
	}
	if !slices.Equal(got, want) {
		t.Fatalf("items\n got %q\nwant %q", got, want)
	}

	inst := res.Items[0]
	master := strings.Split(inst.Id, "_")[0]
	if inst.Id != master+"_20261126T093000Z" || inst.RecurringEventId != master || inst.OriginalStartTime.DateTime != "2026-11-26T09:30:00Z" ||
		inst.Start.TimeZone != "Europe/London" || inst.End.DateTime != "2026-11-26T09:45:00Z" || len(inst.Recurrence) != 0 {
		t.Errorf("instance %+v", inst)
	}
	if inst.ICalUID != "standup-7f3a@google.com" || inst.EventType != "default" || inst.Kind != "calendar#event" || inst.Etag == "" ||
		inst.Created != "2026-10-20T09:00:00.000Z" || inst.Updated != "2026-11-20T11:00:00.000Z" || !strings.HasPrefix(inst.HtmlLink, "https://") {
		t.Errorf("instance metadata %+v", inst)
	}
	if inst.HangoutLink != "https://meet.google.com/xyz-abcd-efg" || inst.ConferenceData == nil ||
		inst.ConferenceData.EntryPoints[0].Uri != inst.HangoutLink || inst.ConferenceData.ConferenceSolution.Key.Type != "hangoutsMeet" {
		t.Errorf("conference %+v %+v", inst.HangoutLink, inst.ConferenceData)
	}
	if inst.Organizer == nil || !inst.Organizer.Self || inst.Organizer.Email != me {
		t.Errorf("organizer %+v", inst.Organizer)
	}
	if len(inst.Attendees) != 2 || !inst.Attendees[0].Self || !inst.Attendees[0].Organizer || inst.Attendees[1].DisplayName != "Priya Shah" || inst.Attendees[1].ResponseStatus != "tentative" {
		t.Errorf("attendees %+v %+v", inst.Attendees[0], inst.Attendees[1])
	}
	moved := res.Items[1]
	if moved.Id != master+"_20261127T093000Z" || moved.OriginalStartTime.DateTime != "2026-11-27T09:30:00Z" || moved.Sequence != 1 {
		t.Errorf("moved instance %+v", moved)
	}
	bday := res.Items[2]
	if bday.Start.Date != "2026-11-30" || bday.End.Date != "2026-12-01" || bday.Transparency != "transparent" || bday.OriginalStartTime.Date != "2026-11-30" ||
		!strings.HasSuffix(bday.Id, "_20261130") {
		t.Errorf("all-day instance %+v", bday)
	}
	for _, e := range res.Items {
		if e.Summary == "Call with the New York office" && (e.Start.TimeZone != "America/New_York" || e.Visibility != "private") {
			t.Errorf("New York call %+v", e)
		}
	}
}

func TestEventsListSeriesAndShowDeleted(t *testing.T) {
	svc := serve(t, exportBook(t), me)
	res, err := svc.Events.List(me).TimeMin("2026-11-26T00:00:00Z").TimeMax("2026-12-05T00:00:00Z").Do()
	if err != nil {
		t.Fatal(err)
	}
	got := briefs(res.Items)
	want := []string{
		"2020-11-30 Mum's birthday",
		"2026-11-02T09:30:00Z Standup",
		"2026-11-27T11:00:00Z Standup (late)",
		"2026-11-30T15:00:00Z Budget review",
		"2026-11-30T15:00:00Z Call with the New York office [tentative]",
		"2026-12-02 Web Summit",
	}
	if got[3] > got[4] {
		got[3], got[4] = got[4], got[3]
	}
	if !slices.Equal(got, want) {
		t.Fatalf("items\n got %q\nwant %q", got, want)
	}
	standup := res.Items[1]
	wantRec := []string{"RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "EXDATE;TZID=Europe/London:20261125T093000"}
	if !slices.Equal(standup.Recurrence, wantRec) || standup.RecurringEventId != "" {
		t.Errorf("series %+v", standup)
	}

	res, err = svc.Events.List(me).TimeMin("2026-11-26T00:00:00Z").TimeMax("2026-12-05T00:00:00Z").ShowDeleted(true).Do()
	if err != nil {
		t.Fatal(err)
	}
	if got := briefs(res.Items); !slices.Contains(got, "2026-12-01T09:30:00Z Standup [cancelled]") || len(got) != len(want)+1 {
		t.Errorf("with showDeleted: %q", got)
	}
	res, err = svc.Events.List(me).SingleEvents(true).TimeMin("2026-12-01T00:00:00Z").TimeMax("2026-12-02T00:00:00Z").ShowDeleted(true).Do()
	if err != nil {
		t.Fatal(err)
	}
	if got := briefs(res.Items); !slices.Equal(got, []string{"2026-12-01T09:30:00Z Standup [cancelled]"}) {
		t.Errorf("single events with showDeleted: %q", got)
	}
}

func TestEventsListErrors(t *testing.T) {
	svc := serve(t, exportBook(t), me)
	_, err := svc.Events.List("primary").OrderBy("startTime").Do()
	wantAPIError(t, err, 400, "invalid")
	var ge *googleapi.Error
	errors.As(err, &ge)
	if !strings.Contains(string(ge.Body), `"location":"orderBy"`) {
		t.Errorf("body %s", ge.Body)
	}
	_, err = svc.Events.List("primary").TimeMin("2026-12-02T00:00:00Z").TimeMax("2026-12-01T00:00:00Z").Do()
	wantAPIError(t, err, 400, "timeRangeEmpty")
	_, err = svc.Events.List("primary").TimeMin("yesterday").Do()
	wantAPIError(t, err, 400, "invalid")
	_, err = svc.Events.List("primary").TimeZone("Mars/Olympus_Mons").Do()
	wantAPIError(t, err, 400, "invalid")
	_, err = svc.Events.List("primary").PageToken("not-a-token").Do()
	wantAPIError(t, err, 400, "invalid")
	_, err = svc.Events.List("nobody@example.com").Do()
	wantAPIError(t, err, 404, "notFound")

	// Every event here is a "default" one.
	if res, err := svc.Events.List("primary").EventTypes("focusTime", "outOfOffice").Do(); err != nil || len(res.Items) != 0 {
		t.Errorf("eventTypes without default: %v %d items", err, len(res.Items))
	}
	if res, err := svc.Events.List("primary").EventTypes("default").Do(); err != nil || len(res.Items) == 0 {
		t.Errorf("eventTypes=default: %v", err)
	}
}

func TestEventsListPaging(t *testing.T) {
	svc := serve(t, exportBook(t), me)
	call := func() *gcal.EventsListCall {
		return svc.Events.List("primary").SingleEvents(true).OrderBy("startTime").TimeMin("2026-11-01T00:00:00Z").TimeMax("2027-01-01T00:00:00Z")
	}
	all, err := call().Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) < 10 {
		t.Fatalf("only %d items", len(all.Items))
	}
	var paged []string
	token, pages := "", 0
	for {
		res, err := call().MaxResults(3).PageToken(token).Do()
		if err != nil {
			t.Fatal(err)
		}
		pages++
		paged = append(paged, briefs(res.Items)...)
		if res.NextPageToken == "" {
			if res.NextSyncToken == "" {
				t.Error("last page has no nextSyncToken")
			}
			break
		}
		if res.NextSyncToken != "" || len(res.Items) != 3 {
			t.Errorf("page %d: %d items, sync token %q", pages, len(res.Items), res.NextSyncToken)
		}
		token = res.NextPageToken
	}
	if !slices.Equal(paged, briefs(all.Items)) || pages != (len(all.Items)+2)/3 {
		t.Errorf("%d pages gave\n%q\nwant\n%q", pages, paged, briefs(all.Items))
	}
	// The client's Pages helper follows the tokens too.
	n := 0
	if err := call().MaxResults(4).Pages(context.Background(), func(e *gcal.Events) error { n += len(e.Items); return nil }); err != nil || n != len(all.Items) {
		t.Errorf("Pages: %d items, %v", n, err)
	}
}

func TestEventsListQuery(t *testing.T) {
	svc := serve(t, exportBook(t), me)
	for q, want := range map[string][]string{
		"budget":            {"Budget review"},
		"LISBON":            {"Web Summit"},
		"priya.shah":        {"Standup"},       // an attendee's address
		"tom becker":        {"Budget review"}, // the organizer's name, word by word
		"blockers":          {"Standup"},       // the description
		"new york call":     {"Call with the New York office"},
		"nothing-like-this": nil,
	} {
		res, err := svc.Events.List("primary").Q(q).Do()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range res.Items {
			got = append(got, e.Summary)
		}
		if !slices.Equal(got, want) {
			t.Errorf("q=%q: got %q, want %q", q, got, want)
		}
	}
}

func TestEventsListTimeZone(t *testing.T) {
	svc := serve(t, exportBook(t), me)
	res, err := svc.Events.List("primary").SingleEvents(true).OrderBy("startTime").TimeZone("America/New_York").
		TimeMin("2026-11-30T09:00:00Z").TimeMax("2026-11-30T10:00:00Z").Do()
	if err != nil {
		t.Fatal(err)
	}
	// London's all-day 30 November overlaps the window too.
	if res.TimeZone != "America/New_York" || len(res.Items) != 2 || res.Items[0].Start.Date != "2026-11-30" {
		t.Fatalf("%s %q", res.TimeZone, briefs(res.Items))
	}
	e := res.Items[1]
	if e.Start.DateTime != "2026-11-30T04:30:00-05:00" || e.Start.TimeZone != "Europe/London" || e.OriginalStartTime.DateTime != "2026-11-30T04:30:00-05:00" {
		t.Errorf("start %+v original %+v", e.Start, e.OriginalStartTime)
	}
}

func TestEventsGet(t *testing.T) {
	b := exportBook(t)
	svc := serve(t, b, me)
	master := eventID("uid", "standup-7f3a@google.com")
	e, err := svc.Events.Get("primary", master).Do()
	if err != nil {
		t.Fatal(err)
	}
	if e.Id != master || len(e.Recurrence) != 2 || e.Start.DateTime != "2026-11-02T09:30:00Z" {
		t.Errorf("series %+v", e)
	}
	e, err = svc.Events.Get(me, master+"_20261130T093000Z").TimeZone("Europe/Berlin").Do()
	if err != nil {
		t.Fatal(err)
	}
	if e.RecurringEventId != master || e.Start.DateTime != "2026-11-30T10:30:00+01:00" || e.Summary != "Standup" {
		t.Errorf("instance %+v", e)
	}
	if e, err = svc.Events.Get(me, master+"_20261127T093000Z").Do(); err != nil || e.Summary != "Standup (late)" {
		t.Errorf("override: %v %+v", err, e)
	}
	if e, err = svc.Events.Get(me, master+"_20261201T093000Z").Do(); err != nil || e.Status != "cancelled" {
		t.Errorf("cancelled instance: %v %+v", err, e)
	}
	for _, id := range []string{
		master + "_20261130T100000Z", // not an occurrence
		master + "_20261125T093000Z", // excluded by EXDATE
		master + "_garbage",
		"nosuchevent",
	} {
		_, err := svc.Events.Get(me, id).Do()
		wantAPIError(t, err, 404, "notFound")
	}
	bday := eventID("uid", "bday-22c1@google.com")
	if e, err = svc.Events.Get(me, bday+"_20301130").Do(); err != nil || e.Start.Date != "2030-11-30" {
		t.Errorf("all-day instance: %v %+v", err, e)
	}
}

func TestEventsInstances(t *testing.T) {
	svc := serve(t, exportBook(t), me)
	master := eventID("uid", "standup-7f3a@google.com")
	res, err := svc.Events.Instances("primary", master).TimeMin("2026-11-24T00:00:00Z").TimeMax("2026-11-28T00:00:00Z").Do()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-11-24T09:30:00Z Standup", "2026-11-26T09:30:00Z Standup", "2026-11-27T11:00:00Z Standup (late)"}
	if got := briefs(res.Items); !slices.Equal(got, want) {
		t.Errorf("instances %q", got)
	}
	_, err = svc.Events.Instances("primary", "nosuchevent").Do()
	wantAPIError(t, err, 404, "notFound")
}

func TestSyncTokens(t *testing.T) {
	b := exportBook(t)
	svc := serve(t, b, me)
	full, err := svc.Events.List("primary").Do()
	if err != nil {
		t.Fatal(err)
	}
	token := full.NextSyncToken
	res, err := svc.Events.List("primary").SyncToken(token).Do()
	if err != nil || len(res.Items) != 0 || res.NextSyncToken != token {
		t.Fatalf("no changes: %v %q %q", err, briefs(res.Items), res.NextSyncToken)
	}
	more := vcal("", vevent("UID:later", "SUMMARY:Added later", "DTSTART:20261210T100000Z", "DTEND:20261210T110000Z"),
		vevent("UID:standup-7f3a@google.com", "RECURRENCE-ID;TZID=Europe/London:20261203T093000", "SEQUENCE:2", "STATUS:CANCELLED", "DTSTART;TZID=Europe/London:20261203T093000"))
	if err := b.LoadICS(me, "more.ics", []byte(more)); err != nil {
		t.Fatal(err)
	}
	res, err = svc.Events.List("primary").SyncToken(token).Do()
	if err != nil {
		t.Fatal(err)
	}
	if got := briefs(res.Items); !slices.Equal(got, []string{"2026-12-03T09:30:00Z  [cancelled]", "2026-12-10T10:00:00Z Added later"}) || res.NextSyncToken == token {
		t.Errorf("changes %q", got)
	}

	_, err = svc.Events.List("primary").SyncToken(token).TimeMin("2026-11-01T00:00:00Z").Do()
	wantAPIError(t, err, 400, "invalid")
	other := serve(t, exportBook(t), me)
	_, err = other.Events.List("primary").SyncToken(token).Do()
	wantAPIError(t, err, 410, "fullSyncRequired")
	_, err = svc.Events.List("primary").SyncToken("garbage").Do()
	wantAPIError(t, err, 410, "fullSyncRequired")
}

func TestFreeBusy(t *testing.T) {
	b := exportBook(t)
	const peer = "tom.becker@example.com"
	b.AddAccount(peer, "Tom Becker")
	peerCal := vcal("",
		vevent("UID:p1", "DTSTART:20261130T100000Z", "DTEND:20261130T110000Z"),
		vevent("UID:p2", "DTSTART:20261130T103000Z", "DTEND:20261130T120000Z"),
		vevent("UID:p3", "DTSTART:20261130T120000Z", "DTEND:20261130T130000Z"), // touches p2
		vevent("UID:p4", "DTSTART:20261130T140000Z", "DTEND:20261130T150000Z", "TRANSP:TRANSPARENT"),
		vevent("UID:p5", "DTSTART:20261130T150000Z", "DTEND:20261130T160000Z", "STATUS:CANCELLED"),
		vevent("UID:p6", "DTSTART:20261130T230000Z", "DTEND:20261201T010000Z"), // clipped by timeMax
	)
	if err := b.LoadICS(peer, "peer.ics", []byte(peerCal)); err != nil {
		t.Fatal(err)
	}
	svc := serve(t, b, me)
	res, err := svc.Freebusy.Query(&gcal.FreeBusyRequest{
		TimeMin: "2026-11-30T00:00:00Z", TimeMax: "2026-12-01T00:00:00Z",
		Items: []*gcal.FreeBusyRequestItem{{Id: "primary"}, {Id: peer}, {Id: "nobody@example.com"}},
	}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != "calendar#freeBusy" || res.TimeMin != "2026-11-30T00:00:00.000Z" || res.TimeMax != "2026-12-01T00:00:00.000Z" {
		t.Errorf("envelope %+v", res)
	}
	periods := func(id string) []string {
		var out []string
		for _, p := range res.Calendars[id].Busy {
			out = append(out, p.Start+"/"+p.End)
		}
		return out
	}
	// Mine: the standup, and the New York call; not the transparent
	// birthday or the declined budget review.
	if got := periods("primary"); !slices.Equal(got, []string{"2026-11-30T09:30:00Z/2026-11-30T09:45:00Z", "2026-11-30T15:00:00Z/2026-11-30T16:00:00Z"}) {
		t.Errorf("primary busy %q", got)
	}
	if got := periods(peer); !slices.Equal(got, []string{"2026-11-30T10:00:00Z/2026-11-30T13:00:00Z", "2026-11-30T23:00:00Z/2026-12-01T00:00:00Z"}) {
		t.Errorf("peer busy %q", got)
	}
	if nf := res.Calendars["nobody@example.com"]; len(nf.Errors) != 1 || nf.Errors[0].Reason != "notFound" || nf.Errors[0].Domain != "global" || len(nf.Busy) != 0 {
		t.Errorf("unknown calendar %+v", nf)
	}

	res, err = svc.Freebusy.Query(&gcal.FreeBusyRequest{
		TimeMin: "2026-11-30T00:00:00Z", TimeMax: "2026-12-01T00:00:00Z", TimeZone: "Europe/Berlin",
		Items: []*gcal.FreeBusyRequestItem{{Id: peer}},
	}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Calendars[peer].Busy[0]; got.Start != "2026-11-30T11:00:00+01:00" {
		t.Errorf("in Berlin %+v", got)
	}
	_, err = svc.Freebusy.Query(&gcal.FreeBusyRequest{TimeMin: "2026-12-01T00:00:00Z", TimeMax: "2026-11-30T00:00:00Z"}).Do()
	wantAPIError(t, err, 400, "timeRangeEmpty")
	_, err = svc.Freebusy.Query(&gcal.FreeBusyRequest{TimeMax: "2026-11-30T00:00:00Z"}).Do()
	wantAPIError(t, err, 400, "required")
}

func TestMergeSpans(t *testing.T) {
	at := func(h int) string {
		return "2026-11-30T" + [...]string{"08", "09", "10", "11", "12", "13", "14"}[h-8] + ":00:00Z"
	}
	sp := func(a, b int) span { return span{mustTime(t, at(a)), mustTime(t, at(b))} }
	tests := []struct {
		name string
		in   []span
		want []span
	}{
		{"empty", nil, nil},
		{"disjoint, unsorted", []span{sp(12, 13), sp(8, 9)}, []span{sp(8, 9), sp(12, 13)}},
		{"overlapping", []span{sp(8, 10), sp(9, 11)}, []span{sp(8, 11)}},
		{"touching", []span{sp(8, 9), sp(9, 10)}, []span{sp(8, 10)}},
		{"contained", []span{sp(8, 14), sp(9, 10), sp(11, 12)}, []span{sp(8, 14)}},
		{"empty spans dropped", []span{sp(9, 9), sp(10, 11)}, []span{sp(10, 11)}},
		{"chain", []span{sp(10, 12), sp(8, 9), sp(9, 10), sp(13, 14)}, []span{sp(8, 12), sp(13, 14)}},
	}
	for _, tt := range tests {
		got := mergeSpans(tt.in)
		if !slices.EqualFunc(got, tt.want, func(a, b span) bool { return a.start.Equal(b.start) && a.end.Equal(b.end) }) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRoutes(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"GET", "/calendar/v3/users/me/calendarList", "calendar.calendarList.list"},
		{"GET", "/calendar/v3/users/me/calendarList/primary", "calendar.calendarList.get"},
		{"GET", "/calendar/v3/calendars/me%40example.com", "calendar.calendars.get"},
		{"GET", "/calendar/v3/calendars/primary/events", "calendar.events.list"},
		{"GET", "/calendar/v3/calendars/primary/events/abc_20261130T090000Z", "calendar.events.get"},
		{"GET", "/calendar/v3/calendars/primary/events/abc/instances", "calendar.events.instances"},
		{"POST", "/calendar/v3/freeBusy", "calendar.freebusy.query"},
		{"POST", "/calendar/v3/calendars/primary/events", ""},
		{"GET", "/calendar/v3/freeBusy", ""},
		{"GET", "/gmail/v1/users/me/profile", ""},
		{"GET", "/calendar/v3/calendars//events", ""},
		{"GET", "/calendar/v3/calendars/primary/events/", ""},
	}
	for _, tt := range tests {
		if got := MethodName(httptest.NewRequest(tt.method, tt.path, nil)); got != tt.want {
			t.Errorf("%s %s: %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestEscapedPathsAndLogin(t *testing.T) {
	b := exportBook(t)
	for _, tt := range []struct {
		path, account string
		code          int
	}{
		{"/calendar/v3/calendars/me%40example.com/events", me, 200},
		{"/calendar/v3/calendars/ME%40EXAMPLE.COM/events", me, 200},
		{"/calendar/v3/calendars/me%2540example.com/events", me, 404}, // decoded once only
		{"/calendar/v3/calendars/primary/events/a%2Fb", me, 404},
		{"/calendar/v3/calendars/primary/events", "", 401},
		{"/calendar/v3/nothing", me, 404},
	} {
		r := httptest.NewRequest("GET", tt.path, nil)
		if tt.account != "" {
			r = r.WithContext(WithAccount(r.Context(), tt.account))
		}
		w := httptest.NewRecorder()
		b.ServeHTTP(w, r)
		if w.Code != tt.code || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			t.Errorf("%s as %q: %d %s", tt.path, tt.account, w.Code, w.Header().Get("Content-Type"))
		}
	}
}
