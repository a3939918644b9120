package assistant

import (
	"fmt"

	"github.com/jarvis-hq/jarvis"
)

// Tools that ask the approval queue to send mail or change the calendar,
// and the one that proposes meeting times (read-only, it runs at once).
const (
	toolSendEmail      = "send_email"
	toolReplyEmail     = "reply_email"
	toolForwardEmail   = "forward_email"
	toolSendDraft      = "send_draft"
	toolCancelSend     = "cancel_scheduled_send"
	toolCreateEvent    = "create_event"
	toolUpdateEvent    = "update_event"
	toolCancelEvent    = "cancel_event"
	toolRSVPEvent      = "rsvp_event"
	toolSuggestMeeting = "suggest_meeting_times"
)

// askNote ends the description of every tool that changes something.
const askNote = " Nothing happens until the user approves it (or the user's policy lets it run): the result says which; you cannot approve it."

var sendAtParam = param{name: "send_at", typ: typeString, check: checkInstant,
	desc: "Send later, at this time (RFC 3339, in the future, within a year). Default: at once, after the user's undo window."}

var sendUpdatesParam = param{name: "send_updates", typ: typeString, check: checkOneOf(jarvis.SendUpdatesAll, jarvis.SendUpdatesExternal, jarvis.SendUpdatesNone),
	desc: "Whom Google mails about it: all guests, externalOnly, or none (the default)."}

var scopeParam = param{name: "scope", typ: typeString, check: checkOneOf(jarvis.ScopeInstance, jarvis.ScopeFollowing, jarvis.ScopeSeries),
	desc: "For a recurring event: instance (this event), following (this and the following events) or series (all events). Default: what event_id names."}

var eventIDParam = param{name: "event_id", typ: typeString, required: true, maxLen: 1024, desc: "The event's id, as list_upcoming_events returned it."}

func sendEmailTool() *tool {
	return &tool{
		name: toolSendEmail,
		desc: "Ask to send a new email, only to recipients the user named. It is held for the user's undo window (or until send_at) and then sent once." + askNote,
		params: []param{
			{name: "to", typ: typeStrings, required: true, maxLen: 100, desc: "Recipients' addresses."},
			{name: "cc", typ: typeStrings, maxLen: 100, desc: "Cc addresses."},
			{name: "bcc", typ: typeStrings, maxLen: 100, desc: "Bcc addresses."},
			{name: "subject", typ: typeString, required: true, maxLen: 998, desc: "The subject."},
			{name: "body_text", typ: typeString, required: true, maxLen: 100_000, desc: "The plain-text body."},
			sendAtParam,
			accountArg("The Google account to send from, by its email. Default: the primary."),
		},
		run: func(t *turn, a args) outcome {
			return t.requestSend(toolSendEmail, a, map[string]any{"to": a.strs("to"), "cc": a.strs("cc"), "bcc": a.strs("bcc"),
				"subject": a.str("subject"), "body_text": a.str("body_text")}, "Email")
		},
	}
}

func replyEmailTool() *tool {
	return &tool{
		name: toolReplyEmail,
		desc: "Ask to send a reply in a Gmail thread. Leave to and cc empty: Jarvis addresses it by Gmail's rule from the thread (Reply: the other party, " +
			"Reply-To honoured; reply_all: everyone on the latest message), never the user, each address once, and the user sees exactly who gets it. " +
			"It is threaded, with a \"Re:\" subject." + askNote,
		params: []param{
			{name: "thread_id", typ: typeString, required: true, check: checkGmailID, desc: "The thread to reply in, as search_threads returned it."},
			{name: "body_text", typ: typeString, required: true, maxLen: 100_000, desc: "The plain-text body of the reply."},
			{name: "reply_all", typ: typeBoolean, desc: "Reply to everyone on the thread's latest message (default false: the sender only)."},
			{name: "to", typ: typeStrings, maxLen: 100, desc: "Only when the user asked for other recipients than the thread's."},
			{name: "cc", typ: typeStrings, maxLen: 100, desc: "Only when the user asked for them."},
			sendAtParam,
			accountArg("The account the thread is in, by its email, as search_threads gave it. Default: the primary."),
		},
		run: func(t *turn, a args) outcome {
			return t.requestSend(toolReplyEmail, a, map[string]any{"to": a.strs("to"), "cc": a.strs("cc"), "body_text": a.str("body_text"),
				"reply_to_thread_id": a.str("thread_id"), "reply_all": a.boolean("reply_all")}, "Reply")
		},
	}
}

