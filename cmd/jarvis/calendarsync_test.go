package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/calendar/v3"
	"google.golang.org/api/option"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/google"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// fullCalendar returns a Calendar client acting as the sandbox user with
// full access, for a test to change the calendar as the user would in
// Google Calendar itself.
func fullCalendar(t testing.TB, base, email string) *calendar.Service {
	t.Helper()
	ctx := context.Background()
	conf, tok := sandboxGrant(t, base, email, calendar.CalendarScope)
	svc, err := calendar.NewService(ctx, option.WithEndpoint(base+"/calendar/v3/"), option.WithTokenSource(conf.TokenSource(ctx, tok)))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// calendarView is a calendar's events in a window as the index must hold
// them: each id with the event as Jarvis serves it.
type calendarView map[string]string

func (v calendarView) String() string {
	var b strings.Builder
	for _, id := range slices.Sorted(maps.Keys(v)) {
		fmt.Fprintf(&b, "%s %s\n", id, v[id])
	}
	return b.String()
}

// googleCalendarView lists the window at the sandbox as events.list does
// (singleEvents, timeMin/timeMax), through the official client.
func googleCalendarView(t testing.TB, svc *calendar.Service, start, end time.Time) calendarView {
	t.Helper()
	v := calendarView{}
	err := svc.Events.List("primary").SingleEvents(true).TimeMin(start.Format(time.RFC3339)).TimeMax(end.Format(time.RFC3339)).
		MaxResults(2500).Pages(context.Background(), func(l *calendar.Events) error {
		tz := l.TimeZone
		if tz == "" {
			tz = "UTC"
		}
		for _, it := range l.Items {
			if it.Status == "cancelled" {
				continue
			}
			b, _ := json.Marshal(google.DecodeEvent(it, tz))
			v[it.Id] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// indexCalendarView reads the same window from the index.
func indexCalendarView(t testing.TB, x *sqldb.MailIndex, accountID string, start, end time.Time) calendarView {
	t.Helper()
	events, err := x.Events(context.Background(), accountID, start.UnixMilli(), end.UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	v := calendarView{}
	for _, ev := range events {
		b, _ := json.Marshal(ev)
		v[ev.ID] = string(b)
	}
	return v
}

// calendarMatches reports whether the account's indexed window equals the
// sandbox's, and the two views.
func calendarMatches(t testing.TB, x *sqldb.MailIndex, accountID string, svc *calendar.Service) (bool, calendarView, calendarView) {
	t.Helper()
	st, err := x.State(context.Background(), accountID)
	if err != nil {
		t.Fatal(err)
	}
	if st.CalendarSyncToken == "" {
		return false, nil, nil
	}
	got := indexCalendarView(t, x, accountID, st.CalendarWindowStart, st.CalendarWindowEnd)
	want := googleCalendarView(t, svc, st.CalendarWindowStart, st.CalendarWindowEnd)
	return got.String() == want.String(), got, want
}

func assertIndexEqualsCalendar(t testing.TB, x *sqldb.MailIndex, accountID string, svc *calendar.Service) {
	t.Helper()
	if ok, got, want := calendarMatches(t, x, accountID, svc); !ok {
		t.Fatalf("index differs from the calendar:\nindex:\n%s\ncalendar:\n%s", got, want)
	}
}

// calendarEngine returns an engine over the test Jarvis's index and Google.
func calendarEngine(e *testEnv) (*mailsync.Engine, *sqldb.MailIndex) {
	x := sqldb.NewMailIndex(e.Main.DB)
	return mailsync.New(mailsync.Config{Store: x, Google: e.Main.Google, Decode: google.IndexMessage, DecodeEvent: google.DecodeEvent,
		Logger: e.Main.Logger}), x
}

func timed(t time.Time) *calendar.EventDateTime {
	return &calendar.EventDateTime{DateTime: t.UTC().Format(time.RFC3339)}
}

// pushEnv starts a Jarvis in push mode whose polls are too rare to matter:
// what reaches the index within a test came by a push.
func pushEnv(t *testing.T, d sqldb.Dialect) *testEnv {
	return startEnv(t, envOptions{dialect: d, configure: func(c *config.Config) {
		c.GmailPush, c.PubSubTopic, c.PubSubServiceAccount = "push", sandbox.DefaultPushTopic, sandbox.DefaultPushAccount
		c.PollInterval = time.Hour
	}})
}

// In push mode a connected account's calendar is synced at once (one
// listing) and watched by one channel; an event created, edited, moved out of the window
// or cancelled at Google reaches the index through the channel's
// notification and a calendar sync job — no poll, no request.
func TestCalendarChangesReachTheIndexByChannel(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := pushEnv(t, d)
		const ada = "ada@example.com"
		account := e.accountOf(ada)
		x := e.Main.Index
		user := fullCalendar(t, e.Sandbox.URL, ada)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("state: %+v\nlogs:\n%s", e.syncState(account), e.Logs.String())
			}
		})
		waitFor(t, "the first calendar sync and the channel", func() bool {
			st := e.syncState(account)
			return !st.CalendarSyncedAt.IsZero() && st.CalendarChannelID != "" && st.CalendarChannelExpiry.After(time.Now())
		})
		st := e.syncState(account)
		if len(st.CalendarChannelTokenSHA256) != 64 || st.CalendarResourceID == "" {
			t.Fatalf("channel recorded as %+v", st)
		}
		// The first sync is one listing of the window and one channel.
		if stats := e.Sandbox.Google.Stats(); stats["calendar.events.list"] != 1 || stats["calendar.events.watch"] != 1 || stats["calendar.channels.stop"] != 0 {
			t.Fatalf("calls of the first calendar sync: %v", stats)
		}
		if start, end := mailsync.CalendarWindow(time.Now()); !st.CalendarWindowStart.Equal(start) || !st.CalendarWindowEnd.Equal(end) {
			t.Fatalf("window %s–%s, want %s–%s", st.CalendarWindowStart, st.CalendarWindowEnd, start, end)
		}
		assertIndexEqualsCalendar(t, x, account, user)
		if n, _ := x.Events(context.Background(), account, st.CalendarWindowStart.UnixMilli(), st.CalendarWindowEnd.UnixMilli()); len(n) == 0 {
			t.Fatal("the demo calendar indexed no event")
		}

		reached := func(what string) {
			t.Helper()
			waitFor(t, what+" in the index", func() bool { ok, _, _ := calendarMatches(t, x, account, user); return ok })
		}
		soon := time.Now().Add(2 * time.Hour).Truncate(time.Minute)
		ev, err := user.Events.Insert("primary", &calendar.Event{Summary: "Pushed along", Location: "Room 1",
			Start: timed(soon), End: timed(soon.Add(time.Hour))}).Do()
		if err != nil {
			t.Fatal(err)
		}
		reached("the new event")
		if got := indexCalendarView(t, x, account, soon, soon.Add(time.Hour)); !strings.Contains(got[ev.Id], "Pushed along") {
			t.Fatalf("new event indexed as %q", got[ev.Id])
		}
		if st := e.syncState(account); st.CalendarPushAt.IsZero() || st.CalendarPushes == 0 || st.CalendarSyncedPushes == 0 {
			t.Fatalf("no push recorded: %+v", st)
		}

		if _, err := user.Events.Patch("primary", ev.Id, &calendar.Event{Summary: "Pushed and renamed",
			Start: timed(soon.Add(time.Hour)), End: timed(soon.Add(2 * time.Hour))}).Do(); err != nil {
			t.Fatal(err)
		}
		reached("the edit")
		// Moved beyond the window: it leaves the index.
		far := st.CalendarWindowEnd.Add(24 * time.Hour)
		if _, err := user.Events.Patch("primary", ev.Id, &calendar.Event{Start: timed(far), End: timed(far.Add(time.Hour))}).Do(); err != nil {
			t.Fatal(err)
		}
		reached("the move out of the window")
		if _, err := user.Events.Patch("primary", ev.Id, &calendar.Event{Start: timed(soon), End: timed(soon.Add(time.Hour))}).Do(); err != nil {
			t.Fatal(err)
		}
		reached("the move back")
		if err := user.Events.Delete("primary", ev.Id).Do(); err != nil {
			t.Fatal(err)
		}
		reached("the cancellation")
		if got := indexCalendarView(t, x, account, st.CalendarWindowStart, st.CalendarWindowEnd); got[ev.Id] != "" {
			t.Fatalf("cancelled event still indexed: %s", got[ev.Id])
		}

		// The sync status shows the calendar's.
		var status struct {
			Calendar struct {
				Synced        bool       `json:"synced"`
				WindowStart   time.Time  `json:"window_start"`
				LastPushAt    *time.Time `json:"last_push"`
				LastSuccessAt *time.Time `json:"last_success"`
				ChannelExpiry *time.Time `json:"channel_expiry"`
			} `json:"calendar"`
		}
		e.json("GET", "/accounts/"+account+"/sync", e.signIn(ada), nil, 200, &status)
		if c := status.Calendar; !c.Synced || !c.WindowStart.Equal(st.CalendarWindowStart) || c.LastPushAt == nil || c.LastSuccessAt == nil ||
			c.ChannelExpiry == nil || !c.ChannelExpiry.After(time.Now()) {
			t.Fatalf("calendar status %+v", c)
		}
	})
}

// A notification with a wrong or missing channel token, or for a channel
// Jarvis has not open, is refused and records nothing.
func TestCalendarChannelTokenChecked(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := pushEnv(t, d)
		const ada = "ada@example.com"
		account := e.synced(ada)
		waitFor(t, "the channel", func() bool { return e.syncState(account).CalendarChannelID != "" })
		before := e.syncState(account)
		jobs := func() int {
			var n int
			if err := e.Main.DB.SQL().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM river_job WHERE kind = 'calendar_sync'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		jobsBefore := jobs()
		const path = "/webhooks/google/calendar"
		headers := func(id, token string) []string {
			h := []string{"X-Goog-Channel-ID", id, "X-Goog-Resource-ID", before.CalendarResourceID, "X-Goog-Resource-State", "exists",
				"X-Goog-Message-Number", "7"}
			if token != "" {
				h = append(h, "X-Goog-Channel-Token", token)
			}
			return h
		}
		e.problem(http.MethodPost, path, "", nil, 401, "unauthorized", headers(before.CalendarChannelID, "")...)
		e.problem(http.MethodPost, path, "", nil, 403, "forbidden", headers(before.CalendarChannelID, "not-the-token")...)
		e.problem(http.MethodPost, path, "", nil, 403, "forbidden", headers("jarvis-unknown", "not-the-token")...)
		// The stored hash is not the token either.
		e.problem(http.MethodPost, path, "", nil, 403, "forbidden", headers(before.CalendarChannelID, before.CalendarChannelTokenSHA256)...)
		after := e.syncState(account)
		if after.CalendarPushes != before.CalendarPushes || !after.CalendarPushAt.Equal(before.CalendarPushAt) || jobs() != jobsBefore {
			t.Fatalf("a refused notification changed something: %+v, jobs %d → %d", after, jobsBefore, jobs())
		}
		if strings.Contains(e.Logs.String(), "not-the-token") {
			t.Fatal("a channel token reached the log")
		}
	})
}

