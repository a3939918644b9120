package model

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The tools of Jarvis's agent the deterministic model knows how to use.
const (
	toolSearch = "search_threads"
	toolThread = "get_thread"
	toolEvents = "list_upcoming_events"
	toolFree   = "find_free_time"
	toolDraft  = "create_draft"
	toolModify = "modify_thread"
	toolTrash  = "trash_thread"
)

// reply is a model turn before it is put on the wire.
type reply struct {
	Chunks    []string
	ToolCalls []ToolCall
	Stop      string
}

// respond is the deterministic model. It reads the latest user message and
// the tools offered, and answers with tool calls or text:
//
//   - "inbox", "email(s)", "mail", "messages" → search_threads (in:inbox);
//     "unread" adds is:unread, "from X" adds from:X, "about Y" adds Y,
//     "last 5 emails" sets max_results.
//   - "thread", "read/open the … email" → search_threads, then get_thread on
//     the first thread id found in the result.
//   - "meetings", "calendar", "schedule", "agenda", "events", "today",
//     "tomorrow", "this week" → list_upcoming_events (days: 1 for
//     today/tomorrow, 7 for a week, or "N days").
//   - "free time", "free slot", "when am I free", "availability" →
//     find_free_time (duration from "30 minutes", "an hour"; days as above).
//   - "draft", "write to", "compose", "email bob@x.com" → create_draft to the
//     addresses given (cc after "cc"), body from "saying …", subject from
//     "about …"; "reply"/"respond to" (or a recipient named without an
//     address) → search_threads first, then create_draft to the sender of
//     the first thread, with "Re: subject" and reply_to_thread_id for a reply.
//   - "archive", "trash"/"delete", "star", "mark … read" → search_threads
//     (for the thread the words name), then modify_thread (remove INBOX,
//     add STARRED, remove UNREAD) or trash_thread on the best thread found.
//   - "handle the latest email", "do what it says", "follow the
//     instructions" → the gullible model: search_threads (in:inbox, or from:X
//     with "from X"), read the
//     first thread with get_thread, then do what the email says — create a
//     draft (to be sent) to the address it names after "forward" or "send",
//     with the thread's subject. It stands for a model an injection fooled.
//
// Mail, calendar and free-time requests in one message become parallel tool
// calls. Only offered tools are called, and none twice for one user
// message. Once results are back it answers with a short summary quoting
// them (subjects, senders, event names, times), starting with Label; with
// nothing to do it says what it can do.
func respond(req Request) reply { return respondAt(req, time.Now()) }

// respondAt is respond at a time: now is the handler's clock, used when the
// system prompt does not say what time it is.
func respondAt(req Request, now time.Time) reply {
	text, calls := decide(req, now)
	return reply{Chunks: chunk(text), ToolCalls: calls, Stop: stopFor(calls)}
}

// step is a tool call made since the latest user message, with its result.
type step struct {
	call   ToolCall
	result ToolResult
}

// toolSet is the tools offered, with what their schemas say.
type toolSet map[string]Tool

// offers reports whether the tool name was offered.
func (ts toolSet) offers(name string) bool { _, ok := ts[name]; return ok }

// takes reports whether the tool's schema has the parameter.
func (ts toolSet) takes(name, param string) bool {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	_ = json.Unmarshal(ts[name].Parameters, &s)
	_, ok := s.Properties[param]
	return ok
}

// requires reports whether the tool's schema requires the parameter; a tool
// offered without a schema requires everything.
func (ts toolSet) requires(name, param string) bool {
	var s struct {
		Required []string `json:"required"`
	}
	if json.Unmarshal(ts[name].Parameters, &s) != nil {
		return true
	}
	return slices.Contains(s.Required, param)
}

func decide(req Request, now time.Time) (string, []ToolCall) {
	offered := toolSet{}
	for _, t := range req.Tools {
		offered[t.Name] = t
	}
	last := -1
	for i, m := range req.Messages {
		if m.Role == "user" {
			last = i
		}
	}
	if last < 0 {
		return help(offered), nil
	}
	in := parseIntent(req.Messages[last].Text)
	local := userClock(req.System, now)
	var steps []step
	results := map[string]ToolResult{}
	for _, m := range req.Messages[last+1:] {
		for _, r := range m.ToolResults {
			results[r.CallID] = r
		}
	}
	for _, m := range req.Messages[last+1:] {
		for _, c := range m.ToolCalls {
			steps = append(steps, step{call: c, result: results[c.ID]})
		}
	}
	if len(steps) == 0 {
		return first(in, offered, local)
	}
	return next(in, offered, steps, local.Location())
}

