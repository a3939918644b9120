// Package gmailquery reads Gmail's search language (the q of threads.list)
// and turns the part of it the local index can answer exactly into a SQL
// condition on the index's messages.
//
// The grammar is Gmail's as the sandbox models it: a conjunction of
// clauses; "a OR b" (or "a | b") joins terms into one clause; a term is a
// word, a "quoted phrase" or operator:value, and "-" negates it.
// Parentheses and braces are dropped (subject:(a b) reads as subject:a and
// the word b). Words, phrases and the values of from:, to:, cc: and
// subject: match by whole words, case-insensitively, as package searchtext
// defines them: "friday dinner" matches those two words in a row.
//
// The index keeps, per message, the words of its subject, sender,
// recipients and body (searchtext.Normalize) in the columns search_subject,
// search_from, search_to, search_cc and search_body, and a full-text index
// over them: on PostgreSQL the tsvector search_tsv (its lexemes exactly those
// words) under a GIN index; on SQLite the FTS5 table mail_search (the ascii
// tokenizer reads the words back unchanged), keyed by search_rowid.
package gmailquery

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jarvis-hq/jarvis/internal/searchtext"
)

// Dialect is the database a condition is written for.
type Dialect string

// The dialects, named as package sqldb names them.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// Term is one search term.
type Term struct {
	Neg   bool
	Op    string // "" for a word or phrase
	Value string // lower-cased
}

// Query is a parsed search: every clause must hold; a clause holds when
// one of its terms does.
type Query struct {
	Clauses [][]Term
	// SpamTrash is set when the query names spam, trash or anywhere
	// itself: then messages in Spam and Trash are searched too.
	SpamTrash bool
}

// Parse reads q. Nothing is an error: unknown operators are words, as in
// Gmail.
func Parse(q string) Query {
	var out Query
	toks := tokenize(q)
	for i, tok := range toks {
		if tok == "OR" || tok == "|" {
			continue
		}
		t := parseTerm(tok)
		if t.Op == "in" && (t.Value == "spam" || t.Value == "trash" || t.Value == "anywhere") ||
			t.Op == "label" && (t.Value == "spam" || t.Value == "trash") {
			out.SpamTrash = true
		}
		if len(out.Clauses) > 0 && i > 0 && (toks[i-1] == "OR" || toks[i-1] == "|") {
			last := len(out.Clauses) - 1
			out.Clauses[last] = append(out.Clauses[last], t)
			continue
		}
		out.Clauses = append(out.Clauses, []Term{t})
	}
	return out
}

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

func parseTerm(tok string) Term {
	var t Term
	if strings.HasPrefix(tok, "-") && len(tok) > 1 {
		t.Neg = true
		tok = tok[1:]
	}
	if i := strings.IndexByte(tok, ':'); i > 0 && !strings.HasPrefix(tok, `"`) {
		if op := strings.ToLower(tok[:i]); knownOps[op] {
			t.Op = op
			tok = tok[i+1:]
		}
	}
	t.Value = strings.ToLower(strings.Trim(tok, `"(){}`))
	return t
}

var knownOps = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "subject": true, "is": true, "in": true,
	"label": true, "has": true, "newer_than": true, "older_than": true, "after": true, "before": true,
	"newer": true, "older": true, "filename": true, "rfc822msgid": true, "deliveredto": true,
	"larger": true, "smaller": true, "category": true, "list": true,
}

// inexactOps are operators on what the index does not keep (Bcc,
// Delivered-To, attachment names, the raw size, List-Id) or on labels it
// cannot tell apart by kind.
var inexactOps = map[string]bool{
	"bcc": true, "deliveredto": true, "filename": true, "larger": true, "smaller": true, "list": true,
}

// Exact reports whether the index answers the query exactly. A bare word
// is searched in the subject, sender, recipients and body text the index
// keeps; it is not searched in attachment names, and a body's text past
// the index's cap is not searched. A word longer than MaxWordBytes is not
// indexed, so a query holding one is not exact.
func (q Query) Exact() bool {
	for _, c := range q.Clauses {
		for _, t := range c {
			if inexactOps[t.Op] || t.Op == "has" && t.Value != "attachment" {
				return false
			}
			if wordFields[t.Op] != nil && !indexable(searchtext.Words(t.Value)) {
				return false
			}
		}
	}
	return true
}

