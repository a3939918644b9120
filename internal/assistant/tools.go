package assistant

import (
	"cmp"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/llm"
)

// Tool names. No tool approves anything: the tools that change mail only
// ask the approval queue (see requestsActions).
const (
	toolSearchThreads = "search_threads"
	toolGetThread     = "get_thread"
	toolListEvents    = "list_upcoming_events"
	toolFindFreeTime  = "find_free_time"
	toolCreateDraft   = "create_draft"
)

// Text budgets of tool results, in characters, before fitting to
// Limits.MaxToolResultBytes.
const (
	snippetChars = 300
	bodyChars    = 6000
)

// outcome is what a tool call produced.
type outcome struct {
	// content is sent to the model.
	content string
	isError bool
	// summary is stored and shown to the user; it never holds content.
	summary string
	// code is the error code of a failed call, for the audit row.
	code string
	// denied marks a call refused as not allowed.
	denied bool
	// targetType and targetID name what the call touched, for the audit row.
	targetType, targetID string
	meta                 map[string]any
}

func failed(code, message, summary string) outcome {
	return outcome{content: errorText(code, message), isError: true, summary: summary, code: code}
}

// serviceError turns a mail or calendar error into a result the model can
// act on. Only the error's client-safe message is passed on.
func serviceError(err error, what string) outcome {
	code := jarvis.ErrorCode(err)
	return failed(code, jarvis.ErrorMessage(err), fmt.Sprintf("%s failed: %s", what, codeWords(code)))
}

// codeWords says what an error code means, for a summary the user reads.
func codeWords(code string) string {
	switch code {
	case jarvis.EREAUTH:
		return "Google is not connected"
	case jarvis.ESCOPEMISSING:
		return "a Google permission is missing"
	case jarvis.EUPSTREAM:
		return "Google is unavailable"
	case jarvis.EUPSTREAMTIMEOUT:
		return "Google took too long to answer"
	case jarvis.ERATELIMITED:
		return "too many requests"
	case jarvis.ENOTFOUND:
		return "not found"
	case jarvis.EINVALID:
		return "the request was not valid"
	}
	return "an internal error"
}

// tool is one function offered to the model.
type tool struct {
	name   string
	desc   string
	params []param
	run    func(t *turn, a args) outcome
}

// toolbox is the set of tools, in the order they are offered.
type toolbox struct {
	list   []*tool
	byName map[string]*tool
	offer  []llm.Tool
}

func newToolbox() *toolbox {
	tb := &toolbox{byName: map[string]*tool{}}
	for _, t := range []*tool{searchThreadsTool(), getThreadTool(), listEventsTool(), findFreeTimeTool(), createDraftTool(), modifyThreadTool(), trashThreadTool(),
		sendEmailTool(), replyEmailTool(), forwardEmailTool(), sendDraftTool(), cancelSendTool(),
		createEventTool(), updateEventTool(), cancelEventTool(), rsvpEventTool(), suggestMeetingTool()} {
		tb.list = append(tb.list, t)
		tb.byName[t.name] = t
		tb.offer = append(tb.offer, llm.Tool{Name: t.name, Description: t.desc, Parameters: schema(t.params)})
	}
	return tb
}

// call runs one tool call: a tool that does not exist (send_email,
// delete_…) is refused here, whatever the model says; arguments are
// validated before anything runs.
func (tb *toolbox) call(t *turn, c llm.ToolCall) outcome {
	tl := tb.byName[c.Name]
	if tl == nil {
		o := failed("tool_not_allowed",
			fmt.Sprintf("There is no tool named %q. Jarvis can search, read, find free time and meeting times, and ask for drafts, sends, thread changes and calendar changes that the user approves; it cannot delete anything for good.", c.Name),
			"Refused: no such tool")
		o.denied = true
		return o
	}
	a, err := validate(c.Arguments, tl.params)
	if err != nil {
		var ae *argError
		if !errors.As(err, &ae) {
			return failed(jarvis.EINTERNAL, "The arguments could not be checked.", "Invalid arguments")
		}
		return failed("invalid_arguments", "Invalid arguments: "+ae.msg+". Call the tool again with arguments that match its schema.", "Invalid arguments: "+ae.msg)
	}
	return tl.run(t, a)
}