// When Google refuses the sync token (410 Gone), the next sync lists the
// window afresh and the index equals the calendar again: the changes made
// meanwhile are in, nothing is lost.
func TestCalendarSyncTokenExpiredResyncs(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		e := startEnv(t, envOptions{dialect: d})
		const ada = "ada@example.com"
		account := e.synced(ada)
		engine, x := calendarEngine(e)
		user := fullCalendar(t, e.Sandbox.URL, ada)
		assertIndexEqualsCalendar(t, x, account, user)
		before := e.syncState(account)

		soon := time.Now().Add(3 * time.Hour).Truncate(time.Minute)
		added, err := user.Events.Insert("primary", &calendar.Event{Summary: "After the token", Start: timed(soon), End: timed(soon.Add(time.Hour))}).Do()
		if err != nil {
			t.Fatal(err)
		}
		list, err := user.Events.List("primary").SingleEvents(true).TimeMin(time.Now().Format(time.RFC3339)).MaxResults(5).Do()
		if err != nil || len(list.Items) < 2 {
			t.Fatalf("list: %v", err)
		}
		var cancelled string
		for _, it := range list.Items {
			if it.Id != added.Id && it.RecurringEventId == "" {
				cancelled = it.Id
				break
			}
		}
		if cancelled != "" {
			if err := user.Events.Delete("primary", cancelled).Do(); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.Sandbox.Google.InvalidateSyncTokens(ada); err != nil {
			t.Fatal(err)
		}
		if err := engine.SyncCalendar(ctx, account); err != nil {
			t.Fatal(err)
		}
		after := e.syncState(account)
		if after.CalendarSyncToken == before.CalendarSyncToken || !strings.Contains(e.Logs.String(), "calendar sync token expired") {
			t.Fatalf("no full sync after the 410: %+v", after)
		}
		assertIndexEqualsCalendar(t, x, account, user)
		got := indexCalendarView(t, x, account, after.CalendarWindowStart, after.CalendarWindowEnd)
		if got[added.Id] == "" || cancelled != "" && got[cancelled] != "" {
			t.Fatalf("after the resync: added %q, cancelled %q", got[added.Id], got[cancelled])
		}
		// And the increments go on from the new token.
		if err := user.Events.Delete("primary", added.Id).Do(); err != nil {
			t.Fatal(err)
		}
		if err := engine.SyncCalendar(ctx, account); err != nil {
			t.Fatal(err)
		}
		assertIndexEqualsCalendar(t, x, account, user)
	})
}