func forwardEmailTool() *tool {
	return &tool{
		name: toolForwardEmail,
		desc: "Ask to forward a message, with its attachments, to recipients the user named: the latest message of thread_id, or message_id. " +
			"Its headers and text are quoted below body_text and the subject becomes \"Fwd: …\"." + askNote,
		params: []param{
			{name: "to", typ: typeStrings, required: true, maxLen: 100, desc: "Recipients' addresses, as the user named them."},
			{name: "thread_id", typ: typeString, check: checkGmailID, desc: "Forward the latest message of this thread (as search_threads returned it)."},
			{name: "message_id", typ: typeString, check: checkGmailID, desc: "Or forward this message (as get_thread returned it)."},
			{name: "body_text", typ: typeString, maxLen: 100_000, desc: "A note above the forwarded message."},
			sendAtParam,
			accountArg("The account the message is in, by its email. Default: the primary."),
		},
		run: func(t *turn, a args) outcome {
			acct, o, ok := t.actionAccount(a.str("account"))
			if !ok {
				return o
			}
			msgID := a.str("message_id")
			if (msgID == "") == (a.str("thread_id") == "") {
				return failed("invalid_arguments", "Invalid arguments: give thread_id or message_id, one of them.", "Invalid arguments: thread_id or message_id")
			}
			if msgID == "" {
				th, err := t.s.cfg.Mail.GetThread(t.ctx, t.user.ID, acct, a.str("thread_id"))
				if err != nil {
					return serviceError(err, "Reading the thread")
				}
				if len(th.Messages) == 0 {
					return failed(jarvis.ENOTFOUND, "The thread has no message to forward.", "Forward failed: not found")
				}
				msgID = th.Messages[len(th.Messages)-1].ID
			}
			return t.requestSend(toolForwardEmail, a, map[string]any{"to": a.strs("to"), "cc": []string{}, "bcc": []string{}, "subject": "",
				"body_text": a.str("body_text"), "forward_message_id": msgID}, "Forward")
		},
	}
}

// requestSend asks the queue for a gmail.message.send in the account the
// model named (or the primary).
func (t *turn) requestSend(tool string, a args, payload map[string]any, what string) outcome {
	acct, o, ok := t.actionAccount(a.str("account"))
	if !ok {
		return o
	}
	payload["account"] = acct
	if at := a.str("send_at"); at != "" {
		payload["send_at"] = at
	}
	act, err := t.requestAction(tool, jarvis.ActionMessageSend, payload)
	return t.actionOutcome(tool, act, err, what)
}

func sendDraftTool() *tool {
	return &tool{
		name: toolSendDraft,
		desc: "Ask to send an existing Gmail draft (such as one create_draft made: its draft_id), exactly as it is; the user sees whom it goes to." + askNote,
		params: []param{
			{name: "draft_id", typ: typeString, required: true, maxLen: 64, desc: "The draft's id (r-…)."},
			sendAtParam,
			accountArg("The account the draft is in, by its email. Default: the primary."),
		},
		run: func(t *turn, a args) outcome {
			acct, o, ok := t.actionAccount(a.str("account"))
			if !ok {
				return o
			}
			p := map[string]any{"account": acct, "draft_id": a.str("draft_id")}
			if at := a.str("send_at"); at != "" {
				p["send_at"] = at
			}
			act, err := t.requestAction(toolSendDraft, jarvis.ActionDraftSend, p)
			return t.actionOutcome(toolSendDraft, act, err, "Draft send")
		},
	}
}

func cancelSendTool() *tool {
	return &tool{
		name: toolCancelSend,
		desc: "Ask to cancel a send that has not gone yet (scheduled, or within the undo window), by the scheduled_id a send's result gave; its draft stays in Drafts." + askNote,
		params: []param{
			{name: "scheduled_id", typ: typeString, required: true, maxLen: 64, desc: "The send's scheduled_id."},
		},
		run: func(t *turn, a args) outcome {
			act, err := t.requestAction(toolCancelSend, jarvis.ActionScheduleCancel, map[string]any{"scheduled_id": a.str("scheduled_id")})
			return t.actionOutcome(toolCancelSend, act, err, "Cancelling the send")
		},
	}
}

