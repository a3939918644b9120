package jarvis

import (
	"slices"
	"strings"
	"time"
)

// DefaultWorkingHours are the hours meeting proposals fall within when
// the owner set none: Monday to Friday, 09:00 to 17:00, in the calendar's
// time zone.
func DefaultWorkingHours() WorkingHours {
	return WorkingHours{Days: []string{"mon", "tue", "wed", "thu", "fri"}, Start: "09:00", End: "17:00"}
}

var weekdayNames = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// clock reads HH:MM as minutes after midnight.
func clock(s string) (int, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// ProposeMeetingTimes returns up to max slots of length d within [from,
// to) that overlap no busy interval and fall within the working hours of
// their day in loc: earliest first, on a half-hour grid of wall-clock
// time (a quarter-hour one for meetings shorter than half an hour), none
// overlapping another. Working hours that do not parse yield the default.
func ProposeMeetingTimes(busy []Interval, wh WorkingHours, loc *time.Location, from, to time.Time, d time.Duration, max int) []MeetingSlot {
	days := map[time.Weekday]bool{}
	for _, n := range wh.Days {
		if wd, ok := weekdayNames[strings.ToLower(n)]; ok {
			days[wd] = true
		}
	}
	open, ok1 := clock(wh.Start)
	shut, ok2 := clock(wh.End)
	if len(days) == 0 || !ok1 || !ok2 || shut <= open {
		def := DefaultWorkingHours()
		return ProposeMeetingTimes(busy, def, loc, from, to, d, max)
	}
	grid := 30 * time.Minute
	if d < grid {
		grid = 15 * time.Minute
	}
	busy = slices.Clone(busy)
	slices.SortFunc(busy, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	// conflict returns the end of the first busy interval overlapping
	// [s, e), or the zero time.
	conflict := func(s, e time.Time) time.Time {
		var end time.Time
		for _, b := range busy {
			if b.Start.Before(e) && b.End.After(s) && b.End.After(end) {
				end = b.End
			}
		}
		return end
	}
	// up rounds t up to the grid of its day's wall-clock time.
	up := func(t time.Time) time.Time {
		l := t.In(loc)
		mid := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
		since := l.Sub(mid)
		if r := since % grid; r != 0 {
			since += grid - r
		}
		return mid.Add(since)
	}
	out := []MeetingSlot{}
	first := from.In(loc)
	for day := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, loc); day.Before(to) && len(out) < max; day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc) {
		if !days[day.Weekday()] {
			continue
		}
		dayOpen := time.Date(day.Year(), day.Month(), day.Day(), open/60, open%60, 0, 0, loc)
		dayShut := time.Date(day.Year(), day.Month(), day.Day(), shut/60, shut%60, 0, 0, loc)
		t := dayOpen
		if t.Before(from) {
			t = up(from)
		}
		for len(out) < max {
			e := t.Add(d)
			if e.After(dayShut) || e.After(to) {
				break
			}
			if b := conflict(t, e); !b.IsZero() {
				t = up(b)
				continue
			}
			out = append(out, MeetingSlot{Start: t.UTC().Format(time.RFC3339), End: e.UTC().Format(time.RFC3339),
				StartLocal: t.In(loc).Format(time.RFC3339), EndLocal: e.In(loc).Format(time.RFC3339)})
			t = up(e)
		}
	}
	return out
}