// A recurring event is indexed as its instances in the window; an instance
// moved or cancelled, the series' rule shortened, and the series deleted,
// each leave the index equal to the calendar.
func TestCalendarRecurringInstancesInTheWindow(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		e := startEnv(t, envOptions{dialect: d})
		const ada = "ada@example.com"
		account := e.synced(ada)
		engine, x := calendarEngine(e)
		user := fullCalendar(t, e.Sandbox.URL, ada)
		sync := func() {
			t.Helper()
			if err := engine.SyncCalendar(ctx, account); err != nil {
				t.Fatal(err)
			}
			assertIndexEqualsCalendar(t, x, account, user)
		}
		st := e.syncState(account)
		instancesOf := func(series string) []string {
			var out []string
			for id := range indexCalendarView(t, x, account, st.CalendarWindowStart, st.CalendarWindowEnd) {
				if strings.HasPrefix(id, series+"_") {
					out = append(out, id)
				}
			}
			slices.Sort(out)
			return out
		}
		// Weekly, for ever, begun 10 weeks ago: the instances from 30 days
		// back to a year ahead are indexed, none before or after.
		first := time.Now().UTC().Add(-70 * 24 * time.Hour).Truncate(time.Hour)
		series, err := user.Events.Insert("primary", &calendar.Event{Summary: "Weekly sync",
			Start:      &calendar.EventDateTime{DateTime: first.Format(time.RFC3339), TimeZone: "UTC"},
			End:        &calendar.EventDateTime{DateTime: first.Add(30 * time.Minute).Format(time.RFC3339), TimeZone: "UTC"},
			Recurrence: []string{"RRULE:FREQ=WEEKLY"}}).Do()
		if err != nil {
			t.Fatal(err)
		}
		sync()
		ids := instancesOf(series.Id)
		if len(ids) < 55 || len(ids) > 62 {
			t.Fatalf("%d instances of a weekly series in a 396-day window", len(ids))
		}

		// One instance moved, another cancelled.
		inst, err := user.Events.Instances("primary", series.Id).TimeMin(time.Now().Format(time.RFC3339)).MaxResults(3).Do()
		if err != nil || len(inst.Items) < 3 {
			t.Fatalf("instances: %v", err)
		}
		moved := inst.Items[1]
		ms, _ := time.Parse(time.RFC3339, moved.Start.DateTime)
		if _, err := user.Events.Patch("primary", moved.Id, &calendar.Event{Summary: "Weekly sync (moved)",
			Start: timed(ms.Add(2 * time.Hour)), End: timed(ms.Add(150 * time.Minute))}).Do(); err != nil {
			t.Fatal(err)
		}
		if err := user.Events.Delete("primary", inst.Items[2].Id).Do(); err != nil {
			t.Fatal(err)
		}
		sync()
		if got := instancesOf(series.Id); len(got) != len(ids)-1 || slices.Contains(got, inst.Items[2].Id) {
			t.Fatalf("after a cancelled instance: %d instances", len(got))
		}

		// The rule shortened to end next month: the later instances go,
		// though no increment names them.
		until := time.Now().UTC().AddDate(0, 1, 0).Format("20060102T150405Z")
		if _, err := user.Events.Patch("primary", series.Id, &calendar.Event{Recurrence: []string{"RRULE:FREQ=WEEKLY;UNTIL=" + until}}).Do(); err != nil {
			t.Fatal(err)
		}
		sync()
		if got := instancesOf(series.Id); len(got) >= len(ids)-1 || len(got) < 5 {
			t.Fatalf("after the rule was shortened: %d instances", len(got))
		}

		// The whole series deleted.
		if err := user.Events.Delete("primary", series.Id).Do(); err != nil {
			t.Fatal(err)
		}
		sync()
		if got := instancesOf(series.Id); len(got) != 0 {
			t.Fatalf("after the series was deleted: %v", got)
		}
	})
}