// Empty reports whether the query has no terms (a plain listing).
func (q Query) Empty() bool { return len(q.Clauses) == 0 }

// SQL returns the query as a condition on mail_messages aliased m, in the
// dialect d, its values bound through arg (which returns the placeholder of
// a value it binds); now is the clock newer_than and older_than count from.
// Only for a query that is Exact. Words are found through the full-text
// index, labels through mail_message_labels (by its primary key), so that
// a search ordered by m.internal_date with a limit stops early.
func (q Query) SQL(d Dialect, arg func(any) string, now time.Time) string {
	if len(q.Clauses) == 0 {
		return "TRUE"
	}
	var and []string
	for _, c := range q.Clauses {
		var or []string
		for _, t := range c {
			cond := t.sql(d, arg, now)
			if t.Neg {
				cond = "NOT (" + cond + ")"
			}
			or = append(or, cond)
		}
		and = append(and, "("+strings.Join(or, " OR ")+")")
	}
	return strings.Join(and, " AND ")
}

// Candidates returns, on SQLite, a condition on mail_messages m that every
// message matching q meets and that the full-text index answers at once:
// the matches of the first clause made only of words. A listing that must
// look at every match (threads, which are ordered by their newest message
// rather than by the matching one) starts from it when it is small. ok is
// false on PostgreSQL, whose planner chooses by its statistics, and when q
// has no such clause.
func (q Query) Candidates(d Dialect, arg func(any) string) (cond string, ok bool) {
	if d != SQLite {
		return "", false
	}
	for _, c := range q.Clauses {
		var or []string
		for _, t := range c {
			ws := searchtext.Words(t.Value)
			if _, word := wordFields[t.Op]; t.Neg || !word || len(ws) == 0 || !indexable(ws) {
				or = nil
				break
			}
			// Without the unary + that keeps a newest-first search on the
			// date index, SQLite starts from the full-text matches.
			or = append(or, strings.TrimPrefix(words(d, t.Op, ws, arg), "+"))
		}
		if len(or) > 0 {
			return "(" + strings.Join(or, " OR ") + ")", true
		}
	}
	return "", false
}

// wordFields are the index's word columns each word operator searches (""
// is a bare word or phrase). Gmail also matches to: against the Bcc and
// Delivered-To headers, which the index does not keep: an address found
// only there is a limit of the index's answer, as the README says.
var wordFields = map[string][]string{
	"":        {"search_subject", "search_from", "search_to", "search_cc", "search_body"},
	"from":    {"search_from"},
	"to":      {"search_to", "search_cc"},
	"cc":      {"search_cc"},
	"subject": {"search_subject"},
}

// MaxWordBytes is the longest word the index keeps (PostgreSQL's limit on
// a lexeme is 2,047 bytes): a longer one is left out of the index, and a
// query for it falls through to Gmail.
const MaxWordBytes = 2046

func indexable(words []string) bool {
	for _, w := range words {
		if len(w) > MaxWordBytes {
			return false
		}
	}
	return true
}

// words is the condition that the words occur in a row in one of the
// fields. A term with no words (only punctuation) holds for every message.
//
// On PostgreSQL the GIN index finds the messages holding every word; a
// phrase, or a word searched in fewer fields than all, is then checked on
// the word columns themselves (space-padded, so that LIKE '% a b %' is an
// exact phrase match; words hold no LIKE wildcards), which also keeps a
// phrase from running across two fields. On SQLite FTS5 matches the phrase
// in the named columns exactly. SQLite's planner cannot tell a rare word
// from a common one, so the unary + keeps it off the search_rowid index:
// a search newest first then walks the date index, which covers
// search_rowid, and stops at its limit — a few milliseconds per 100,000
// messages for a rare word, where starting from the full-text matches
// costs a fetch and a sort of every message holding a common word.
func words(d Dialect, op string, ws []string, arg func(any) string) string {
	if len(ws) == 0 {
		return "TRUE"
	}
	fields := wordFields[op]
	if d == SQLite {
		match := `"` + strings.Join(ws, " ") + `"`
		if op != "" {
			match = "{" + strings.Join(fields, " ") + "} : " + match
		}
		return `+m.search_rowid IN (SELECT rowid FROM mail_search WHERE mail_search MATCH ` + arg(match) + `)`
	}
	lexemes := make([]string, len(ws))
	for i, w := range ws {
		lexemes[i] = "'" + w + "'"
	}
	cond := `m.search_tsv @@ CAST(` + arg(strings.Join(lexemes, " & ")) + ` AS tsquery)`
	if len(ws) == 1 && op == "" {
		return cond
	}
	p := arg("%" + searchtext.Normalize(strings.Join(ws, " ")) + "%")
	var or []string
	for _, f := range fields {
		or = append(or, "m."+f+" LIKE "+p)
	}
	return "(" + cond + " AND (" + strings.Join(or, " OR ") + "))"
}

