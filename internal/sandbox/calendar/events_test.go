package calendar

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	gcal "google.golang.org/api/calendar/v3"
	"google.golang.org/api/googleapi"
)

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
		if e.Summary == "Budget review" && (e.Start.TimeZone != "UTC" || e.Organizer.Self || e.Attendees[1].ResponseStatus != "declined" || !e.Attendees[1].Self) {
			t.Errorf("budget review %+v", e)
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
