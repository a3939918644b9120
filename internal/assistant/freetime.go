package assistant

import (
	"slices"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// workHours says when the user takes meetings: minutes after local midnight,
// and whether Saturdays and Sundays count.
type workHours struct {
	start, end int
	weekends   bool
}

// freeSlots returns the free windows, at least dur long, within working
// hours in loc, between from and to, given the busy intervals (any order,
// may overlap). Windows start on a quarter hour and are returned in order,
// at most limit of them.
func freeSlots(busy []jarvis.Interval, from, to time.Time, loc *time.Location, wh workHours, dur time.Duration, limit int) []jarvis.Interval {
	from = ceilQuarter(from)
	busy = mergeIntervals(busy)
	out := []jarvis.Interval{}
	lf := from.In(loc)
	day := time.Date(lf.Year(), lf.Month(), lf.Day(), 0, 0, 0, 0, loc)
	for ; day.Before(to) && len(out) < limit; day = day.AddDate(0, 0, 1) {
		if !wh.weekends && (day.Weekday() == time.Saturday || day.Weekday() == time.Sunday) {
			continue
		}
		ws := time.Date(day.Year(), day.Month(), day.Day(), 0, wh.start, 0, 0, loc)
		we := time.Date(day.Year(), day.Month(), day.Day(), 0, wh.end, 0, 0, loc)
		if ws.Before(from) {
			ws = from
		}
		if we.After(to) {
			we = to
		}
		for _, gap := range subtract(jarvis.Interval{Start: ws, End: we}, busy) {
			gap.Start = ceilQuarter(gap.Start)
			if gap.End.Sub(gap.Start) >= dur && len(out) < limit {
				out = append(out, gap)
			}
		}
	}
	return out
}

// mergeIntervals sorts intervals and joins those that overlap or touch.
func mergeIntervals(in []jarvis.Interval) []jarvis.Interval {
	s := slices.Clone(in)
	slices.SortFunc(s, func(a, b jarvis.Interval) int { return a.Start.Compare(b.Start) })
	var out []jarvis.Interval
	for _, iv := range s {
		if !iv.End.After(iv.Start) {
			continue
		}
		if n := len(out); n > 0 && !iv.Start.After(out[n-1].End) {
			if iv.End.After(out[n-1].End) {
				out[n-1].End = iv.End
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// subtract returns the parts of w not covered by busy (sorted and merged).
func subtract(w jarvis.Interval, busy []jarvis.Interval) []jarvis.Interval {
	var out []jarvis.Interval
	cur := w.Start
	for _, b := range busy {
		if !b.End.After(cur) {
			continue
		}
		if !b.Start.Before(w.End) {
			break
		}
		if b.Start.After(cur) {
			out = append(out, jarvis.Interval{Start: cur, End: b.Start})
		}
		cur = b.End
	}
	if w.End.After(cur) {
		out = append(out, jarvis.Interval{Start: cur, End: w.End})
	}
	return out
}

// ceilQuarter rounds t up to the next quarter hour (of UTC, which is also a
// quarter hour of every zone in use but a few).
func ceilQuarter(t time.Time) time.Time {
	q := t.Truncate(15 * time.Minute)
	if q.Before(t) {
		q = q.Add(15 * time.Minute)
	}
	return q
}