// upcomingBody is GET /calendar/upcoming's answer.
type upcomingBody struct {
	Account  *jarvis.AccountRef  `json:"account"`
	Accounts []jarvis.AccountRef `json:"accounts"`
	Events   []jarvis.Event      `json:"events"`
	Source   string              `json:"source"`
}

// calendarCalls counts the calls that reached the sandbox's Calendar (or
// its token endpoint).
func calendarCalls(e *testEnv) int64 {
	var n int64
	for k, v := range e.Sandbox.Google.Stats() {
		if strings.HasPrefix(k, "calendar.") || strings.HasPrefix(k, "token.") {
			n += v
		}
	}
	return n
}

// Once an account's calendar is synced, GET /calendar/upcoming is answered
// from the index with no call to Google, the same events (and order, and
// fields) as Google's answer, for one account and for account=all, and
// audited as a read; an account whose calendar is not synced is read from
// Google.
func TestUpcomingFromTheIndex(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		e := startEnv(t, envOptions{dialect: d, configure: func(c *config.Config) { c.PollInterval = time.Hour }})
		const ada = "ada@example.com"
		tok := e.signIn(ada)
		account := e.synced(ada)
		userID := e.me(tok).User.ID
		grace := e.connect(tok, "grace@example.com")
		waitFor(t, "grace's first calendar sync", func() bool { return !e.syncState(grace.ID).CalendarSyncedAt.IsZero() })
		e.synced(ada)

		// The index's answer and Google's, asked within one second (both
		// start from the current second, as Google is asked).
		compare := func(path, acct string, days, max int) upcomingBody {
			t.Helper()
			for {
				second := time.Now().Truncate(time.Second)
				e.Sandbox.Google.ResetStats()
				var got upcomingBody
				e.json("GET", path, tok, nil, 200, &got)
				if n := calendarCalls(e); n != 0 || got.Source != "index" {
					t.Fatalf("%s: source %q, %d calls to Google: %v", path, got.Source, n, e.Sandbox.Google.Stats())
				}
				live, err := e.Main.Google.Upcoming(ctx, userID, acct, days, max)
				if err != nil {
					t.Fatal(err)
				}
				if !time.Now().Truncate(time.Second).Equal(second) {
					continue
				}
				a, _ := json.Marshal(got.Events)
				b, _ := json.Marshal(live.Events)
				if string(a) != string(b) {
					t.Fatalf("%s from the index:\n%s\nfrom Google:\n%s", path, a, b)
				}
				return got
			}
		}
		one := compare("/calendar/upcoming?days=30&max_results=250", "", 30, 250)
		if len(one.Events) < 10 || one.Account == nil || one.Account.ID != account || one.Events[0].Account == nil || one.Events[0].Account.ID != account {
			t.Fatalf("ada's upcoming from the index: %d events, account %+v", len(one.Events), one.Account)
		}
		// Audited as a read of Google is, with its source.
		waitFor(t, "the index read's audit row", func() bool {
			var n int
			_ = e.Main.DB.SQL().QueryRow(`SELECT COUNT(*) FROM audit_logs WHERE action = 'calendar.events.list' AND outcome = 'success'
				AND CAST(metadata AS TEXT) LIKE '%"source":%"index"%' AND CAST(metadata AS TEXT) LIKE $1`, "%"+account+"%").Scan(&n)
			return n > 0
		})
		few := compare("/calendar/upcoming?days=7&max_results=3", "", 7, 3)
		if len(few.Events) != 3 {
			t.Fatalf("max_results=3 gave %d", len(few.Events))
		}
		all := compare("/calendar/upcoming?account=all&days=30&max_results=250", jarvis.AllAccounts, 30, 250)
		seen := map[string]bool{}
		for _, ev := range all.Events {
			seen[ev.Account.Email] = true
		}
		if len(all.Accounts) != 2 || !seen[ada] || !seen["grace@example.com"] {
			t.Fatalf("merged from the index: accounts %+v, events of %v", all.Accounts, seen)
		}
		compare("/calendar/upcoming?account=all&days=30&max_results=5", jarvis.AllAccounts, 30, 5)

		// Grace's calendar not synced (its sync token gone): the merged
		// answer, and grace's own, come from Google.
		st := e.syncState(grace.ID)
		st.CalendarSyncToken = ""
		if err := e.Main.Index.SaveCalendarState(ctx, &st); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/calendar/upcoming?account=all", "/calendar/upcoming?account=" + grace.ID} {
			e.Sandbox.Google.ResetStats()
			var got upcomingBody
			e.json("GET", path, tok, nil, 200, &got)
			if got.Source != "google" || e.Sandbox.Google.Stats()["calendar.events.list"] == 0 || len(got.Events) == 0 {
				t.Fatalf("%s: source %q, %d events, calls %v", path, got.Source, len(got.Events), e.Sandbox.Google.Stats())
			}
		}
	})
}

