package calendar

import (
	"slices"
	"testing"

	gcal "google.golang.org/api/calendar/v3"
)

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