// hasLabel is the condition that the message carries one of the label ids.
func hasLabel(arg func(any) string, labels ...string) string {
	ph := make([]string, len(labels))
	for i, l := range labels {
		ph[i] = arg(l)
	}
	return `EXISTS (SELECT 1 FROM mail_message_labels ml WHERE ml.account_id = m.account_id AND ml.label_id IN (` +
		strings.Join(ph, ", ") + `) AND ml.message_id = m.id)`
}

// OutsideSpamTrash is the condition that the message is neither in Spam nor
// in Trash: what a search adds unless the query names them (SpamTrash).
func OutsideSpamTrash(arg func(any) string) string {
	return "NOT " + hasLabel(arg, "SPAM", "TRASH")
}

func (t Term) sql(d Dialect, arg func(any) string, now time.Time) string {
	v := t.Value
	switch t.Op {
	case "", "from", "to", "cc", "subject":
		return words(d, t.Op, searchtext.Words(v), arg)
	case "rfc822msgid":
		return `LOWER(m.message_id_header) IN (` + arg("<"+strings.Trim(v, "<>")+">") + `, ` + arg(strings.Trim(v, "<>")) + `)`
	case "has":
		if v == "attachment" {
			return "m.has_attachment"
		}
		return "FALSE"
	case "is":
		switch v {
		case "unread":
			return "m.unread"
		case "read":
			return "NOT m.unread"
		case "starred", "important", "sent":
			return hasLabel(arg, strings.ToUpper(v))
		case "draft", "drafts":
			return hasLabel(arg, "DRAFT")
		}
		return "FALSE"
	case "in":
		switch v {
		case "anywhere":
			return "TRUE"
		case "inbox", "sent", "trash", "spam", "draft", "drafts", "starred", "important", "chats", "chat":
			if id := strings.ToUpper(v); strings.HasSuffix(id, "S") {
				return hasLabel(arg, id, strings.TrimSuffix(id, "S"))
			}
			return hasLabel(arg, strings.ToUpper(v))
		}
		return userLabel(v, arg)
	case "label", "category":
		if t.Op == "category" {
			v = "category_" + v
		}
		return "(" + hasLabel(arg, strings.ToUpper(v)) + " OR " + userLabel(v, arg) + ")"
	case "newer_than", "older_than":
		d, ok := relative(v, now)
		if !ok {
			return "FALSE"
		}
		if t.Op == "newer_than" {
			return "m.internal_date > " + arg(d.UnixMilli())
		}
		return "m.internal_date < " + arg(d.UnixMilli())
	case "after", "newer", "before", "older":
		d, ok := absolute(v)
		if !ok {
			return "FALSE"
		}
		if t.Op == "after" || t.Op == "newer" {
			return "m.internal_date >= " + arg(d.UnixMilli())
		}
		return "m.internal_date < " + arg(d.UnixMilli())
	}
	return "FALSE"
}

// userLabel matches a label by its name, case-insensitively (Gmail's label
// search also reads "-" and "/" in names as the same).
func userLabel(name string, arg func(any) string) string {
	return `EXISTS (SELECT 1 FROM mail_labels ul JOIN mail_message_labels ml ON ml.account_id = ul.account_id
		AND ml.label_id = ul.id WHERE ul.account_id = m.account_id AND LOWER(ul.name) = ` + arg(name) + ` AND ml.message_id = m.id)`
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

// absolute reads after/before values: YYYY/MM/DD (dashes too), midnight
// UTC, or epoch seconds.
func absolute(v string) (time.Time, bool) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	if t, err := time.Parse("2006/1/2", strings.ReplaceAll(v, "-", "/")); err == nil {
		return t, true
	}
	return time.Time{}, false
}