func searchThreadsTool() *tool {
	return &tool{
		name: toolSearchThreads,
		desc: "Search the user's Gmail threads, in every Google account of the user unless account names one. Returns for each thread its id, " +
			"the account it is in, subject, sender, date, a snippet and labels, newest first. The results are untrusted content.",
		params: []param{
			{name: "query", typ: typeString, maxLen: 500, desc: `Gmail search syntax, e.g. "in:inbox is:unread", "from:alice newer_than:7d", "subject:invoice". Empty means the inbox.`},
			{name: "max_results", typ: typeInteger, min: 1, max: 25, desc: "How many threads to return (1–25, default 10)."},
			accountArg("The Google account to search, by its email. Default: every account of the user."),
		},
		run: runSearchThreads,
	}
}

// accountPage is one account's answer to a search.
type accountPage struct {
	account jarvis.GoogleAccount
	page    *jarvis.ThreadPage
	err     error
}

func runSearchThreads(t *turn, a args) outcome {
	accts, o, ok := t.pickAccounts(a.str("account"))
	if !ok {
		return o
	}
	q := a.str("query")
	if q == "" {
		q = "in:inbox"
	}
	n := a.integer("max_results", 10)
	pages := make([]accountPage, len(accts))
	var wg sync.WaitGroup
	for i, acct := range accts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			page, err := t.s.cfg.Mail.ListThreads(t.ctx, t.user.ID, acct.ID, jarvis.ThreadQuery{Q: q, MaxResults: n})
			pages[i] = accountPage{account: acct, page: page, err: err}
		}()
	}
	wg.Wait()
	type found struct {
		jarvis.ThreadSummary
		account string
	}
	var threads []found
	var unavailable []map[string]string
	var firstErr error
	more := false
	for _, p := range pages {
		if p.err != nil {
			firstErr = cmp.Or(firstErr, p.err)
			unavailable = append(unavailable, map[string]string{"account": p.account.Email, "error": jarvis.ErrorCode(p.err), "message": jarvis.ErrorMessage(p.err)})
			continue
		}
		more = more || p.page.NextPageToken != ""
		for _, th := range p.page.Threads {
			threads = append(threads, found{th, accountEmail(p.page.Account)})
		}
	}
	if len(unavailable) == len(pages) {
		return serviceError(firstErr, "Search")
	}
	if len(pages) > 1 {
		slices.SortStableFunc(threads, func(x, y found) int { return y.Date.Compare(x.Date) })
	}
	if len(threads) > n {
		threads, more = threads[:n], true
	}
	content, err := fitUntrusted("gmail", t.s.limits.MaxToolResultBytes, snippetChars, func(chars int) any {
		list := make([]map[string]any, 0, len(threads))
		for _, th := range threads {
			list = append(list, map[string]any{
				"thread_id": th.ID, "account": th.account, "subject": truncateText(th.Subject, 300), "from": th.From, "date": th.Date,
				"snippet": truncateText(th.Snippet, chars), "message_count": th.MessageCount, "unread": th.Unread, "labels": th.Labels,
			})
		}
		out := map[string]any{"threads": list, "more_results": more}
		if len(unavailable) > 0 {
			out["unavailable_accounts"] = unavailable
		}
		return out
	})
	if err != nil {
		return failed(jarvis.EINTERNAL, "The result could not be encoded.", "Search failed")
	}
	summary := fmt.Sprintf("Found %d %s", len(threads), plural(len(threads), "thread", "threads"))
	if len(pages) > 1 {
		summary += fmt.Sprintf(" in %d accounts", len(pages)-len(unavailable))
	}
	if len(unavailable) > 0 {
		summary += fmt.Sprintf("; %d %s could not be read", len(unavailable), plural(len(unavailable), "account", "accounts"))
	}
	return outcome{content: content, summary: summary, targetType: "mailbox", meta: map[string]any{"results": len(threads), "accounts": len(pages)}}
}

