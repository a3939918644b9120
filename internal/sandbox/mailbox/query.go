package mailbox

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jarvis-hq/jarvis/internal/searchtext"
)

// A query is Gmail's search language, parsed: a conjunction of clauses,
// each a disjunction of terms (a OR b), each term possibly negated.
type query struct {
	clauses    [][]term
	spamTrash  bool // the query names spam, trash or anywhere itself
	hasClauses bool
}

type term struct {
	neg    bool
	op     string // "" for a free word or phrase
	value  string // lower-cased
	phrase string // value's words, as searchtext.Normalize gives them
}

// tokenize splits q into words, keeping "quoted phrases" whole (also after
// an operator, as in subject:"two words"). Parentheses are dropped later:
// subject:(a b) is read as subject:a and the word b.
func tokenize(q string) []string {
	var toks []string
	var cur strings.Builder
	quoted := false
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range q {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case !quoted && unicode.IsSpace(r):
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}

// parseQuery parses a Gmail search string. Unknown operators are searched
// as words, as Gmail does; nothing is an error.
func parseQuery(q string) query {
	var out query
	toks := tokenize(q)
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		if tok == "OR" || tok == "|" {
			continue
		}
		t := parseTerm(tok)
		if t.op == "in" && (t.value == "spam" || t.value == "trash" || t.value == "anywhere") ||
			t.op == "label" && (t.value == "spam" || t.value == "trash") {
			out.spamTrash = true
		}
		// Join "a OR b OR c" into one clause.
		if len(out.clauses) > 0 && i > 0 && (toks[i-1] == "OR" || toks[i-1] == "|") {
			last := len(out.clauses) - 1
			out.clauses[last] = append(out.clauses[last], t)
			continue
		}
		out.clauses = append(out.clauses, []term{t})
	}
	out.hasClauses = len(out.clauses) > 0
	return out
}

func parseTerm(tok string) term {
	var t term
	if strings.HasPrefix(tok, "-") && len(tok) > 1 {
		t.neg = true
		tok = tok[1:]
	}
	if i := strings.IndexByte(tok, ':'); i > 0 && !strings.HasPrefix(tok, `"`) {
		op := strings.ToLower(tok[:i])
		if knownOps[op] {
			t.op = op
			tok = tok[i+1:]
		}
	}
	t.value = strings.ToLower(strings.Trim(tok, `"(){}`))
	t.phrase = searchtext.Normalize(t.value)
	return t
}

var knownOps = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "subject": true, "is": true, "in": true,
	"label": true, "has": true, "newer_than": true, "older_than": true, "after": true, "before": true,
	"newer": true, "older": true, "filename": true, "rfc822msgid": true, "deliveredto": true,
	"larger": true, "smaller": true, "category": true, "list": true,
}

// matchEnv is what a term needs besides the message: its labels, the
// store's label names, and the clock.
type matchEnv struct {
	labels  map[string]bool
	labelID func(name string) string
	now     time.Time
}