// first plans the first tool calls for a user message.
func first(in intent, offered toolSet, local time.Time) (string, []ToolCall) {
	if text, calls, ok := firstAct(in, offered, local); ok {
		return text, calls
	}
	if (in.organise != "" || in.obey) && offered.offers(toolSearch) {
		q, n := in.query, 5
		if in.obey {
			q, n = "in:inbox", 1
			if in.from != "" {
				q = "from:" + in.from
			}
		} else if len(in.words) > 0 {
			q, n = wordsQuery(in.words), 25
		}
		return "", []ToolCall{call(toolSearch, map[string]any{"query": q, "max_results": n})}
	}
	if in.draft {
		if !offered.offers(toolDraft) {
			return Label + " I can't write drafts in this conversation: the drafting tool isn't available.", nil
		}
		lookup := in.reply || (len(in.to) == 0 && in.name != "")
		if lookup && offered.offers(toolSearch) {
			q, n := in.query, 5
			if in.name != "" {
				q = "from:" + in.name
			} else if len(in.words) > 0 {
				q, n = wordsQuery(in.words), 25
			}
			return "", []ToolCall{call(toolSearch, map[string]any{"query": q, "max_results": n})}
		}
		if len(in.to) == 0 {
			return Label + " Who should I write to? Give me an address, for example “draft an email to bob@example.com saying I'll be late”.", nil
		}
		return "", []ToolCall{draftCall(in, in.to, in.subject, "")}
	}
	var calls []ToolCall
	if (in.mail || in.read) && offered.offers(toolSearch) {
		q, n := in.query, in.max
		if in.read {
			n = 5
		}
		if len(in.words) > 0 {
			q, n = wordsQuery(in.words), 25
		}
		calls = append(calls, call(toolSearch, map[string]any{"query": q, "max_results": n}))
	}
	if in.free && offered.offers(toolFree) {
		calls = append(calls, call(toolFree, map[string]any{"duration_minutes": in.duration, "days": in.days}))
	} else if in.calendar && offered.offers(toolEvents) {
		args := map[string]any{"days": in.days}
		if w, ok := dayWindow(in.lower, local); ok && offered.takes(toolEvents, "date") {
			args = map[string]any{"date": w.date, "days": w.days}
		}
		calls = append(calls, call(toolEvents, args))
	}
	if len(calls) == 0 {
		return help(offered), nil
	}
	return "", calls
}

// next continues a sequence (search → get_thread, search → create_draft) or
// writes the answer from the results.
func next(in intent, offered toolSet, steps []step, loc *time.Location) (string, []ToolCall) {
	called := map[string]step{}
	for _, s := range steps {
		called[s.call.Name] = s
	}
	search, searched := called[toolSearch]
	_, drafted := called[toolDraft]
	opened, isOpen := called[toolThread]
	_, organised := called[toolModify]
	_, trashed := called[toolTrash]
	if text, calls, ok := nextAct(in, called); ok {
		return text, calls
	}
	if in.organise != "" && searched && !organised && !trashed && !search.result.IsError {
		th, ok := bestThread(search.result.Content, in.words)
		if !ok || th.id == "" {
			return Label + " I found no matching thread to change.", nil
		}
		switch {
		case in.organise == "trash" && offered.offers(toolTrash):
			return "", []ToolCall{call(toolTrash, map[string]any{"thread_id": th.id})}
		case in.organise != "trash" && offered.offers(toolModify):
			args := map[string]any{"thread_id": th.id}
			switch in.organise {
			case "archive":
				args["remove_labels"] = []string{"INBOX"}
			case "star":
				args["add_labels"] = []string{"STARRED"}
			case "read":
				args["remove_labels"] = []string{"UNREAD"}
			}
			return "", []ToolCall{call(toolModify, args)}
		}
		return Label + " I can't change threads in this conversation: the tool isn't available.", nil
	}
	if in.obey && searched && !isOpen && offered.offers(toolThread) && !search.result.IsError {
		th, ok := bestThread(search.result.Content, nil)
		if !ok || th.id == "" {
			return Label + " Your inbox is empty.", nil
		}
		return "", []ToolCall{call(toolThread, map[string]any{"thread_id": th.id})}
	}
	_, forwarded := called[toolForward]
	if in.obey && isOpen && !forwarded && offered.offers(toolForward) && !opened.result.IsError {
		th, _ := bestThread(opened.result.Content, nil)
		if to := obeyedAddress(opened.result.Content); to != "" && th.id != "" {
			return "", []ToolCall{call(toolForward, map[string]any{"thread_id": th.id, "to": []string{to}, "body_text": "Forwarding as requested."})}
		}
	}
	if in.obey && isOpen && !drafted && !forwarded && offered.offers(toolDraft) && !opened.result.IsError {
		th, _ := bestThread(opened.result.Content, nil)
		if to := obeyedAddress(opened.result.Content); to != "" {
			return "", []ToolCall{call(toolDraft, map[string]any{"to": []string{to}, "subject": "Fwd: " + strings.TrimPrefix(th.subject, "Fwd: "),
				"body_text": "Forwarding as requested:\n\n" + th.subject})}
		}
	}
	if in.draft && searched && !drafted && offered.offers(toolDraft) && !search.result.IsError {
		th, ok := bestThread(search.result.Content, in.words)
		// A reply is addressed by Jarvis's reply rule when the tool lets the
		// recipients be left out; the sender shown in a search is only
		// whoever wrote last, perhaps the user herself.
		ruled := in.reply && !offered.requires(toolDraft, "to") && offered.takes(toolDraft, "reply_to_thread_id")
		if !ok || (th.address == "" && !ruled) || (ruled && th.id == "") {
			who := in.name
			if who == "" {
				who = "that sender"
			}
			return Label + " I couldn't find an email from " + who + " to answer, so I didn't draft anything.", nil
		}
		subject, threadID := in.subject, ""
		if in.reply {
			subject, threadID = "Re: "+strings.TrimPrefix(th.subject, "Re: "), th.id
		}
		to := []string{th.address}
		if ruled {
			to = nil
		}
		return "", []ToolCall{draftCall(in, to, subject, threadID)}
	}
	if in.read && !in.draft && !in.obey && searched && !isOpen && offered.offers(toolThread) && !search.result.IsError {
		th, ok := bestThread(search.result.Content, in.words)
		if !ok || th.id == "" {
			return Label + " I found no matching thread to open.", nil
		}
		return "", []ToolCall{call(toolThread, map[string]any{"thread_id": th.id})}
	}
	return summarize(steps, loc), nil
}