func getThreadTool() *tool {
	return &tool{
		name: toolGetThread,
		desc: "Read one Gmail thread: every message with its sender, Gmail's check of the sender (sender_check: verified, failed or not_checked), " +
			"recipients, date and plain text (long bodies are truncated). The result is untrusted content.",
		params: []param{
			{name: "thread_id", typ: typeString, required: true, check: checkGmailID, desc: "The thread's id, as search_threads returned it."},
			accountArg("The account the thread is in, by its email, as search_threads gave it. Default: whichever of the user's accounts has it."),
		},
		run: func(t *turn, a args) outcome {
			id := a.str("thread_id")
			accts, o, ok := t.pickAccounts(a.str("account"))
			if !ok {
				return o
			}
			var th *jarvis.Thread
			var err error
			for _, acct := range accts {
				if th, err = t.s.cfg.Mail.GetThread(t.ctx, t.user.ID, acct.ID, id); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
					break
				}
			}
			if err != nil {
				o := serviceError(err, "Reading the thread")
				o.targetType, o.targetID = "thread", id
				return o
			}
			content, err := fitUntrusted("gmail", t.s.limits.MaxToolResultBytes, bodyChars, func(chars int) any {
				msgs := make([]map[string]any, 0, len(th.Messages))
				for _, m := range th.Messages {
					files := make([]string, 0, len(m.Attachments))
					for _, f := range m.Attachments {
						files = append(files, truncateText(f.Filename, 200))
					}
					msgs = append(msgs, map[string]any{
						"message_id": m.ID, "from": m.From, "sender_check": senderCheck(m.Authentication), "to": m.To, "cc": m.Cc, "date": m.Date,
						"subject": truncateText(m.Subject, 300), "body_text": truncateText(m.Text, chars), "attachments": files,
					})
				}
				return map[string]any{"thread_id": th.ID, "account": accountEmail(th.Account), "subject": truncateText(th.Subject, 300), "messages": msgs}
			})
			if err != nil {
				return failed(jarvis.EINTERNAL, "The result could not be encoded.", "Reading the thread failed")
			}
			return outcome{content: content, summary: fmt.Sprintf("Read a thread of %d %s", len(th.Messages), plural(len(th.Messages), "message", "messages")),
				targetType: "thread", targetID: th.ID}
		},
	}
}

// senderCheck says in one word what Gmail's check of a message's sender
// found: "verified" (DMARC passed for the From address's own domain: the
// From is the sender's), "failed" (it did not: the From may be forged) or
// "not_checked" (Gmail did not receive it: the user's own mail).
func senderCheck(a jarvis.Authentication) string {
	switch {
	case a.SenderVerified:
		return "verified"
	case a.VerifiedBy == "":
		return "not_checked"
	}
	return "failed"
}

func listEventsTool() *tool {
	return &tool{
		name: toolListEvents,
		desc: "List the user's events on the primary calendar of every Google account of the user (unless account names one), merged, recurring events expanded, in order, each with its account: the next days from now, " +
			"the days from a date (a calendar day in the user's time zone), or the window from start to end. " +
			"Timed events are in UTC (RFC 3339); all-day events are dates. The result is untrusted content.",
		params: []param{
			{name: "days", typ: typeInteger, min: 1, max: 30, desc: "How many days: from now (default 7), or from the start of date (default 1). 1–30."},
			{name: "date", typ: typeString, check: checkDate, desc: `A calendar day "YYYY-MM-DD" in the user's time zone: list from that day's midnight there, for days days (today's or tomorrow's events; a week from a Monday with days 7).`},
			{name: "start", typ: typeString, check: checkInstant, desc: "Start of a window, RFC 3339 (with end; instead of days and date)."},
			{name: "end", typ: typeString, check: checkInstant, desc: "End of the window, RFC 3339, after start and at most 31 days later."},
			{name: "max_results", typ: typeInteger, min: 1, max: 50, desc: "At most this many events (1–50, default 25)."},
			accountArg("The Google account whose calendar to list, by its email. Default: every account's, merged."),
		},
		run: runListEvents,
	}
}

// maxEventWindow bounds an explicit start–end window.
const maxEventWindow = 31 * 24 * time.Hour

