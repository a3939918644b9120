package calendar

import (
	"slices"
	"sync"
	"time"

	"github.com/teambition/rrule-go"
)

const (
	// maxInstances bounds the instances one series yields for one query,
	// so that an unbounded RRULE over an open window stays cheap.
	maxInstances = 2500
	// maxScan bounds the rule occurrences walked before a query window
	// (a daily rule begun in 1800 still fits).
	maxScan = 100_000
	// openHorizonYears is how far after its start an open-ended window reaches.
	openHorizonYears = 50
)

// recurrence is the recurrence set of a series: its DTSTART, RRULEs and
// RDATEs, less its EXDATEs. Times share the representation of the series'
// start: instants in the start's zone, or midnight UTC for all-day dates.
type recurrence struct {
	lines   []string // RRULE/RDATE/EXDATE lines as the "recurrence" field shows them
	dtstart time.Time
	rules   []*rrule.RRule
	// iter serializes walks of the rules: an rrule iterator memoizes into
	// its RRule, and listings under the book's read lock walk at once.
	iter   sync.Mutex
	rdates []time.Time
	// exInstants holds excluded instants (Unix seconds), exDates excluded
	// dates ("20060102" in the start's zone) for EXDATE;VALUE=DATE.
	exInstants map[int64]bool
	exDates    map[string]bool
}

func (r *recurrence) excluded(t time.Time) bool {
	return r.exInstants[t.Unix()] || r.exDates[t.Format("20060102")]
}

// occurrences returns the original start times t of the set, in order,
// with t < to and t+dur > from (an overlap test; a zero from is open, a
// zero to reaches openHorizonYears past from or DTSTART), at most limit.
func (r *recurrence) occurrences(from, to time.Time, dur time.Duration, limit int) []time.Time {
	if limit <= 0 {
		return nil
	}
	if to.IsZero() {
		to = r.dtstart
		if from.After(to) {
			to = from
		}
		to = to.AddDate(openHorizonYears, 0, 0)
	}
	inWindow := func(t time.Time) (in, past bool) {
		if !to.IsZero() && !t.Before(to) {
			return false, true
		}
		return from.IsZero() || t.Add(dur).After(from), false
	}
	// Each source is sorted; take from each a prefix long enough to survive
	// the exclusions and duplicates, and trust the merge only up to the
	// earliest point where a source was cut short.
	want := limit + len(r.exInstants) + len(r.exDates) + len(r.rdates) + 1
	var all []time.Time
	var cutoff time.Time
	take := func(t time.Time) {
		if in, _ := inWindow(t); in {
			all = append(all, t)
		}
	}
	take(r.dtstart)
	for _, t := range r.rdates {
		take(t)
	}
	r.iter.Lock()
	defer r.iter.Unlock()
	for _, rule := range r.rules {
		next := rule.Iterator()
		kept := 0
		for scanned := 0; ; scanned++ {
			t, ok := next()
			if !ok {
				break
			}
			in, past := inWindow(t)
			if past {
				break
			}
			if scanned >= maxScan || kept >= want {
				if cutoff.IsZero() || t.Before(cutoff) {
					cutoff = t
				}
				break
			}
			if in {
				all = append(all, t)
				kept++
			}
		}
	}
	slices.SortFunc(all, func(a, b time.Time) int { return a.Compare(b) })
	out := make([]time.Time, 0, min(len(all), limit))
	for i, t := range all {
		if i > 0 && t.Equal(all[i-1]) || r.excluded(t) {
			continue
		}
		if !cutoff.IsZero() && !t.Before(cutoff) || len(out) == limit {
			break
		}
		out = append(out, t)
	}
	return out
}

// has reports whether t is an occurrence of the set.
func (r *recurrence) has(t time.Time) bool {
	occ := r.occurrences(t, t.Add(time.Second), time.Nanosecond, 1)
	return len(occ) == 1 && occ[0].Equal(t)
}