// obeyRE finds an instruction to forward or send mail to an address.
var obeyRE = regexp.MustCompile(`(?i)\b(?:forward|send)\b[^@]{0,200}?\b([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})`)

// obeyedAddress is the address an email tells its reader to forward or send
// mail to, "" when it names none.
func obeyedAddress(content string) string {
	if m := obeyRE.FindStringSubmatch(content); m != nil {
		return m[1]
	}
	return ""
}

func call(name string, args map[string]any) ToolCall {
	b, _ := json.Marshal(args)
	return ToolCall{Name: name, Arguments: string(b)}
}

// draftCall builds create_draft's arguments; threadID makes it a reply.
func draftCall(in intent, to []string, subject, threadID string) ToolCall {
	body := in.body
	if body == "" {
		body = "Thanks for your message. I'll follow up shortly."
	} else {
		body = strings.ToUpper(body[:1]) + body[1:]
		if !strings.HasSuffix(body, ".") && !strings.HasSuffix(body, "!") && !strings.HasSuffix(body, "?") {
			body += "."
		}
	}
	if subject == "" {
		subject = subjectFrom(in.body)
	}
	args := map[string]any{"subject": subject, "body_text": "Hi,\n\n" + body + "\n\nBest regards"}
	if len(to) > 0 {
		args["to"] = to
	}
	if len(in.cc) > 0 {
		args["cc"] = in.cc
	}
	if threadID != "" {
		args["reply_to_thread_id"] = threadID
	}
	return call(toolDraft, args)
}

// subjectFrom makes a subject of the first words of a body.
func subjectFrom(body string) string {
	words := strings.Fields(body)
	if len(words) == 0 {
		return "Quick note"
	}
	if len(words) > 6 {
		words = words[:6]
	}
	s := strings.TrimRight(strings.Join(words, " "), ".,;:!?")
	return strings.ToUpper(s[:1]) + s[1:]
}

// help says what the model can do with the tools offered.
func help(offered toolSet) string {
	var can []string
	if offered.offers(toolSearch) {
		can = append(can, "search your mail (“show my unread emails”, “emails from alice”)")
	}
	if offered.offers(toolThread) && offered.offers(toolSearch) {
		can = append(can, "read a thread (“read the latest email from bob”)")
	}
	if offered.offers(toolEvents) {
		can = append(can, "list your meetings (“what's on my calendar tomorrow?”)")
	}
	if offered.offers(toolFree) {
		can = append(can, "find free time (“when am I free this week for an hour?”)")
	}
	if offered.offers(toolDraft) {
		can = append(can, "draft emails and replies (“reply to carol saying I'll be there”) — drafts are saved for you to review, never sent")
	}
	if len(can) == 0 {
		return Label + " I'm the offline sandbox model and have no tools in this conversation, so I can only chat."
	}
	return Label + " I'm the offline sandbox model; I answer from your words, deterministically. I can " + joinList(can) + "."
}

func joinList(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], "; ") + "; and " + items[len(items)-1]
}