// The window moves on with the days: a sync on a later day lists the new
// window afresh, so that an event it has reached (which no increment would
// name, since it did not change) is indexed and those it has left are not.
func TestCalendarWindowRollsForward(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		e := startEnv(t, envOptions{dialect: d, configure: func(c *config.Config) { c.PollInterval = time.Hour }})
		const ada = "ada@example.com"
		account := e.synced(ada)
		now := time.Now()
		x := sqldb.NewMailIndex(e.Main.DB)
		engine := mailsync.New(mailsync.Config{Store: x, Google: e.Main.Google, Decode: google.IndexMessage, DecodeEvent: google.DecodeEvent,
			Logger: e.Main.Logger, Now: func() time.Time { return now }})
		user := fullCalendar(t, e.Sandbox.URL, ada)
		if err := engine.SyncCalendar(ctx, account); err != nil {
			t.Fatal(err)
		}
		before := e.syncState(account)
		// Just past the window's end, and just inside its start.
		late, early := before.CalendarWindowEnd.Add(2*time.Hour), before.CalendarWindowStart.Add(2*time.Hour)
		var ids []string
		for _, at := range []time.Time{late, early} {
			ev, err := user.Events.Insert("primary", &calendar.Event{Summary: "Edge", Start: timed(at), End: timed(at.Add(time.Hour))}).Do()
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ev.Id)
		}
		if err := engine.SyncCalendar(ctx, account); err != nil {
			t.Fatal(err)
		}
		got := indexCalendarView(t, x, account, before.CalendarWindowStart, before.CalendarWindowEnd.Add(48*time.Hour))
		if got[ids[0]] != "" || got[ids[1]] == "" {
			t.Fatalf("before the day changed: late %q, early %q", got[ids[0]], got[ids[1]])
		}
		assertIndexEqualsCalendar(t, x, account, user)

		now = now.Add(24 * time.Hour)
		if err := engine.SyncCalendar(ctx, account); err != nil {
			t.Fatal(err)
		}
		after := e.syncState(account)
		if !after.CalendarWindowStart.Equal(before.CalendarWindowStart.Add(24*time.Hour)) || !after.CalendarWindowEnd.Equal(before.CalendarWindowEnd.Add(24*time.Hour)) {
			t.Fatalf("window %s–%s after a day, was %s–%s", after.CalendarWindowStart, after.CalendarWindowEnd, before.CalendarWindowStart, before.CalendarWindowEnd)
		}
		got = indexCalendarView(t, x, account, before.CalendarWindowStart, after.CalendarWindowEnd.Add(48*time.Hour))
		if got[ids[0]] == "" || got[ids[1]] != "" {
			t.Fatalf("after the day changed: late %q, early %q", got[ids[0]], got[ids[1]])
		}
		assertIndexEqualsCalendar(t, x, account, user)
	})
}

