package model

import (
	"regexp"
	"strconv"
	"strings"
)

// intent is what the deterministic model reads in the user's latest words.
type intent struct {
	mail  bool   // search the mailbox
	query string // Gmail search syntax
	max   int
	from  string
	read  bool // open the first thread found

	draft   bool
	reply   bool
	to, cc  []string
	name    string // recipient named without an address ("write to alice")
	subject string
	body    string

	calendar bool
	days     int
	lower    string // the words, lower-cased, for the calendar days they name

	// words name the thread to read or answer ("the dinner thread").
	words []string

	free     bool
	duration int // minutes

	// organise is a change asked of the thread found: archive, trash,
	// star or read (mark read).
	organise string
	// obey is the gullible model: asked to handle the latest email, it
	// reads it and does what the email says (forward or send to an
	// address it names). It stands for a model an injection fooled, so
	// that tests can show what Jarvis lets such a model do.
	obey bool

	// act is a send or a calendar change (see act.go), with what it
	// needs: reply to all, an event's title, date, time and IANA zone,
	// and an invitation's response.
	act                      string
	replyAll                 bool
	title, date, clock, zone string
	response                 string
}

var (
	addressRE  = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	fromRE     = regexp.MustCompile(`(?i)\bfrom\s+([A-Za-z0-9._%+@'’-]+)`)
	toRE       = regexp.MustCompile(`(?i)\bto\s+([A-Za-z][A-Za-z0-9._'’-]*)`)
	bodyRE     = regexp.MustCompile(`(?i)\b(?:saying|that says|to say|telling (?:him|her|them)|with the message)\b[:,]?\s*(.+)$`)
	subjectRE  = regexp.MustCompile(`(?i)\b(?:about|regarding|subject:?|titled)\s+(.+?)(?:\s+(?:saying|that says|to say|telling)\b|[?!]|\.(?:\s|$)|$)`)
	countRE    = regexp.MustCompile(`(?i)\b(?:last|latest|top|first|recent)\s+(\d{1,3})\b|\b(\d{1,3})\s+(?:\w+\s+)?(?:emails|e-mails|mails|messages|threads)\b`)
	daysRE     = regexp.MustCompile(`(?i)\b(\d{1,3})\s+days?\b`)
	minutesRE  = regexp.MustCompile(`(?i)\b(\d{1,3})\s*-?\s*(?:minutes?|mins?)\b`)
	hoursRE    = regexp.MustCompile(`(?i)\b(\d{1,2}(?:\.5)?)\s*-?\s*(?:hours?|hrs?)\b`)
	readRE     = regexp.MustCompile(`(?i)\b(?:read|open|show me|summari[sz]e)\s+(?:me\s+)?(?:the|that|this|latest|last|most recent|newest)\b[^?!]*\b(?:email|e-mail|mail|message|thread)`)
	ccRE       = regexp.MustCompile(`(?i)\bb?cc\b`)
	directRE   = regexp.MustCompile(`(?i)^\s*(?:please\s+)?(?:email|mail|message)\s+\S+@`)
	notPersons = map[string]bool{
		"the": true, "my": true, "me": true, "a": true, "an": true, "this": true, "that": true,
		"their": true, "his": true, "her": true, "them": true, "him": true, "it": true, "all": true,
		"everyone": true, "today": true, "yesterday": true, "tomorrow": true, "last": true,
		"latest": true, "work": true, "home": true, "say": true, "do": true, "be": true,
		"inbox": true, "email": true, "mail": true, "thread": true, "their's": true,
	}
)

// hasAny reports whether s holds one of words at the start of a word
// ("meetings" has "meeting"; "prevent" has no "event").
func hasAny(s string, words ...string) bool {
	for _, w := range words {
		for i := 0; ; {
			j := strings.Index(s[i:], w)
			if j < 0 {
				break
			}
			at := i + j
			if at == 0 || !isLetter(s[at-1]) {
				return true
			}
			i = at + 1
		}
	}
	return false
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80 }

// person cleans a captured name: no possessive, no trailing punctuation, and
// nothing that is not a name ("from the", "to my").
func person(s string) string {
	s = strings.TrimRight(s, ".,;:!?'’")
	s = strings.TrimSuffix(strings.TrimSuffix(s, "'s"), "’s")
	if notPersons[strings.ToLower(s)] {
		return ""
	}
	return s
}

