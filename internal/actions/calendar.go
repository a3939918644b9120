package actions

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jarvis-hq/jarvis"
)

// EventReader reads one event of an account's primary calendar, as Google
// stores it.
type EventReader interface {
	GetEvent(ctx context.Context, userID, account, eventID string) (*jarvis.Event, error)
}

// EventWriter changes the user's calendar over the calendar writer: Kind
// is one of calendar.event.create, update, delete and rsvp. Their payloads
// are jarvis.EventCreateAction, EventUpdateAction, EventDeleteAction and
// EventRSVPAction: the REST route's body with the account (and event).
type EventWriter struct {
	Kind     string
	Writer   jarvis.CalendarWriter
	Events   EventReader
	Accounts Accounts
}

// Prepare checks the change as the REST route does (a timed event without
// an IANA time zone is refused), resolves the account, reads the event
// changed for the summary, and names the guests Google will mail
// (send_updates other than none) for the policy's allowed domains.
func (w EventWriter) Prepare(ctx context.Context, userID string, payload json.RawMessage) (*jarvis.PreparedAction, error) {
	switch w.Kind {
	case jarvis.ActionEventCreate:
		var p jarvis.EventCreateAction
		if err := decodeValid(payload, &p); err != nil {
			return nil, err
		}
		acct, err := resolveAccount(ctx, w.Accounts, userID, p.Account)
		if err != nil {
			return nil, err
		}
		p.Account = acct.ID
		if p.Attendees == nil {
			p.Attendees = []string{}
		}
		var rcpts []string
		if mails(p.SendUpdates, jarvis.SendUpdatesNone) {
			rcpts = p.Attendees
		}
		zone := ""
		if p.TimeZone != "" {
			zone = " (" + p.TimeZone + ")"
		}
		summary := fmt.Sprintf("Create %s on %s%s", quoted(p.Summary), p.Start, zone)
		if len(p.Attendees) > 0 {
			summary += " with " + listOf(p.Attendees)
		}
		return prepared(p, acct, rcpts, summary)
	case jarvis.ActionEventUpdate:
		var p jarvis.EventUpdateAction
		acct, ev, err := w.target(ctx, userID, payload, &p, &p.EventTarget)
		if err != nil {
			return nil, err
		}
		var rcpts []string
		if mails(p.SendUpdates, jarvis.SendUpdatesNone) {
			rcpts = guestsOf(ev)
			if p.Attendees != nil {
				rcpts = append(rcpts, *p.Attendees...)
			}
		}
		summary := "Change " + quoted(ev.Summary) + " on " + ev.Start
		if p.Scope != "" {
			summary += " (" + scopeWords(p.Scope) + ")"
		}
		return prepared(p, acct, rcpts, summary)
	case jarvis.ActionEventDelete:
		var p jarvis.EventDeleteAction
		acct, ev, err := w.target(ctx, userID, payload, &p, &p.EventTarget)
		if err != nil {
			return nil, err
		}
		var rcpts []string
		if mails(p.SendUpdates, jarvis.SendUpdatesNone) {
			rcpts = guestsOf(ev)
		}
		summary := "Cancel " + quoted(ev.Summary) + " on " + ev.Start
		if p.Scope != "" {
			summary += " (" + scopeWords(p.Scope) + ")"
		}
		return prepared(p, acct, rcpts, summary)
	case jarvis.ActionEventRSVP:
		var p jarvis.EventRSVPAction
		acct, ev, err := w.target(ctx, userID, payload, &p, &p.EventTarget)
		if err != nil {
			return nil, err
		}
		var rcpts []string
		if mails(p.SendUpdates, jarvis.SendUpdatesAll) && ev.Organizer != nil && ev.Organizer.Email != "" {
			rcpts = []string{ev.Organizer.Email}
		}
		words := map[string]string{jarvis.ResponseAccepted: "Accept", jarvis.ResponseDeclined: "Decline", jarvis.ResponseTentative: "Answer maybe to"}[p.Response]
		return prepared(p, acct, rcpts, words+" "+quoted(ev.Summary)+" on "+ev.Start)
	}
	return nil, jarvis.Invalid("kind", "%q is not a calendar action.", w.Kind)
}