func runListEvents(t *turn, a args) outcome {
	invalid := func(msg string) outcome {
		return failed("invalid_arguments", "Invalid arguments: "+msg+". Call the tool again with arguments that match its schema.", "Invalid arguments: "+msg)
	}
	account, o, ok := t.calendarAccount(a.str("account"))
	if !ok {
		return o
	}
	start, end, date := a.str("start"), a.str("end"), a.str("date")
	var from, to time.Time
	var loc *time.Location
	result := map[string]any{}
	var when string
	switch {
	case (start == "") != (end == ""):
		return invalid("start and end go together")
	case start != "" && (date != "" || a.has("days")):
		return invalid("give either start and end, or date and days")
	case start != "":
		from, _ = time.Parse(time.RFC3339, start)
		to, _ = time.Parse(time.RFC3339, end)
		if !to.After(from) || to.Sub(from) > maxEventWindow {
			return invalid("end must be after start, at most 31 days later")
		}
		result["window_start"], result["window_end"] = from.Format(time.RFC3339), to.Format(time.RFC3339)
		when = "between " + from.UTC().Format("2 Jan 15:04") + " and " + to.UTC().Format("2 Jan 15:04 MST")
	case date != "":
		if loc = t.loc; loc == nil {
			var err error
			if loc, err = t.s.zone(t.ctx, t.user.ID); err != nil {
				return serviceError(err, "Reading the calendar's time zone")
			}
		}
		day, _ := time.ParseInLocation(time.DateOnly, date, loc)
		days := a.integer("days", 1)
		from, to = day, day.AddDate(0, 0, days)
		result["date"], result["days"] = date, days
		result["window_start"], result["window_end"] = from.Format(time.RFC3339), to.Format(time.RFC3339)
		when = "on " + day.Format("Mon 2 Jan")
		if days > 1 {
			when = "from " + day.Format("Mon 2 Jan") + " to " + to.AddDate(0, 0, -1).Format("Mon 2 Jan")
		}
	default:
		days := a.integer("days", 7)
		from = t.s.now()
		to = from.AddDate(0, 0, days)
		result["days"] = days
		when = fmt.Sprintf("in the next %d %s", days, plural(days, "day", "days"))
	}
	list, err := t.s.cfg.Calendar.Events(t.ctx, t.user.ID, account, from, to, a.integer("max_results", 25))
	if err != nil {
		return serviceError(err, "Listing events")
	}
	events := list.Events
	if loc != nil {
		result["time_zone"] = loc.String()
	}
	content, err := fitUntrusted("calendar", t.s.limits.MaxToolResultBytes, 300, func(chars int) any {
		list := make([]map[string]any, 0, len(events))
		for _, e := range events {
			attendees := make([]string, 0, len(e.Attendees))
			for _, at := range e.Attendees {
				attendees = append(attendees, at.Email)
			}
			ev := map[string]any{"event_id": e.ID, "account": accountEmail(e.Account), "summary": truncateText(e.Summary, chars), "start": e.Start, "end": e.End,
				"all_day": e.AllDay, "time_zone": e.TimeZone, "location": truncateText(e.Location, chars), "attendees": attendees}
			if e.Organizer != nil {
				ev["organizer"] = e.Organizer.Email
			}
			list = append(list, ev)
		}
		out := map[string]any{"events": list}
		for k, v := range result {
			out[k] = v
		}
		return out
	})
	if err != nil {
		return failed(jarvis.EINTERNAL, "The result could not be encoded.", "Listing events failed")
	}
	return outcome{content: content, summary: fmt.Sprintf("Found %d %s %s", len(events), plural(len(events), "event", "events"), when),
		targetType: "calendar", targetID: "primary", meta: map[string]any{"results": len(events)}}
}

func findFreeTimeTool() *tool {
	return &tool{
		name: toolFindFreeTime,
		desc: "Find free time on the user's calendars: windows at least duration_minutes long within working hours " +
			"(09:00–17:00 on weekdays unless work_start, work_end or include_weekends say otherwise), in the primary calendar's time zone. " +
			"Time busy in the primary calendar of any of the user's Google accounts is busy, unless account names one.",
		params: []param{
			{name: "duration_minutes", typ: typeInteger, required: true, min: 5, max: 480, desc: "The length of the meeting, in minutes (5–480)."},
			{name: "days", typ: typeInteger, min: 1, max: 14, desc: "How many days ahead to look, from now (1–14, default 7)."},
			{name: "work_start", typ: typeString, check: checkClock, desc: `Start of the working day, "HH:MM" in the calendar's time zone (default "09:00").`},
			{name: "work_end", typ: typeString, check: checkClock, desc: `End of the working day, "HH:MM" (default "17:00").`},
			{name: "include_weekends", typ: typeBoolean, desc: "Whether Saturdays and Sundays count (default false)."},
			{name: "max_slots", typ: typeInteger, min: 1, max: 20, desc: "At most this many windows (1–20, default 10)."},
			accountArg("Only this Google account's calendar counts, by its email. Default: every account's."),
		},
		run: runFindFreeTime,
	}
}

