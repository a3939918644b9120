package model

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The tools of Jarvis's agent that send mail or change the calendar (each
// asks the owner's approval queue), and the meeting-time proposals.
const (
	toolSendEmail  = "send_email"
	toolReplyEmail = "reply_email"
	toolForward    = "forward_email"
	toolCreate     = "create_event"
	toolUpdate     = "update_event"
	toolCancel     = "cancel_event"
	toolRSVP       = "rsvp_event"
	toolSuggest    = "suggest_meeting_times"
)

// Acts the deterministic model reads (intent.act):
//
//   - "send an email to bob@x.com saying …" (no "draft") → send_email;
//   - "reply all to the dinner thread saying …", or "send a reply to …" →
//     search_threads, then reply_email (reply_all for "reply all"), the
//     recipients left to Jarvis;
//   - "forward the dinner thread to bob@x.com" → search_threads, then
//     forward_email of the best thread;
//   - "schedule a meeting “Budget” on 2026-12-10 at 14:00 for an hour in
//     America/New_York with bob@x.com" → create_event (asks for the time
//     zone when none is named);
//   - "accept / decline / tentatively accept the “Budget” invitation
//     saying …" → list_upcoming_events (30 days), then rsvp_event;
//   - "cancel the “Budget” meeting" → list_upcoming_events, then
//     cancel_event; "move the “Budget” meeting to 15:00" → update_event;
//   - "propose / suggest times for a meeting with bob@x.com" →
//     suggest_meeting_times.
const (
	actSend    = "send"
	actReply   = "reply"
	actForward = "forward"
	actCreate  = "create"
	actRSVP    = "rsvp"
	actCancel  = "cancel"
	actMove    = "move"
	actPropose = "propose"
)

var (
	quotedRE = regexp.MustCompile(`[“"]([^”"]{1,200})[”"]`)
	titleRE  = regexp.MustCompile(`(?i)\b(?:called|titled|named)\s+(.+?)(?:\s+(?:on|at|for|with|in|tomorrow|today)\b|[.,;!?]|$)`)
	dateRE   = regexp.MustCompile(`\b(\d{4}-\d{2}-\d{2})\b`)
	clockRE  = regexp.MustCompile(`(?i)\b(\d{1,2}):(\d{2})\s*(am|pm)?\b|\bat\s+(\d{1,2})\s*(am|pm)\b`)
	ianaRE   = regexp.MustCompile(`\b((?:Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)/[A-Za-z_]+(?:/[A-Za-z_]+)?|UTC)\b`)
)

// parseAct reads the acts above into in.
func parseAct(text, head, lower string, in *intent) {
	if in.obey {
		return
	}
	sendWord := hasAny(lower, "send") && !hasAny(lower, "draft")
	in.replyAll = hasAny(lower, "reply all", "reply-all", "reply to all", "reply to everyone", "reply to everybody", "respond to all")
	eventWords := hasAny(lower, "meeting", "event", "call", "appointment", "invitation", "invite")
	if m := quotedRE.FindStringSubmatch(text); m != nil {
		in.title = strings.TrimSpace(m[1])
	} else if m := titleRE.FindStringSubmatch(text); m != nil {
		in.title = strings.TrimSpace(m[1])
	}
	in.date = dateRE.FindString(text)
	if m := clockRE.FindStringSubmatch(text); m != nil {
		h, mm, ampm := m[1], m[2], strings.ToLower(m[3])
		if h == "" {
			h, mm, ampm = m[4], "00", strings.ToLower(m[5])
		}
		var hour, minute int
		fmt.Sscan(h, &hour)
		fmt.Sscan(mm, &minute)
		if ampm == "pm" && hour < 12 {
			hour += 12
		} else if ampm == "am" && hour == 12 {
			hour = 0
		}
		if hour < 24 && minute < 60 {
			in.clock = fmt.Sprintf("%02d:%02d", hour, minute)
		}
	}
	in.zone = ianaRE.FindString(text)
	switch {
	case hasAny(lower, "forward") && len(addressRE.FindAllString(head, -1)) > 0:
		in.act = actForward
		in.to = addressRE.FindAllString(head, -1)
	case in.reply && (in.replyAll || sendWord):
		in.act = actReply
	case in.draft && sendWord && len(in.to) > 0:
		in.act = actSend
	case hasAny(lower, "propose", "suggest") && hasAny(lower, "time", "slot"):
		in.act = actPropose
	case hasAny(lower, "create an event", "create a meeting", "create an appointment", "book a meeting", "book a call", "schedule a meeting",
		"schedule a call", "set up a meeting", "set up a call", "add an event", "add a meeting", "put a meeting"):
		in.act = actCreate
	case eventWords && hasAny(lower, "accept", "decline", "tentative", "rsvp"):
		in.act = actRSVP
		switch {
		case hasAny(lower, "tentative", "maybe"):
			in.response = "tentative"
		case hasAny(lower, "decline"):
			in.response = "declined"
		default:
			in.response = "accepted"
		}
	case eventWords && hasAny(lower, "cancel", "call off"):
		in.act = actCancel
	case eventWords && hasAny(lower, "move", "reschedule", "push"):
		in.act = actMove
	}
	if in.act == "" {
		return
	}
	in.draft, in.organise, in.free, in.calendar, in.read = false, "", false, false, false
	if in.act == actReply || in.act == actForward {
		in.words = distinctWords(head, "all everyone everybody")
	}
	if in.act == actRSVP || in.act == actCancel || in.act == actMove {
		in.words = distinctWords(head, "accept accepted decline declined tentative tentatively maybe rsvp invitation invite cancel call off move "+
			"reschedule push meeting event appointment")
		if in.title != "" {
			in.words = distinctWords(in.title)
		}
	}
}

