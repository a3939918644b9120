package model

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// summarize writes the final answer from the results of a user message's
// tool calls. A search that only led to a thread or a draft is not retold.
func summarize(steps []step, loc *time.Location) string {
	followed := false
	for _, s := range steps {
		if s.call.Name == toolThread || s.call.Name == toolDraft || isAct(s.call.Name) {
			followed = true
		}
	}
	parts := []string{Label}
	for _, s := range steps {
		if followed && (s.call.Name == toolSearch || s.call.Name == toolEvents && actFollows(steps)) && !s.result.IsError {
			continue
		}
		parts = append(parts, summarizeStep(s, loc))
	}
	return strings.Join(parts, " ")
}

func summarizeStep(s step, loc *time.Location) string {
	v, parsed := extractJSON(s.result.Content)
	if msg := errorMessage(v); s.result.IsError || msg != "" {
		if msg == "" {
			msg = clip(s.result.Content, 160)
		}
		return fmt.Sprintf("I couldn't complete %s: %s.", s.call.Name, strings.TrimRight(msg, "."))
	}
	if !parsed {
		return fmt.Sprintf("The %s tool said: “%s”.", s.call.Name, clip(s.result.Content, 200))
	}
	if text, ok := actSummary(s.call, v, loc); ok && isAct(s.call.Name) {
		return text
	}
	switch s.call.Name {
	case toolSearch:
		return threadsSummary(v)
	case toolThread:
		return threadSummary(v)
	case toolEvents:
		return eventsSummary(s.call, v, loc)
	case toolFree:
		return slotsSummary(v, loc)
	case toolDraft:
		return draftSummary(s.call, v)
	}
	b, _ := json.Marshal(v)
	return fmt.Sprintf("The %s tool returned %s.", s.call.Name, clip(string(b), 200))
}

func threadsSummary(v any) string {
	threads := records(v)
	if len(threads) == 0 {
		return "I found no matching threads."
	}
	var items []string
	for _, t := range threads[:min(len(threads), 5)] {
		item := "“" + or(str(t, "subject"), "(no subject)") + "”"
		if from := displayName(str(t, "from", "sender")); from != "" {
			item += " from " + from
		}
		items = append(items, item)
	}
	s := fmt.Sprintf("I found %d %s: %s", len(threads), plural(len(threads), "thread", "threads"), strings.Join(items, "; "))
	if more := len(threads) - len(items); more > 0 {
		s += fmt.Sprintf("; and %d more", more)
	}
	return s + "."
}

func threadSummary(v any) string {
	recs := records(v)
	if len(recs) == 0 {
		return "The thread is empty."
	}
	thread := recs[0]
	msgs := objects(thread["messages"])
	subject := str(thread, "subject")
	if subject == "" && len(msgs) > 0 {
		subject = str(msgs[0], "subject")
	}
	if len(msgs) == 0 {
		s := fmt.Sprintf("The thread “%s”", or(subject, "(no subject)"))
		if from := displayName(str(thread, "from", "sender")); from != "" {
			s += " is from " + from
		}
		if text := str(thread, "snippet", "body_text", "body"); text != "" {
			s += ": “" + clip(text, 200) + "”"
		}
		return s + "."
	}
	latest := msgs[len(msgs)-1]
	s := fmt.Sprintf("The thread “%s” has %d %s; the latest", or(subject, "(no subject)"), len(msgs), plural(len(msgs), "message", "messages"))
	if from := displayName(str(latest, "from", "sender")); from != "" {
		s += ", from " + from + ","
	}
	if text := str(latest, "body_text", "text", "body", "snippet"); text != "" {
		return s + " says: “" + clip(text, 200) + "”."
	}
	return s + " has no text."
}

func eventsSummary(c ToolCall, v any, loc *time.Location) string {
	events := records(v)
	var args map[string]any
	_ = json.Unmarshal([]byte(c.Arguments), &args)
	span := ""
	if day, err := time.Parse(time.DateOnly, str(args, "date")); err == nil {
		days, _ := args["days"].(float64)
		span = "on " + day.Format("Mon 2 Jan")
		if days > 1 {
			span = "from " + day.Format("Mon 2 Jan") + " to " + day.AddDate(0, 0, int(days)-1).Format("Mon 2 Jan")
		}
	}
	if len(events) == 0 {
		if span != "" {
			return "You have no events " + span + "."
		}
		return "You have no upcoming events in that window."
	}
	var items []string
	for _, e := range events[:min(len(events), 8)] {
		item := "“" + or(str(e, "summary", "title", "name"), "(untitled)") + "”"
		if start := str(e, "start", "start_time"); start != "" {
			item += " at " + when(start, loc)
		}
		if loc := str(e, "location"); loc != "" {
			item += " (" + loc + ")"
		}
		items = append(items, item)
	}
	s := fmt.Sprintf("You have %d upcoming %s: %s", len(events), plural(len(events), "event", "events"), strings.Join(items, "; "))
	if span != "" {
		s = fmt.Sprintf("You have %d %s %s: %s", len(events), plural(len(events), "event", "events"), span, strings.Join(items, "; "))
	}
	if more := len(events) - len(items); more > 0 {
		s += fmt.Sprintf("; and %d more", more)
	}
	return s + "."
}

