package model

import (
	"regexp"
	"strings"
	"time"
)

// stopWords are words that say what to do, not which mail: a thread is
// picked by the other words ("reply to the dinner thread" → dinner).
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the this that these those my me mine i i'm i'll i'd you your yours we our us he she
		him her his they them their it its one ones some any all every please kindly can could would will should shall may might
		do does did done is are was were be been being have has had just also then now there here what what's which who whom
		whose when where why how of to for from in on at by with about into onto over under up down out off as and or but if
		so than too very not no yes let lets tell show give get got find look check see open read reread summarise summarize
		summarised summarized summary sum recap reply replies replying respond answer draft drafts write writing compose send
		sending forward say saying says said note notes thread threads email emails e-mail e-mails mail mails message messages
		conversation conversations inbox gmail latest last newest new recent recently most first top earliest older newer
		quick quickly short briefly brief back thanks thank hi hello hey jarvis`) {
		stopWords[w] = true
	}
}

var wordRE = regexp.MustCompile(`[\p{L}\p{N}][\p{L}\p{N}'’&-]*`)

// distinctWords returns the words of text that name a thread, lower-cased,
// each once: not a stop word, an address, a number of results or a word
// already used (a sender's name). An all-capitals word of two letters or
// more ("IT") is kept even when its lower case is a stop word.
func distinctWords(text string, used ...string) []string {
	text = addressRE.ReplaceAllString(text, " ")
	skip := map[string]bool{}
	for _, u := range used {
		for _, w := range wordRE.FindAllString(strings.ToLower(u), -1) {
			skip[w] = true
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, w := range wordRE.FindAllString(text, -1) {
		w = strings.TrimRight(w, "'’-&")
		w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "’s")
		low := strings.ToLower(w)
		acronym := len(w) >= 2 && w == strings.ToUpper(w) && strings.ToLower(w) != w
		if low == "" || seen[low] || skip[low] || (stopWords[low] && !acronym) || isNumber(low) {
			continue
		}
		seen[low] = true
		out = append(out, low)
	}
	return out
}

func isNumber(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// wordsQuery is a Gmail query for threads holding any of words; the results
// are ranked by overlap afterwards.
func wordsQuery(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = w
		if strings.ContainsAny(w, "'’&-") {
			quoted[i] = `"` + w + `"`
		}
	}
	return strings.Join(quoted, " OR ")
}

// overlap counts the words found in text at the start of a word; a plural
// "s" is forgiven.
func overlap(text string, words []string) int {
	text = strings.ToLower(text)
	n := 0
	for _, w := range words {
		stem := w
		if len(stem) > 3 && strings.HasSuffix(stem, "s") && !strings.HasSuffix(stem, "ss") {
			stem = stem[:len(stem)-1]
		}
		if hasAny(text, stem) {
			n++
		}
	}
	return n
}

// A calendar window in the user's time zone: the events of date (a
// calendar day, YYYY-MM-DD) and the days after it, days in all.
type window struct {
	date string
	days int
}

var (
	weekdays  = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}
	weekdayRE = regexp.MustCompile(`(?i)\b(?:on|next|this|coming|for)\s+(sunday|monday|tuesday|wednesday|thursday|friday|saturday)\b|^\s*(sunday|monday|tuesday|wednesday|thursday|friday|saturday)\b`)
)

// dayWindow reads calendar days in lower (today, tomorrow, the day after
// tomorrow, this week, next week, this weekend, on Monday…) against local,
// the user's current time in their time zone. Weeks run Monday to Sunday;
// "this week" is today to Sunday; a weekday is the next such day after
// today ("on Friday" said on a Friday is a week later). ok is false when no
// day is named.
func dayWindow(lower string, local time.Time) (window, bool) {
	day := func(offset, days int) (window, bool) {
		return window{date: local.AddDate(0, 0, offset).Format(time.DateOnly), days: days}, true
	}
	wd := (int(local.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	switch {
	case hasAny(lower, "day after tomorrow"):
		return day(2, 1)
	case hasAny(lower, "tomorrow"):
		return day(1, 1)
	case hasAny(lower, "today", "tonight", "this morning", "this afternoon", "this evening"):
		return day(0, 1)
	case hasAny(lower, "next week"):
		return day(7-wd, 7)
	case hasAny(lower, "this week", "rest of the week"):
		return day(0, 7-wd)
	case hasAny(lower, "weekend"):
		if wd >= 5 {
			return day(0, 7-wd)
		}
		return day(5-wd, 2)
	}
	if m := weekdayRE.FindStringSubmatch(lower); m != nil {
		name := strings.ToLower(m[1] + m[2])
		for i, w := range weekdays {
			if w == name {
				ahead := (i - int(local.Weekday()) + 7) % 7
				if ahead == 0 {
					ahead = 7
				}
				return day(ahead, 1)
			}
		}
	}
	return window{}, false
}

var (
	todayRE = regexp.MustCompile(`Today is \w+, (\d{1,2} \w+ \d{4}); the time is (\d{2}:\d{2}) UTC`)
	zoneRE  = regexp.MustCompile(`time zone is ([A-Za-z][A-Za-z0-9_+/-]*)`)
)

// userClock reads the current time and the user's time zone from the system
// prompt ("Today is Saturday, 5 December 2026; the time is 10:27 UTC. The
// user's time zone is Europe/London, …"); now and UTC when it says neither.
func userClock(system string, now time.Time) time.Time {
	if m := todayRE.FindStringSubmatch(system); m != nil {
		if t, err := time.Parse("2 January 2006 15:04", m[1]+" "+m[2]); err == nil {
			now = t
		}
	}
	loc := time.UTC
	if m := zoneRE.FindStringSubmatch(system); m != nil {
		if l, err := time.LoadLocation(m[1]); err == nil && m[1] != "Local" {
			loc = l
		}
	}
	return now.In(loc)
}