func (q query) match(m *Message, env matchEnv) bool {
	for _, clause := range q.clauses {
		ok := false
		for _, t := range clause {
			if t.match(m, env) != t.neg {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// match reports whether the term holds for m. Words, phrases and the
// values of from:, to:, cc:, bcc:, deliveredto:, subject: and filename:
// match by whole words, as Gmail matches them: the value's words,
// consecutive, in the field's words (package searchtext).
func (t term) match(m *Message, env matchEnv) bool {
	v := t.value
	switch t.op {
	case "", "from", "to", "cc", "bcc", "deliveredto", "subject", "filename":
		return t.matchWords(m, t.phrase)
	case "rfc822msgid":
		return strings.EqualFold(strings.Trim(v, "<>"), m.messageID)
	case "has":
		switch v {
		case "attachment":
			return m.hasAttachment
		case "userlabels", "nouserlabels":
			user := false
			for l := range env.labels {
				if !isSystemLabel(l) {
					user = true
				}
			}
			return user == (v == "userlabels")
		}
		return false
	case "is":
		switch v {
		case "unread":
			return env.labels[Unread]
		case "read":
			return !env.labels[Unread]
		case "starred":
			return env.labels[Starred]
		case "important":
			return env.labels[Important]
		case "draft", "drafts":
			return env.labels[Draft]
		case "sent":
			return env.labels[Sent]
		}
		return false
	case "in":
		switch v {
		case "anywhere":
			return true
		case "inbox", "sent", "trash", "spam", "draft", "drafts", "starred", "important", "chats", "chat":
			return env.labels[strings.TrimSuffix(strings.ToUpper(v), "S")] || env.labels[strings.ToUpper(v)]
		}
		return env.labels[env.labelID(v)]
	case "label", "category":
		if t.op == "category" {
			v = "category_" + v
		}
		return env.labels[strings.ToUpper(v)] || env.labels[env.labelID(v)]
	case "newer_than", "older_than":
		d, ok := relative(v, env.now)
		if !ok {
			return false
		}
		if t.op == "newer_than" {
			return m.Date.After(d)
		}
		return m.Date.Before(d)
	case "after", "newer", "before", "older":
		d, ok := absolute(v)
		if !ok {
			return false
		}
		if t.op == "after" || t.op == "newer" {
			return !m.Date.Before(d)
		}
		return m.Date.Before(d)
	case "larger", "smaller":
		n, ok := size(v)
		if !ok {
			return false
		}
		if t.op == "larger" {
			return m.Size > n
		}
		return m.Size < n
	case "list":
		return false
	}
	return false
}

// matchWords matches the normalized phrase p in the fields the term's
// operator searches.
func (t term) matchWords(m *Message, p string) bool {
	has := func(text string) bool { return searchtext.Contains(text, p) }
	switch t.op {
	case "":
		return has(m.subject) || has(m.from) || has(m.to) || has(m.cc) || has(m.text) || slices.ContainsFunc(m.filenames, has)
	case "from":
		return has(m.from)
	case "to":
		return has(m.to) || has(m.cc) || has(m.bcc) || has(m.deliveredTo)
	case "cc":
		return has(m.cc)
	case "bcc":
		return has(m.bcc)
	case "deliveredto":
		return has(m.deliveredTo)
	case "subject":
		return has(m.subject)
	case "filename":
		return slices.ContainsFunc(m.filenames, has)
	}
	return false
}

// relative reads newer_than/older_than values: 2d, 3m, 1y (also h, w).
func relative(v string, now time.Time) (time.Time, bool) {
	if len(v) < 2 {
		return time.Time{}, false
	}
	n, err := strconv.Atoi(v[:len(v)-1])
	if err != nil || n < 0 {
		return time.Time{}, false
	}
	switch v[len(v)-1] {
	case 'h':
		return now.Add(-time.Duration(n) * time.Hour), true
	case 'd':
		return now.AddDate(0, 0, -n), true
	case 'w':
		return now.AddDate(0, 0, -7*n), true
	case 'm':
		return now.AddDate(0, -n, 0), true
	case 'y':
		return now.AddDate(-n, 0, 0), true
	}
	return time.Time{}, false
}

// absolute reads after/before values: YYYY/MM/DD (also with dashes or
// single-digit parts), taken as midnight UTC, or epoch seconds.
func absolute(v string) (time.Time, bool) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	v = strings.ReplaceAll(v, "-", "/")
	if t, err := time.Parse("2006/1/2", v); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// size reads larger/smaller values: bytes, or with a k or m suffix.
func size(v string) (int, bool) {
	mult := 1
	switch {
	case strings.HasSuffix(v, "k"):
		mult, v = 1024, v[:len(v)-1]
	case strings.HasSuffix(v, "m"):
		mult, v = 1024*1024, v[:len(v)-1]
	}
	n, err := strconv.Atoi(v)
	return n * mult, err == nil
}