// firstAct plans the first call of an act; ok is false when in is no act.
func firstAct(in intent, offered toolSet, local time.Time) (string, []ToolCall, bool) {
	need := map[string]string{actSend: toolSendEmail, actReply: toolReplyEmail, actForward: toolForward, actCreate: toolCreate,
		actRSVP: toolRSVP, actCancel: toolCancel, actMove: toolUpdate, actPropose: toolSuggest}[in.act]
	if need == "" {
		return "", nil, false
	}
	if !offered.offers(need) {
		return Label + " I can't do that in this conversation: the " + need + " tool isn't available.", nil, true
	}
	switch in.act {
	case actSend:
		args := map[string]any{"to": in.to, "subject": or(in.subject, subjectFrom(in.body)), "body_text": bodyOf(in)}
		if len(in.cc) > 0 {
			args["cc"] = in.cc
		}
		return "", []ToolCall{call(toolSendEmail, args)}, true
	case actReply, actForward:
		q, n := in.query, 5
		if in.from != "" {
			q = "from:" + in.from
		} else if len(in.words) > 0 {
			q, n = wordsQuery(in.words), 25
		}
		return "", []ToolCall{call(toolSearch, map[string]any{"query": q, "max_results": n})}, true
	case actPropose:
		addrs := addressRE.FindAllString(in.lower, -1)
		if len(addrs) == 0 {
			return Label + " With whom? Give me their addresses, for example “propose times for a meeting with bob@example.com”.", nil, true
		}
		return "", []ToolCall{call(toolSuggest, map[string]any{"attendees": addrs, "duration_minutes": in.duration})}, true
	case actCreate:
		if in.zone == "" {
			return Label + " In which time zone? Name it, for example “at 14:00 in Europe/London”: I never guess one for an event.", nil, true
		}
		if in.clock == "" {
			return Label + " At what time? For example “on 2026-12-10 at 14:00 in " + in.zone + "”.", nil, true
		}
		loc, err := time.LoadLocation(in.zone)
		if err != nil {
			return Label + " I don't know the time zone " + in.zone + ".", nil, true
		}
		date := in.date
		if date == "" {
			if w, ok := dayWindow(in.lower, local.In(loc)); ok {
				date = w.date
			} else {
				date = local.In(loc).AddDate(0, 0, 1).Format(time.DateOnly)
			}
		}
		start, err := time.ParseInLocation("2006-01-02 15:04", date+" "+in.clock, loc)
		if err != nil {
			return Label + " I couldn't read the date.", nil, true
		}
		end := start.Add(time.Duration(in.duration) * time.Minute)
		args := map[string]any{"summary": or(in.title, "Meeting"), "start": start.Format("2006-01-02T15:04"), "end": end.Format("2006-01-02T15:04"),
			"time_zone": in.zone}
		if addrs := addressRE.FindAllString(in.lower, -1); len(addrs) > 0 {
			args["attendees"] = addrs
			args["send_updates"] = "all"
		}
		return "", []ToolCall{call(toolCreate, args)}, true
	}
	// rsvp, cancel, move: find the event first.
	return "", []ToolCall{call(toolEvents, map[string]any{"days": 30, "max_results": 50})}, true
}