// decodeValid decodes a payload into p and checks it as the REST route does.
func decodeValid(payload json.RawMessage, p interface{ Validate() error }) error {
	if err := decodePayload(payload, p); err != nil {
		return err
	}
	return p.Validate()
}

// target decodes and checks the payload of a change to an event into p,
// whose target is t, resolves the account (t.Account becomes its id) and
// reads the event (ENOTFOUND when the account's calendar has no such event).
func (w EventWriter) target(ctx context.Context, userID string, payload json.RawMessage, p interface{ Validate() error }, t *jarvis.EventTarget) (*jarvis.AccountRef, *jarvis.Event, error) {
	if err := decodeValid(payload, p); err != nil {
		return nil, nil, err
	}
	acct, err := resolveAccount(ctx, w.Accounts, userID, t.Account)
	if err != nil {
		return nil, nil, err
	}
	t.Account = acct.ID
	ev, err := w.Events.GetEvent(ctx, userID, acct.ID, t.EventID)
	if err != nil {
		return nil, nil, err
	}
	return acct, ev, nil
}

// Execute makes the change as prepared and answers the event as Google
// stored it, read back, as the REST route does.
//
// A run again of the same action (a crash between running it and
// recording its outcome) changes nothing more: a create gives the event
// the id jarvis.ActionEventID derives from the action's, and Google's 409
// on the re-run reads back the event the first run made; an update (a
// patch to the same values), an RSVP (the same answer) and a delete (an
// event cancelled already answers itself, run as an action) are
// idempotent by nature. An update with scope following, which splits the
// series, gives the new series an id derived from the action's too: run
// again, it answers the series the first run made.
func (w EventWriter) Execute(ctx context.Context, userID string, payload json.RawMessage) (json.RawMessage, error) {
	bad := jarvis.Errorf(jarvis.EINTERNAL, "The stored payload cannot be read.")
	var ev *jarvis.Event
	var err error
	switch w.Kind {
	case jarvis.ActionEventCreate:
		var p jarvis.EventCreateAction
		if json.Unmarshal(payload, &p) != nil {
			return nil, bad
		}
		ev, err = w.Writer.CreateEvent(ctx, userID, p.Account, p.EventCreate)
	case jarvis.ActionEventUpdate:
		var p jarvis.EventUpdateAction
		if json.Unmarshal(payload, &p) != nil {
			return nil, bad
		}
		ev, err = w.Writer.UpdateEvent(ctx, userID, p.Account, p.EventID, p.EventUpdate)
	case jarvis.ActionEventDelete:
		var p jarvis.EventDeleteAction
		if json.Unmarshal(payload, &p) != nil {
			return nil, bad
		}
		ev, err = w.Writer.DeleteEvent(ctx, userID, p.Account, p.EventID, p.EventDelete)
	case jarvis.ActionEventRSVP:
		var p jarvis.EventRSVPAction
		if json.Unmarshal(payload, &p) != nil {
			return nil, bad
		}
		ev, err = w.Writer.RSVP(ctx, userID, p.Account, p.EventID, p.EventRSVP)
	default:
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	return canonical(ev)
}

func prepared(p any, acct *jarvis.AccountRef, rcpts []string, summary string) (*jarvis.PreparedAction, error) {
	b, err := canonical(p)
	if err != nil {
		return nil, err
	}
	return &jarvis.PreparedAction{Payload: b, Account: acct, Recipients: rcpts, Summary: summary}, nil
}

// mails reports whether Google mails the guests about a change with this
// send_updates (def when it is empty).
func mails(sendUpdates, def string) bool {
	if sendUpdates == "" {
		sendUpdates = def
	}
	return sendUpdates != jarvis.SendUpdatesNone
}

// guestsOf lists the addresses of an event's guests other than the user.
func guestsOf(ev *jarvis.Event) []string {
	var out []string
	for _, a := range ev.Attendees {
		if a.Email != "" && !a.Self {
			out = append(out, a.Email)
		}
	}
	return out
}

func scopeWords(scope string) string {
	switch scope {
	case jarvis.ScopeInstance:
		return "this event"
	case jarvis.ScopeFollowing:
		return "this and following events"
	case jarvis.ScopeSeries:
		return "all events"
	}
	return scope
}