func createEventTool() *tool {
	return &tool{
		name: toolCreateEvent,
		desc: "Ask to create an event on the user's primary calendar. time_zone is required: an IANA zone (America/New_York) in which start and end are " +
			"wall-clock times; ask the user when they did not say which zone they mean." + askNote,
		params: []param{
			{name: "summary", typ: typeString, required: true, maxLen: 1024, desc: "The title."},
			{name: "start", typ: typeString, required: true, maxLen: 40, desc: "The start: a wall-clock time in time_zone (2026-12-01T09:00), or a date (2026-12-01) for an all-day event."},
			{name: "end", typ: typeString, required: true, maxLen: 40, desc: "The end, of the same kind (for an all-day event the day after the last)."},
			{name: "time_zone", typ: typeString, required: true, maxLen: 64, desc: "IANA time zone of start and end, such as Europe/London."},
			{name: "attendees", typ: typeStrings, maxLen: 100, desc: "Guests' addresses, as the user named them."},
			{name: "description", typ: typeString, maxLen: 8192, desc: "A description."},
			{name: "location", typ: typeString, maxLen: 1024, desc: "A location."},
			{name: "recurrence", typ: typeStrings, maxLen: 10, desc: "RFC 5545 lines for a series (RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10)."},
			{name: "meet", typ: typeBoolean, desc: "Add a Google Meet link."},
			sendUpdatesParam,
			accountArg("The account whose calendar it goes in, by its email. Default: the primary."),
		},
		run: func(t *turn, a args) outcome {
			acct, o, ok := t.actionAccount(a.str("account"))
			if !ok {
				return o
			}
			p := map[string]any{"account": acct, "summary": a.str("summary"), "start": a.str("start"), "end": a.str("end"), "time_zone": a.str("time_zone"),
				"attendees": a.strs("attendees")}
			for _, k := range []string{"description", "location", "send_updates"} {
				if v := a.str(k); v != "" {
					p[k] = v
				}
			}
			if r := a.strs("recurrence"); len(r) > 0 {
				p["recurrence"] = r
			}
			if a.boolean("meet") {
				p["meet"] = true
			}
			act, err := t.requestAction(toolCreateEvent, jarvis.ActionEventCreate, p)
			return t.actionOutcome(toolCreateEvent, act, err, "Event")
		},
	}
}

func updateEventTool() *tool {
	return &tool{
		name: toolUpdateEvent,
		desc: "Ask to change an event: only the fields given change. A new start or end needs time_zone (IANA). For a recurring event scope says how far the change reaches." + askNote,
		params: []param{
			eventIDParam, scopeParam,
			{name: "summary", typ: typeString, maxLen: 1024, desc: "The new title."},
			{name: "start", typ: typeString, maxLen: 40, desc: "The new start, wall-clock in time_zone; the end follows, keeping the length, unless end is given."},
			{name: "end", typ: typeString, maxLen: 40, desc: "The new end."},
			{name: "time_zone", typ: typeString, maxLen: 64, desc: "IANA time zone of start and end: required with them."},
			{name: "attendees", typ: typeStrings, maxLen: 100, desc: "The guests' addresses, replacing the list."},
			{name: "description", typ: typeString, maxLen: 8192, desc: "The new description."},
			{name: "location", typ: typeString, maxLen: 1024, desc: "The new location."},
			sendUpdatesParam,
			accountArg("The account whose calendar has the event, by its email, as list_upcoming_events gave it. Default: the primary."),
		},
		run: func(t *turn, a args) outcome {
			acct, o, ok := t.actionAccount(a.str("account"))
			if !ok {
				return o
			}
			p := map[string]any{"account": acct, "event_id": a.str("event_id")}
			for _, k := range []string{"scope", "summary", "start", "end", "time_zone", "description", "location", "send_updates"} {
				if a.has(k) {
					p[k] = a.str(k)
				}
			}
			if a.has("attendees") {
				p["attendees"] = a.strs("attendees")
			}
			act, err := t.requestAction(toolUpdateEvent, jarvis.ActionEventUpdate, p)
			return t.actionOutcome(toolUpdateEvent, act, err, "Event change")
		},
	}
}

func cancelEventTool() *tool {
	return &tool{
		name:   toolCancelEvent,
		desc:   "Ask to cancel an event (for a recurring one: this event, this and the following ones, or the series)." + askNote,
		params: []param{eventIDParam, scopeParam, sendUpdatesParam, accountArg("The account whose calendar has the event, by its email. Default: the primary.")},
		run: func(t *turn, a args) outcome {
			acct, o, ok := t.actionAccount(a.str("account"))
			if !ok {
				return o
			}
			p := map[string]any{"account": acct, "event_id": a.str("event_id")}
			for _, k := range []string{"scope", "send_updates"} {
				if a.has(k) {
					p[k] = a.str(k)
				}
			}
			act, err := t.requestAction(toolCancelEvent, jarvis.ActionEventDelete, p)
			return t.actionOutcome(toolCancelEvent, act, err, "Cancelling the event")
		},
	}
}

