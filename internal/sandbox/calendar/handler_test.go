package calendar

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
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

func TestRoutes(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"GET", "/calendar/v3/users/me/calendarList", "calendar.calendarList.list"},
		{"GET", "/calendar/v3/users/me/calendarList/primary", "calendar.calendarList.get"},
		{"GET", "/calendar/v3/calendars/me%40example.com", "calendar.calendars.get"},
		{"GET", "/calendar/v3/calendars/primary/events", "calendar.events.list"},
		{"GET", "/calendar/v3/calendars/primary/events/abc_20261130T090000Z", "calendar.events.get"},
		{"GET", "/calendar/v3/calendars/primary/events/abc/instances", "calendar.events.instances"},
		{"POST", "/calendar/v3/freeBusy", "calendar.freebusy.query"},
		{"POST", "/calendar/v3/calendars/primary/events", "calendar.events.insert"},
		{"PUT", "/calendar/v3/calendars/primary/events/abc", "calendar.events.update"},
		{"PATCH", "/calendar/v3/calendars/primary/events/abc_20261130T090000Z", "calendar.events.patch"},
		{"DELETE", "/calendar/v3/calendars/primary/events/abc", "calendar.events.delete"},
		{"DELETE", "/calendar/v3/calendars/primary/events", ""},
		{"POST", "/calendar/v3/calendars/primary/events/abc", ""},
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

func TestConcurrentReadsAndLoads(t *testing.T) {
	b := exportBook(t)
	svc := serve(t, b, me)
	done := make(chan error, 4)
	for i := range 4 {
		go func() {
			for j := range 10 {
				var err error
				switch i {
				case 0:
					err = b.LoadICS(me, "more.ics", []byte(vcal("", vevent("UID:c"+string(rune('a'+j)), "DTSTART:20261201T090000Z"))))
				case 1:
					b.AddDemo(me, nil)
				case 2:
					_, err = svc.Events.List("primary").SingleEvents(true).Do()
				default:
					_, err = svc.Freebusy.Query(&gcal.FreeBusyRequest{TimeMin: "2026-11-26T00:00:00Z", TimeMax: "2026-12-10T00:00:00Z",
						Items: []*gcal.FreeBusyRequestItem{{Id: "primary"}}}).Do()
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