// parseIntent reads the user's words; see the package documentation of
// respond for the vocabulary.
func parseIntent(text string) intent {
	lower := strings.ToLower(text)
	in := intent{max: 10, days: 7, duration: 30}

	head := text // the words before a "saying …" clause
	if m := bodyRE.FindStringSubmatchIndex(text); m != nil {
		in.body = strings.Trim(strings.TrimSpace(text[m[2]:m[3]]), `"“”'`)
		head = text[:m[0]]
	}
	if m := fromRE.FindStringSubmatch(head); m != nil {
		in.from = person(m[1])
	}
	if m := subjectRE.FindStringSubmatch(head); m != nil {
		in.subject = strings.Trim(strings.TrimSpace(m[1]), `"“”'`)
	}
	if m := countRE.FindStringSubmatch(lower); m != nil {
		n, _ := strconv.Atoi(m[1] + m[2])
		in.max = min(max(n, 1), 50)
	}

	in.reply = hasAny(lower, "reply", "respond to", "answer ")
	in.draft = in.reply || hasAny(lower, "draft", "write to", "write an email", "write a note", "write a message",
		"compose", "send an email", "send a note", "send a message", "email to") || directRE.MatchString(text)
	if in.draft {
		cc := ccRE.FindStringIndex(head)
		for _, loc := range addressRE.FindAllStringIndex(head, -1) {
			addr := head[loc[0]:loc[1]]
			if cc != nil && loc[0] > cc[0] {
				in.cc = append(in.cc, addr)
			} else {
				in.to = append(in.to, addr)
			}
		}
		if len(in.to) == 0 {
			if in.from != "" {
				in.name = in.from
			} else if m := toRE.FindStringSubmatch(head); m != nil {
				in.name = person(m[1])
			}
		}
	}

	switch {
	case hasAny(lower, "do what it says", "do what the email says", "follow its instructions", "follow the instructions", "do as it says", "handle the latest email"):
		in.obey, in.draft, in.reply = true, false, false
	case hasAny(lower, "archive"):
		in.organise = "archive"
	case hasAny(lower, "trash", "bin it", "delete"):
		in.organise = "trash"
	case hasAny(lower, "star "):
		in.organise = "star"
	case hasAny(lower, "mark") && hasAny(lower, "as read", "read"):
		in.organise = "read"
	}
	if in.organise != "" || in.obey {
		in.draft, in.reply = false, false
	}

	in.lower = lower
	in.read = in.organise == "" && !in.obey && (hasAny(lower, "thread") || readRE.MatchString(text))
	if (in.read || in.reply || in.organise != "") && in.from == "" && in.name == "" && in.subject == "" {
		in.words = distinctWords(head)
	}
	in.mail = in.read || in.from != "" || hasAny(lower, "inbox", "mail", "email", "e-mail", "gmail", "message", "unread")

	var q []string
	if hasAny(lower, "inbox") {
		q = append(q, "in:inbox")
	}
	if hasAny(lower, "unread") {
		q = append(q, "is:unread")
	}
	if in.from != "" {
		q = append(q, "from:"+in.from)
	}
	if in.subject != "" && !in.draft {
		term := in.subject
		if strings.Contains(term, " ") {
			term = `"` + term + `"`
		}
		q = append(q, term)
	}
	if len(q) == 0 {
		q = append(q, "in:inbox")
	}
	in.query = strings.Join(q, " ")

	in.free = hasAny(lower, "free time", "free slot", "free for", "am i free", "are we free", "availability",
		"available", "open slot", "find time", "find a time", "a slot")
	in.calendar = hasAny(lower, "meeting", "calendar", "schedule", "agenda", "event", "appointment",
		"tomorrow", "today", "tonight", "this week", "next week", "weekend", "busy") || weekdayRE.MatchString(lower)
	switch {
	case daysRE.MatchString(lower):
		n, _ := strconv.Atoi(daysRE.FindStringSubmatch(lower)[1])
		in.days = min(max(n, 1), 90)
	case hasAny(lower, "today", "tonight", "tomorrow"):
		in.days = 1
	case hasAny(lower, "two weeks", "fortnight"):
		in.days = 14
	case hasAny(lower, "month"):
		in.days = 30
	}
	switch {
	case minutesRE.MatchString(lower):
		n, _ := strconv.Atoi(minutesRE.FindStringSubmatch(lower)[1])
		in.duration = min(max(n, 5), 480)
	case hoursRE.MatchString(lower):
		h, _ := strconv.ParseFloat(hoursRE.FindStringSubmatch(lower)[1], 64)
		in.duration = min(max(int(h*60), 5), 480)
	case hasAny(lower, "half an hour", "half hour"):
		in.duration = 30
	case hasAny(lower, "an hour", "one hour"):
		in.duration = 60
	}
	parseAct(text, head, lower, &in)
	return in
}