func rsvpEventTool() *tool {
	return &tool{
		name: toolRSVPEvent,
		desc: "Ask to answer an invitation: accepted, declined or tentative, with an optional note the organizer sees." + askNote,
		params: []param{
			eventIDParam,
			{name: "response", typ: typeString, required: true, check: checkOneOf(jarvis.ResponseAccepted, jarvis.ResponseDeclined, jarvis.ResponseTentative), desc: "accepted, declined or tentative."},
			{name: "comment", typ: typeString, maxLen: 1024, desc: "A note to the organizer."},
			accountArg("The account invited, by its email, as list_upcoming_events gave it. Default: the primary."),
		},
		run: func(t *turn, a args) outcome {
			acct, o, ok := t.actionAccount(a.str("account"))
			if !ok {
				return o
			}
			p := map[string]any{"account": acct, "event_id": a.str("event_id"), "response": a.str("response")}
			if c := a.str("comment"); c != "" {
				p["comment"] = c
			}
			act, err := t.requestAction(toolRSVPEvent, jarvis.ActionEventRSVP, p)
			return t.actionOutcome(toolRSVPEvent, act, err, "Answer")
		},
	}
}

func suggestMeetingTool() *tool {
	return &tool{
		name: toolSuggestMeeting,
		desc: "Propose meeting times free for the user and the attendees (from everyone's free/busy time Google shows) within the user's working hours. " +
			"Read-only: it books nothing; create_event does, with the user's approval.",
		params: []param{
			{name: "attendees", typ: typeStrings, required: true, maxLen: 49, desc: "The other participants' addresses."},
			{name: "duration_minutes", typ: typeInteger, required: true, min: 5, max: 480, desc: "The meeting's length, in minutes (5–480)."},
			{name: "start", typ: typeString, check: checkInstant, desc: "Look from this time (RFC 3339; with end). Default: the next 7 days."},
			{name: "end", typ: typeString, check: checkInstant, desc: "Look until this time (RFC 3339), at most 62 days after start."},
			{name: "max_results", typ: typeInteger, min: 1, max: 20, desc: "At most this many proposals (default 5)."},
			accountArg("The account whose calendar counts, by its email. Default: the primary."),
		},
		run: func(t *turn, a args) outcome {
			if t.s.cfg.CalendarWriter == nil {
				return failed(jarvis.EUPSTREAM, "Proposing meeting times is not available.", "Meeting times unavailable")
			}
			acct, o, ok := t.actionAccount(a.str("account"))
			if !ok {
				return o
			}
			in := jarvis.MeetingRequest{Attendees: a.strs("attendees"), DurationMinutes: a.integer("duration_minutes", 30), MaxResults: a.integer("max_results", 5)}
			if (a.str("start") == "") != (a.str("end") == "") {
				return failed("invalid_arguments", "Invalid arguments: start and end go together.", "Invalid arguments: start and end go together")
			}
			if a.str("start") != "" {
				in.Within = &jarvis.TimeWindow{Start: a.str("start"), End: a.str("end")}
			}
			res, err := t.s.cfg.CalendarWriter.Suggest(t.ctx, t.user.ID, acct, in)
			if err != nil {
				if jarvis.IsCode(err, jarvis.EINVALID) {
					return failed("invalid_arguments", "Invalid arguments: "+fieldOf(err)+": "+jarvis.ErrorMessage(err), "Invalid arguments: "+fieldOf(err))
				}
				return serviceError(err, "Proposing meeting times")
			}
			return outcome{content: jsonText(map[string]any{"time_zone": res.TimeZone, "working_hours": res.WorkingHours, "proposals": res.Proposals,
				"unknown_attendees": res.Unknown}), targetType: "calendar", targetID: "primary", meta: map[string]any{"results": len(res.Proposals)},
				summary: fmt.Sprintf("Proposed %d meeting %s", len(res.Proposals), plural(len(res.Proposals), "time", "times"))}
		},
	}
}

// checkOneOf accepts only the values given.
func checkOneOf(values ...string) func(string) error {
	return func(s string) error {
		for _, v := range values {
			if s == v {
				return nil
			}
		}
		return fmt.Errorf("must be one of %v", values)
	}
}