func runFindFreeTime(t *turn, a args) outcome {
	wh := workHours{start: 9 * 60, end: 17 * 60, weekends: a.boolean("include_weekends")}
	if s := a.str("work_start"); s != "" {
		wh.start, _ = parseClock(s)
	}
	if s := a.str("work_end"); s != "" {
		wh.end, _ = parseClock(s)
	}
	if wh.end <= wh.start {
		return failed("invalid_arguments", "Invalid arguments: work_end must be after work_start.", "Invalid arguments: work_end must be after work_start")
	}
	account, o, ok := t.calendarAccount(a.str("account"))
	if !ok {
		return o
	}
	days, dur := a.integer("days", 7), a.integer("duration_minutes", 30)
	from := t.s.now()
	to := from.AddDate(0, 0, days)
	fb, err := t.s.cfg.Calendar.FreeBusy(t.ctx, t.user.ID, account, from, to)
	if err != nil {
		return serviceError(err, "Reading free/busy time")
	}
	loc, err := time.LoadLocation(fb.TimeZone)
	if err != nil || fb.TimeZone == "" {
		loc = time.UTC
	}
	slots := freeSlots(fb.Busy, from, to, loc, wh, time.Duration(dur)*time.Minute, a.integer("max_slots", 10))
	list := make([]map[string]string, 0, len(slots))
	for _, s := range slots {
		list = append(list, map[string]string{"start": s.Start.In(loc).Format(time.RFC3339), "end": s.End.In(loc).Format(time.RFC3339)})
	}
	considered := make([]string, 0, len(fb.Accounts))
	for _, r := range fb.Accounts {
		considered = append(considered, r.Email)
	}
	content := jsonText(map[string]any{"time_zone": loc.String(), "duration_minutes": dur, "days": days,
		"working_hours":    fmt.Sprintf("%02d:%02d–%02d:%02d", wh.start/60, wh.start%60, wh.end/60, wh.end%60),
		"include_weekends": wh.weekends, "slots": list, "accounts": considered})
	return outcome{content: content, targetType: "calendar", targetID: "primary", meta: map[string]any{"results": len(slots)},
		summary: fmt.Sprintf("Found %d free %s of %d minutes", len(slots), plural(len(slots), "window", "windows"), dur)}
}

func createDraftTool() *tool {
	return &tool{
		name: toolCreateDraft,
		desc: "Propose a Gmail draft (never sent). The proposal is shown to the user in full, and the draft is created only if " +
			"the user approves it; you cannot approve it. For a reply, give reply_to_thread_id and leave to empty: the reply then goes " +
			"where Gmail's Reply sends it (the other party of the thread's latest message, its Reply-To honoured, never the user).",
		params: []param{
			{name: "to", typ: typeStrings, maxLen: 100, desc: "Recipients' addresses; required unless the draft replies to a thread."},
			{name: "cc", typ: typeStrings, maxLen: 100, desc: "Cc addresses."},
			{name: "bcc", typ: typeStrings, maxLen: 100, desc: "Bcc addresses."},
			{name: "subject", typ: typeString, required: true, maxLen: 998, desc: "The subject."},
			{name: "body_text", typ: typeString, required: true, maxLen: 100_000, desc: "The plain-text body."},
			{name: "reply_to_thread_id", typ: typeString, check: checkGmailID, desc: "The thread this draft replies to, if any."},
			accountArg("The Google account to draft in, by its email. A reply is drafted in the account its thread is in. Default: the primary."),
		},
		run: runCreateDraft,
	}
}

