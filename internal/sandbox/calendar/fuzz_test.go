package calendar

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzLoadICS feeds arbitrary bytes to LoadICS: it must return an error
// naming the file or load something that every read path can serve.
func FuzzLoadICS(f *testing.F) {
	for _, name := range []string{"google-export.ics", "outlook-invite.ics", "custom-vtimezone.ics", "malformed/truncated.ics", "malformed/bad-date.ics"} {
		data, err := os.ReadFile(filepath.Join(fixtures, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(vcal("", vevent("UID:s", "DTSTART;VALUE=DATE:20261130", "RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", "EXDATE;VALUE=DATE:20261225"))))
	f.Add([]byte(vcal("", vevent("UID:p", "DTSTART:20261130T090000", "DURATION:P1DT2H", "RDATE;VALUE=PERIOD:20261201T090000Z/PT1H"))))
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;TZID=\"a:b\":20261130T090000\r\nEND:VEVENT\r\nEND:VCALENDAR"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := NewBook(func() time.Time { return fixedNow })
		if err := b.LoadICS(me, "fuzz.ics", data); err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.ics: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		c := b.lookup(me)
		c.collect(&listQuery{single: true, from: fixedNow.AddDate(-1, 0, 0), to: fixedNow.AddDate(1, 0, 0), showDeleted: true})
		c.busy(fixedNow, fixedNow.AddDate(0, 0, 7))
		for _, path := range []string{"/calendar/v3/calendars/primary/events", "/calendar/v3/calendars/primary/events?singleEvents=true&maxResults=5"} {
			r := httptest.NewRequest("GET", path, nil)
			w := httptest.NewRecorder()
			b.ServeHTTP(w, r.WithContext(WithAccount(r.Context(), me)))
			if w.Code != 200 {
				t.Fatalf("%s: %d %s", path, w.Code, w.Body)
			}
		}
	})
}
