// Package gmailquery reads Gmail's search language (the q of threads.list)
// and turns the part of it the local index can answer exactly into a SQL
// condition on the index's messages.
//
// The grammar is Gmail's as the sandbox models it: a conjunction of
// clauses; "a OR b" (or "a | b") joins terms into one clause; a term is a
// word, a "quoted phrase" or operator:value, and "-" negates it.
// Parentheses and braces are dropped (subject:(a b) reads as subject:a and
// the word b). Values match as case-insensitive substrings.
package gmailquery

import (
	"strconv"
	"strings"
	"time"
	"unicode"
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
// the index's cap is not searched.
func (q Query) Exact() bool {
	for _, c := range q.Clauses {
		for _, t := range c {
			if inexactOps[t.Op] || t.Op == "has" && t.Value != "attachment" {
				return false
			}
			if (t.Op == "" || t.Op == "from" || t.Op == "to" || t.Op == "cc" || t.Op == "subject") && t.Value == "" {
				return false
			}
		}
	}
	return true
}

// Empty reports whether the query has no terms (a plain listing).
func (q Query) Empty() bool { return len(q.Clauses) == 0 }

// SQL returns the query as a condition on mail_messages aliased m, its
// values bound through arg (which returns the placeholder of a value it
// binds); now is the clock newer_than and older_than count from. Only for
// a query that is Exact.
func (q Query) SQL(arg func(any) string, now time.Time) string {
	if len(q.Clauses) == 0 {
		return "TRUE"
	}
	var and []string
	for _, c := range q.Clauses {
		var or []string
		for _, t := range c {
			cond := t.sql(arg, now)
			if t.Neg {
				cond = "NOT (" + cond + ")"
			}
			or = append(or, cond)
		}
		and = append(and, "("+strings.Join(or, " OR ")+")")
	}
	return strings.Join(and, " AND ")
}

// like is a case-insensitive substring condition on a lower-cased text
// expression.
func like(expr, v string, arg func(any) string) string {
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(v)
	return expr + ` LIKE ` + arg("%"+esc+"%") + ` ESCAPE '\'`
}

// The lower-cased texts the index searches. Addresses read as a header
// shows them: "name <address>".
const (
	fromText    = `LOWER(m.from_name || ' <' || m.from_email || '>')`
	toText      = `LOWER(m.to_addrs)`
	ccText      = `LOWER(m.cc_addrs)`
	subjectText = `LOWER(m.subject)`
	bodyText    = `LOWER(m.body_text)`
)

func hasLabel(label string, arg func(any) string) string {
	return `m.labels LIKE ` + arg("% "+label+" %")
}

func (t Term) sql(arg func(any) string, now time.Time) string {
	v := t.Value
	switch t.Op {
	case "":
		return "(" + strings.Join([]string{like(subjectText, v, arg), like(fromText, v, arg), like(toText, v, arg),
			like(ccText, v, arg), like(bodyText, v, arg)}, " OR ") + ")"
	case "from":
		return like(fromText, v, arg)
	case "to":
		return "(" + like(toText, v, arg) + " OR " + like(ccText, v, arg) + ")"
	case "cc":
		return like(ccText, v, arg)
	case "subject":
		return like(subjectText, v, arg)
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
			return hasLabel("UNREAD", arg)
		case "read":
			return "NOT " + hasLabel("UNREAD", arg)
		case "starred", "important", "sent":
			return hasLabel(strings.ToUpper(v), arg)
		case "draft", "drafts":
			return hasLabel("DRAFT", arg)
		}
		return "FALSE"
	case "in":
		switch v {
		case "anywhere":
			return "TRUE"
		case "inbox", "sent", "trash", "spam", "draft", "drafts", "starred", "important", "chats", "chat":
			return "(" + hasLabel(strings.TrimSuffix(strings.ToUpper(v), "S"), arg) + " OR " + hasLabel(strings.ToUpper(v), arg) + ")"
		}
		return userLabel(v, arg)
	case "label", "category":
		if t.Op == "category" {
			v = "category_" + v
		}
		return "(" + hasLabel(strings.ToUpper(v), arg) + " OR " + userLabel(v, arg) + ")"
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
	return `EXISTS (SELECT 1 FROM mail_labels ul WHERE ul.account_id = m.account_id AND LOWER(ul.name) = ` + arg(name) +
		` AND m.labels LIKE '% ' || ul.id || ' %')`
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