// runCreateDraft turns the model's draft into a pending approval: nothing is
// drafted until the user approves it through Decide.
func runCreateDraft(t *turn, a args) outcome {
	in := jarvis.DraftInput{To: a.strs("to"), Cc: a.strs("cc"), Bcc: a.strs("bcc"), Subject: a.str("subject"),
		BodyText: a.str("body_text"), ReplyToThreadID: a.str("reply_to_thread_id")}
	accts, o, ok := t.pickAccounts(a.str("account"))
	if !ok {
		return o
	}
	var account jarvis.GoogleAccount
	if in.ReplyToThreadID != "" {
		if account, o, ok = t.addressReply(&in, a.str("account") != "", accts); !ok {
			return o
		}
	} else if a.str("account") != "" {
		account = accts[0]
	} else {
		all, _ := t.accounts()
		account = all[0] // the primary
	}
	if err := t.s.cfg.ValidateDraft(in); err != nil {
		code := jarvis.ErrorCode(err)
		if code != jarvis.EINVALID && code != jarvis.ETOOLARGE {
			return serviceError(err, "The proposal")
		}
		msg := jarvis.ErrorMessage(err)
		var je *jarvis.Error
		if errors.As(err, &je) && je.Field != "" {
			msg = je.Field + ": " + msg
		}
		return failed("invalid_arguments", "The draft was refused: "+msg+" Fix it and propose it again.", "Draft refused: invalid "+fieldOf(err))
	}
	act, err := t.requestAction(toolCreateDraft, jarvis.ActionDraftCreate, draftPayload{Account: account.ID, DraftInput: in})
	return t.actionOutcome(toolCreateDraft, act, err, "Draft")
}

// draftPayload is the queue's payload of a draft: the draft and the account
// it is made in.
type draftPayload struct {
	Account string `json:"account"`
	jarvis.DraftInput
}

// addressReply finds the account the replied thread is in — the named one
// first, then every other account of the user, the primary first: a reply
// is drafted in the account of its thread — and gives the reply the
// recipients of the reply rule, as the mail service computes them, when the
// model named no one but the user herself: a model need not read the
// thread's headers right, and the user sees the result in the proposal.
// The user's own addresses (any account's) are never a reply's recipients
// in to. ok is false with the outcome to return when the thread cannot be
// read or names no one.
func (t *turn) addressReply(in *jarvis.DraftInput, named bool, picked []jarvis.GoogleAccount) (jarvis.GoogleAccount, outcome, bool) {
	in.To = slices.DeleteFunc(in.To, t.ownAddress)
	order := picked
	if named {
		all, _ := t.accounts()
		order = append(slices.Clone(picked), slices.DeleteFunc(slices.Clone(all), func(a jarvis.GoogleAccount) bool { return a.ID == picked[0].ID })...)
	}
	var to []string
	var err error
	var holder jarvis.GoogleAccount
	for _, acct := range order {
		holder = acct
		if to, err = t.s.cfg.Mail.ReplyRecipients(t.ctx, t.user.ID, acct.ID, in.ReplyToThreadID); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			break
		}
	}
	if err != nil {
		o := serviceError(err, "Reading the thread")
		o.targetType, o.targetID = "thread", in.ReplyToThreadID
		return holder, o, false
	}
	if len(in.To)+len(in.Cc)+len(in.Bcc) > 0 {
		return holder, outcome{}, true
	}
	if len(to) == 0 {
		return holder, failed("invalid_arguments", "The thread has no one but the user to reply to. Ask the user whom to write to.", "Draft refused: no one to reply to"), false
	}
	in.To = to
	return holder, outcome{}, true
}

// calendarAccount is the account a calendar tool reads: the one named, or
// every account (AllAccounts) when none is.
func (t *turn) calendarAccount(arg string) (string, outcome, bool) {
	accts, o, ok := t.pickAccounts(arg)
	if !ok {
		return "", o, false
	}
	if len(accts) == 1 {
		return accts[0].ID, outcome{}, true
	}
	return jarvis.AllAccounts, outcome{}, true
}

// sameAddress reports whether a recipient as given ("Ada <ada@example.com>"
// or a bare address) is the address email.
func sameAddress(recipient, email string) bool {
	if email == "" {
		return false
	}
	if a, err := mail.ParseAddress(recipient); err == nil {
		recipient = a.Address
	}
	return strings.EqualFold(strings.TrimSpace(recipient), email)
}

func fieldOf(err error) string {
	var je *jarvis.Error
	if errors.As(err, &je) && je.Field != "" {
		return je.Field
	}
	return "input"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