func slotsSummary(v any, loc *time.Location) string {
	var slots []map[string]any
	for _, r := range records(v) {
		if str(r, "start", "start_time") != "" {
			slots = append(slots, r)
		}
	}
	if len(slots) == 0 {
		return "I found no free slot of that length."
	}
	var items []string
	for _, sl := range slots[:min(len(slots), 5)] {
		item := when(str(sl, "start", "start_time"), loc)
		if end := str(sl, "end", "end_time"); end != "" {
			item += " – " + when(end, loc)
		}
		items = append(items, item)
	}
	return fmt.Sprintf("You're free %s: %s.", plural(len(slots), "once", fmt.Sprintf("in %d slots", len(slots))), strings.Join(items, "; "))
}

func draftSummary(c ToolCall, v any) string {
	var args map[string]any
	_ = json.Unmarshal([]byte(c.Arguments), &args)
	what := "a draft"
	if subject := str(args, "subject"); subject != "" {
		what += " “" + subject + "”"
	}
	m, _ := v.(map[string]any)
	if to := str(args, "to"); to != "" {
		what += " to " + to
	} else if to := str(m, "to"); to != "" {
		what += " to " + to
	}
	status := strings.ToLower(str(m, "status", "state"))
	if _, ok := m["approval_id"]; ok || hasAny(status, "pending", "approval", "awaiting") {
		return "I prepared " + what + "; it is waiting for your approval before it is saved."
	}
	s := "I saved " + what
	if id := str(m, "draft_id", "id"); id != "" {
		s += " (draft " + id + ")"
	}
	return s + ". Nothing was sent: review it in your drafts."
}

// extractJSON finds the JSON value in a tool result, which may be wrapped in
// an envelope such as <untrusted_content …>…</untrusted_content>.
func extractJSON(s string) (any, bool) {
	tries := 0
	for i := 0; i < len(s) && tries < 64; i++ {
		if s[i] != '{' && s[i] != '[' {
			continue
		}
		tries++
		var v any
		if json.NewDecoder(strings.NewReader(s[i:])).Decode(&v) == nil {
			return v, true
		}
	}
	return nil, false
}

// errorMessage returns the message of an {"error": …} result.
func errorMessage(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	switch e := m["error"].(type) {
	case string:
		return e
	case map[string]any:
		return or(str(e, "message", "detail", "title"), "error")
	}
	return ""
}

// recordKeys mark an object as a record worth telling: a thread, a message,
// an event, a slot.
var recordKeys = []string{"subject", "from", "sender", "snippet", "summary", "title", "start", "start_time"}

// records finds, depth first and in key order, the objects of v that look
// like records, without descending into a record.
func records(v any) []map[string]any {
	var out []map[string]any
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, k := range recordKeys {
				if _, ok := x[k]; ok {
					out = append(out, x)
					return
				}
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				walk(x[k])
			}
		}
	}
	walk(v)
	return out
}

func objects(v any) []map[string]any {
	list, _ := v.([]any)
	var out []map[string]any
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// str renders the first present key of m as text: strings as they are,
// people as "Name <address>", times by their dateTime or date, lists joined.
func str(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil {
			if s := text(v); s != "" {
				return s
			}
		}
	}
	return ""
}

func text(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		var parts []string
		for _, e := range x {
			if s := text(e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		if t := str(x, "date_time", "dateTime", "date"); t != "" {
			return t
		}
		name, addr := str(x, "name", "display_name"), str(x, "email", "address")
		switch {
		case name != "" && addr != "":
			return name + " <" + addr + ">"
		case addr != "":
			return addr
		}
		return name
	}
	return ""
}

// threadRef is what a follow-up needs from a search result's first thread.
type threadRef struct{ id, subject, address string }

// bestThread picks the search result the words name: the one whose
// subject, sender and snippet hold most of them, the first (newest) on a
// tie; the first when there are no words.
func bestThread(content string, words []string) (threadRef, bool) {
	v, ok := extractJSON(content)
	if !ok {
		return threadRef{}, false
	}
	recs := records(v)
	if len(recs) == 0 {
		return threadRef{}, false
	}
	t, best := recs[0], -1
	for _, r := range recs {
		if n := overlap(str(r, "subject")+" "+str(r, "from", "sender")+" "+str(r, "snippet"), words); n > best {
			t, best = r, n
		}
	}
	ref := threadRef{id: str(t, "thread_id", "threadId", "id"), subject: str(t, "subject")}
	from := str(t, "from", "sender")
	if msgs := objects(t["messages"]); from == "" && len(msgs) > 0 {
		from = str(msgs[0], "from", "sender")
	}
	ref.address = addressRE.FindString(from)
	return ref, true
}

// displayName shortens "Alice Example <alice@example.com>" to the name.
func displayName(from string) string {
	if i := strings.Index(from, "<"); i > 0 {
		return strings.Trim(strings.TrimSpace(from[:i]), `"`)
	}
	return from
}

// when renders an RFC 3339 time in loc or a date readably, and anything
// else as it is.
func when(s string, loc *time.Location) string {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		if loc == nil {
			loc = time.UTC
		}
		return t.In(loc).Format("Mon 2 Jan 15:04 MST")
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Format("Mon 2 Jan") + " (all day)"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