// nextAct continues an act after its lookup; ok is false when in is no
// act or the act is done (then the results are summarised).
func nextAct(in intent, called map[string]step) (string, []ToolCall, bool) {
	for _, t := range []string{toolSendEmail, toolReplyEmail, toolForward, toolCreate, toolUpdate, toolCancel, toolRSVP, toolSuggest} {
		if _, done := called[t]; done {
			return "", nil, false
		}
	}
	switch in.act {
	case actReply, actForward:
		search, ok := called[toolSearch]
		if !ok || search.result.IsError {
			return "", nil, false
		}
		th, found := bestThread(search.result.Content, in.words)
		if !found || th.id == "" {
			return Label + " I found no matching thread.", nil, true
		}
		if in.act == actForward {
			args := map[string]any{"thread_id": th.id, "to": in.to}
			if in.body != "" {
				args["body_text"] = bodyOf(in)
			}
			return "", []ToolCall{call(toolForward, args)}, true
		}
		return "", []ToolCall{call(toolReplyEmail, map[string]any{"thread_id": th.id, "body_text": bodyOf(in), "reply_all": in.replyAll})}, true
	case actRSVP, actCancel, actMove:
		list, ok := called[toolEvents]
		if !ok || list.result.IsError {
			return "", nil, false
		}
		ev, found := bestEvent(list.result.Content, in.words)
		if !found {
			return Label + " I found no matching event in the next 30 days.", nil, true
		}
		id := str(ev, "event_id", "id")
		switch in.act {
		case actRSVP:
			args := map[string]any{"event_id": id, "response": in.response}
			if in.body != "" {
				args["comment"] = in.body
			}
			return "", []ToolCall{call(toolRSVP, args)}, true
		case actCancel:
			return "", []ToolCall{call(toolCancel, map[string]any{"event_id": id, "send_updates": "all"})}, true
		}
		zone := or(in.zone, str(ev, "time_zone"))
		loc, err := time.LoadLocation(zone)
		if err != nil || zone == "" || in.clock == "" {
			return Label + " To when? Give a time and a time zone, for example “to 15:00 in Europe/London”.", nil, true
		}
		date := in.date
		if date == "" {
			if t, err := time.Parse(time.RFC3339, str(ev, "start")); err == nil {
				date = t.In(loc).Format(time.DateOnly)
			}
		}
		return "", []ToolCall{call(toolUpdate, map[string]any{"event_id": id, "start": date + "T" + in.clock, "time_zone": zone})}, true
	}
	return "", nil, false
}

// bestEvent picks the listed event whose title has most of words.
func bestEvent(content string, words []string) (map[string]any, bool) {
	v, ok := extractJSON(content)
	if !ok {
		return nil, false
	}
	best, n := map[string]any(nil), 0
	for _, r := range records(v) {
		if str(r, "event_id", "id") == "" {
			continue
		}
		if k := overlap(str(r, "summary", "title"), words); k > n || best == nil && len(words) == 0 {
			best, n = r, k
		}
	}
	return best, best != nil
}

// bodyOf is the body the user dictated, as a short note.
func bodyOf(in intent) string {
	body := in.body
	if body == "" {
		body = "Thanks for your message. I'll follow up shortly."
	} else {
		body = strings.ToUpper(body[:1]) + body[1:]
		if !strings.HasSuffix(body, ".") && !strings.HasSuffix(body, "!") && !strings.HasSuffix(body, "?") {
			body += "."
		}
	}
	return "Hi,\n\n" + body + "\n\nBest regards"
}

// actSummary tells what became of an act's request: awaiting the owner,
// done under their policy, or the proposals found.
func actSummary(c ToolCall, v any, loc *time.Location) (string, bool) {
	m, _ := v.(map[string]any)
	switch {
	case c.Name == toolSuggest:
		var slots []string
		for _, p := range objects(m["proposals"]) {
			slots = append(slots, when(str(p, "start"), loc))
		}
		if len(slots) == 0 {
			return "I found no time that suits everyone.", true
		}
		return fmt.Sprintf("Times that suit everyone: %s.", strings.Join(slots[:min(len(slots), 5)], "; ")), true
	case m == nil:
		return "", false
	case str(m, "status") == "awaiting_approval":
		return fmt.Sprintf("I asked to %s; it awaits your approval (action %s).", lowerFirst(str(m, "summary")), str(m, "action_id")), true
	case str(m, "status") == "done":
		return fmt.Sprintf("Done, as your policy allows: %s.", lowerFirst(str(m, "summary"))), true
	}
	return "", false
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// isAct reports whether a tool is one of the acts'.
func isAct(name string) bool {
	switch name {
	case toolSendEmail, toolReplyEmail, toolForward, toolCreate, toolUpdate, toolCancel, toolRSVP, toolSuggest:
		return true
	}
	return false
}

// actFollows reports whether an act's tool was called among steps.
func actFollows(steps []step) bool {
	for _, s := range steps {
		if isAct(s.call.Name) {
			return true
		}
	}
	return false
}