// A series split at an instance ("this and following events": the old one
// ends there, a new one, <id>_R<start>, goes on) keeps both series'
// instances indexed, also when the old series alone changes later: the new
// series' instances are not taken for the old one's.
func TestCalendarSplitSeries(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		e := startEnv(t, envOptions{dialect: d, configure: func(c *config.Config) { c.PollInterval = time.Hour }})
		const ada = "ada@example.com"
		account := e.synced(ada)
		engine, x := calendarEngine(e)
		user := fullCalendar(t, e.Sandbox.URL, ada)
		sync := func() {
			t.Helper()
			if err := engine.SyncCalendar(ctx, account); err != nil {
				t.Fatal(err)
			}
			assertIndexEqualsCalendar(t, x, account, user)
		}
		first := time.Now().UTC().Add(-14 * 24 * time.Hour).Truncate(time.Hour)
		series, err := user.Events.Insert("primary", &calendar.Event{Summary: "Weekly",
			Start:      &calendar.EventDateTime{DateTime: first.Format(time.RFC3339), TimeZone: "UTC"},
			End:        &calendar.EventDateTime{DateTime: first.Add(time.Hour).Format(time.RFC3339), TimeZone: "UTC"},
			Recurrence: []string{"RRULE:FREQ=WEEKLY;COUNT=10"}}).Do()
		if err != nil {
			t.Fatal(err)
		}
		sync()
		// The organizer moves the fifth instance and the following ones by
		// an hour, as Google Calendar's "this and following events" does.
		at := first.Add(4 * 7 * 24 * time.Hour)
		inst := series.Id + "_" + at.Format("20060102T150405Z")
		body := fmt.Sprintf(`{"start":{"dateTime":%q,"timeZone":"UTC"}}`, at.Add(time.Hour).Format("2006-01-02T15:04:05"))
		resp, err := http.Post(e.Sandbox.URL+"/sandbox/calendar/events/"+inst+"/move?following=true&sendUpdates=none", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("split: %d", resp.StatusCode)
		}
		sync()
		split := 0
		for id := range indexCalendarView(t, x, account, first, first.AddDate(1, 0, 0)) {
			if strings.HasPrefix(id, series.Id+"_R") {
				split++
			}
		}
		if split != 6 {
			t.Fatalf("%d instances of the split series indexed, want 6", split)
		}
		// The old series alone changes.
		if _, err := user.Events.Patch("primary", series.Id, &calendar.Event{Summary: "Weekly (first weeks)"}).Do(); err != nil {
			t.Fatal(err)
		}
		sync()
	})
}
