package sqldb_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// The calendar's half of the sync state is saved apart from the mail's:
// neither refuses nor undoes the other's writes, each refuses its own stale
// writes, and a full calendar sync replaces the events in one transaction.
func TestCalendarStateApartFromMail(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		_, x, _, g := indexAccount(t, d)
		mail, _ := x.State(ctx, g.ID)
		cal, _ := x.State(ctx, g.ID)
		day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		ev := func(id string) mailsync.Event {
			return mailsync.Event{CalendarID: "primary", Event: jarvis.Event{ID: id, Summary: id}, StartTime: day, EndTime: day.Add(time.Hour)}
		}
		cal.CalendarSyncToken, cal.CalendarWindowStart, cal.CalendarWindowEnd = "tok1", day, day.AddDate(1, 0, 0)
		if err := x.ApplyEvents(ctx, g.ID, "primary", []mailsync.Event{ev("e1"), ev("e2")}, nil, false, &cal); err != nil {
			t.Fatal(err)
		}
		mail.Phase, mail.HistoryID = mailsync.PhaseIncremental, 42
		if err := x.SaveState(ctx, &mail); err != nil {
			t.Fatalf("the mail's save after the calendar's: %v", err)
		}
		got, _ := x.State(ctx, g.ID)
		if got.CalendarSyncToken != "tok1" || !got.CalendarWindowStart.Equal(day) || got.HistoryID != 42 || got.CalendarVersion != 1 || got.Version != 1 {
			t.Fatalf("state %+v", got)
		}
		stale := cal
		stale.CalendarVersion = 0
		if err := x.SaveCalendarState(ctx, &stale); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("a stale calendar save: %v", err)
		}
		// A reset drops what the new set does not have, in the same write.
		cal.CalendarSyncToken = "tok2"
		if err := x.ApplyEvents(ctx, g.ID, "primary", []mailsync.Event{ev("e3")}, nil, true, &cal); err != nil {
			t.Fatal(err)
		}
		ids, err := x.EventIDs(ctx, g.ID, "primary")
		if err != nil || len(ids) != 1 || ids[0] != "e3" {
			t.Fatalf("after a reset: %v %v", ids, err)
		}
		if err := x.ApplyEvents(ctx, g.ID, "primary", nil, []string{"e3"}, false, &cal); err != nil {
			t.Fatal(err)
		}
		if ids, _ := x.EventIDs(ctx, g.ID, "primary"); len(ids) != 0 {
			t.Fatalf("after a delete: %v", ids)
		}
	})
}

// A channel is found by its id; its notifications are counted, with the
// job scheduled in the same transaction (none counted when scheduling
// fails), and change neither version of the state.
func TestCalendarChannelPushes(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		_, x, _, g := indexAccount(t, d)
		if _, err := x.CalendarChannel(ctx, "nope"); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("unknown channel: %v", err)
		}
		st, _ := x.State(ctx, g.ID)
		st.CalendarChannelID, st.CalendarChannelTokenSHA256, st.CalendarResourceID = "chan-1", "abc", "res-1"
		if err := x.SaveCalendarState(ctx, &st); err != nil {
			t.Fatal(err)
		}
		c, err := x.CalendarChannel(ctx, "chan-1")
		if err != nil || c.AccountID != g.ID || c.UserID != g.UserID || c.TokenSHA256 != "abc" || c.ResourceID != "res-1" {
			t.Fatalf("channel %+v, %v", c, err)
		}
		at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		scheduled := 0
		schedule := func(_ context.Context, _ *sql.Tx, _ string, pushes int64) error {
			scheduled++
			if pushes != int64(scheduled) {
				t.Errorf("scheduled with count %d, want %d", pushes, scheduled)
			}
			return nil
		}
		for range 2 {
			if err := x.RecordCalendarPush(ctx, g.ID, at, schedule); err != nil {
				t.Fatal(err)
			}
		}
		failing := errors.New("no job")
		if err := x.RecordCalendarPush(ctx, g.ID, at.Add(time.Hour), func(context.Context, *sql.Tx, string, int64) error { return failing }); !errors.Is(err, failing) {
			t.Fatalf("failed scheduling: %v", err)
		}
		got, _ := x.State(ctx, g.ID)
		if got.CalendarPushes != 2 || !got.CalendarPushAt.Equal(at) || scheduled != 2 || got.CalendarVersion != st.CalendarVersion || got.Version != st.Version {
			t.Fatalf("after two pushes: %+v (scheduled %d)", got, scheduled)
		}
		// A calendar save does not undo the count.
		if err := x.SaveCalendarState(ctx, &got); err != nil {
			t.Fatal(err)
		}
		if again, _ := x.State(ctx, g.ID); again.CalendarPushes != 2 {
			t.Fatalf("pushes %d after a save", again.CalendarPushes)
		}
		if err := x.RecordCalendarPush(ctx, "no-such-account", at, schedule); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("unknown account: %v", err)
		}
	})
}
