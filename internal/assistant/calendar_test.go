package assistant_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/assistant"
	"github.com/jarvis-hq/jarvis/internal/sandbox/model"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// atClock rebuilds f's assistant on a fixed clock.
func atClock(t *testing.T, f *fixture, now time.Time) {
	t.Helper()
	var err error
	f.svc, err = assistant.New(assistant.Config{Model: f.provider, Store: f.db, Mail: f.google, Calendar: f.google, Actions: f.queue,
		Clock: jarvis.ClockFunc(func() time.Time { return now })})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTomorrowIsACalendarDayInTheUsersZone: late on Saturday in Los
// Angeles it is already Sunday in UTC. "Tomorrow" is Sunday there: the
// events of Sunday 00:00–24:00 Pacific, not those of Saturday evening
// (Sunday in UTC), nor Monday's.
func TestTomorrowIsACalendarDayInTheUsersZone(t *testing.T) {
	f := newFixture(t, sqldb.SQLite, assistant.Limits{}, "")
	f.google.zone = "America/Los_Angeles"
	ev := func(summary, start string) jarvis.Event {
		st, _ := time.Parse(time.RFC3339, start)
		return jarvis.Event{ID: strings.ToLower(strings.ReplaceAll(summary, " ", "")), Summary: summary, Start: start,
			End: st.Add(time.Hour).Format(time.RFC3339), TimeZone: "America/Los_Angeles"}
	}
	f.google.calendar = []jarvis.Event{
		ev("Saturday dinner", "2026-12-06T02:00:00Z"),  // Sat 18:00 PST
		ev("Sunday brunch", "2026-12-06T19:00:00Z"),    // Sun 11:00 PST
		ev("Sunday late call", "2026-12-07T06:00:00Z"), // Sun 22:00 PST, Monday in UTC
		ev("Monday standup", "2026-12-07T17:00:00Z"),   // Mon 09:00 PST
	}
	atClock(t, f, time.Date(2026, 12, 5, 23, 30, 0, 0, time.UTC)) // Sat 15:30 PST
	if err := f.svc.Send(context.Background(), f.user.ID, "", "What's on my calendar tomorrow?", f.emit); err != nil {
		t.Fatal(err)
	}
	reqs := f.model.Requests()
	if !strings.Contains(reqs[0].System, "The user's time zone is America/Los_Angeles, where it is Saturday, 5 December 2026, 15:30") {
		t.Errorf("system prompt:\n%s", reqs[0].System)
	}
	call := reqs[1].Messages[1].ToolCalls[0]
	var args map[string]any
	_ = json.Unmarshal([]byte(call.Arguments), &args)
	if call.Name != "list_upcoming_events" || args["date"] != "2026-12-06" || args["days"] != 1.0 {
		t.Fatalf("call %s %s", call.Name, call.Arguments)
	}
	want := jarvis.Interval{Start: time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)}
	if len(f.google.windows) != 1 || !f.google.windows[0].Start.Equal(want.Start) || !f.google.windows[0].End.Equal(want.End) {
		t.Fatalf("window %v, want %v", f.google.windows, want)
	}
	res := reqs[1].Messages[2].ToolResults[0].Content
	if !strings.Contains(res, `"time_zone":"America/Los_Angeles"`) || strings.Contains(res, "Saturday dinner") || strings.Contains(res, "Monday standup") {
		t.Fatalf("result %s", res)
	}
	answer := f.only(t).Messages[1].Text
	for _, w := range []string{"2 events on Sun 6 Dec", "“Sunday brunch” at Sun 6 Dec 11:00 PST", "“Sunday late call” at Sun 6 Dec 22:00 PST"} {
		if !strings.Contains(answer, w) {
			t.Errorf("answer %q lacks %q", answer, w)
		}
	}
}

// TestEventWindows: list_upcoming_events takes start and end, and refuses
// a mix of window kinds.
func TestEventWindows(t *testing.T) {
	f := newFixture(t, sqldb.SQLite, assistant.Limits{}, "")
	atClock(t, f, time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC))
	f.model.Script(model.Turn{ToolCalls: []model.ToolCall{
		{Name: "list_upcoming_events", Arguments: `{"start":"2026-12-07T09:00:00+01:00","end":"2026-12-07T18:00:00+01:00"}`},
		{Name: "list_upcoming_events", Arguments: `{"start":"2026-12-07T09:00:00Z","date":"2026-12-07","end":"2026-12-08T00:00:00Z"}`},
		{Name: "list_upcoming_events", Arguments: `{"start":"2026-12-07T09:00:00Z","end":"2026-12-07T08:00:00Z"}`},
		{Name: "list_upcoming_events", Arguments: `{"date":"7 Dec"}`},
	}}, model.Turn{Text: "Done."})
	if err := f.svc.Send(context.Background(), f.user.ID, "", "Monday's working day", f.emit); err != nil {
		t.Fatal(err)
	}
	if len(f.google.windows) != 1 || !f.google.windows[0].Start.Equal(time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)) || f.google.windows[0].End.Sub(f.google.windows[0].Start) != 9*time.Hour {
		t.Fatalf("windows %v", f.google.windows)
	}
	calls := f.only(t).Messages[1].ToolCalls
	for i, c := range calls[1:] {
		if c.OK {
			t.Errorf("call %d was accepted: %+v", i+2, c)
		}
	}
}
