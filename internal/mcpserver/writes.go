package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/jarvis-hq/jarvis"
)

// actionOut is an action a tool asked for, as the client sees it.
type actionOut struct {
	ActionID   string         `json:"action_id"`
	Kind       string         `json:"kind"`
	Status     string         `json:"status" jsonschema:"pending (waiting for the user's approval in Jarvis), approved (running), executed, rejected, expired or failed"`
	Summary    string         `json:"summary"`
	Account    accountOut     `json:"account"`
	Verdict    string         `json:"verdict" jsonschema:"auto_approved (the user's policy let it run) or approval_required"`
	Flags      []string       `json:"flags" jsonschema:"why it may not run without the user: outside_allowed_domains, drafts_only, daily_send_cap_reached"`
	ApproveURL string         `json:"approve_url" jsonschema:"where the user approves or rejects it, in the Jarvis dashboard"`
	ExpiresAt  string         `json:"expires_at"`
	Result     map[string]any `json:"result,omitempty" jsonschema:"what the action made, once executed"`
	ErrorCode  string         `json:"error_code,omitempty"`
	Message    string         `json:"message"`
}

func (s *Server) actionOf(a *jarvis.Action) actionOut {
	out := actionOut{ActionID: a.ID, Kind: a.Kind, Status: a.Status, Summary: a.Summary, Account: accountOf(a.Account), Verdict: a.Policy.Verdict,
		Flags: nonNil(a.Policy.Flags), ApproveURL: s.approveURL(), ExpiresAt: rfc3339(a.ExpiresAt), ErrorCode: a.ErrorCode}
	if len(a.Result) > 0 && string(a.Result) != "null" {
		_ = json.Unmarshal(a.Result, &out.Result)
	}
	switch a.Status {
	case jarvis.ActionPending:
		out.Message = "Waiting for the user's approval in Jarvis (" + out.ApproveURL + "). Nothing has been done yet: call get_action later to see the outcome."
	case jarvis.ActionApproved:
		out.Message = "Approved; running."
	case jarvis.ActionExecuted:
		out.Message = "Done."
	case jarvis.ActionRejected:
		out.Message = "The user rejected it: nothing was done."
	case jarvis.ActionExpired:
		out.Message = "It was not approved in time: nothing was done."
	case jarvis.ActionFailed:
		out.Message = "It failed (" + a.ErrorCode + ")."
	}
	return out
}

func (s *Server) approveURL() string { return s.origin + "/approvals" }

// approvalKey names the elicitation a tool asks in its first round.
const approvalKey = "approval"

// ask puts an action in the approval queue for the grant's user, asked by
// the client: it runs only once the user approves it in the dashboard (or
// the user's policy lets it run). A client that can elicit is asked to
// tell the user so (input_required on 2026-07-28, elicitation/create on
// older sessions); its answer never approves anything — a decline rejects
// the action. The retry carries the action's id as its request state.
func (s *Server) ask(ctx context.Context, c *call, kind string, payload any) (*mcp.CallToolResult, actionOut, error) {
	uid := c.grant.UserID
	if c.req.Params.RequestState != "" && c.req.Params.InputResponses != nil {
		a, err := s.clientAction(ctx, c, c.req.Params.RequestState)
		if err != nil {
			return nil, actionOut{}, err
		}
		if r, ok := c.req.Params.InputResponses[approvalKey].(*mcp.ElicitResult); ok && r.Action == "decline" && a.Status == jarvis.ActionPending {
			if rejected, err := s.cfg.Actions.Reject(ctx, uid, a.ID); err == nil {
				a = rejected
			}
		}
		return nil, s.actionOf(a), nil
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, actionOut{}, err
	}
	name := c.grant.ClientName
	if name == "" {
		name = c.grant.ClientID
	}
	a, err := s.cfg.Actions.Request(ctx, uid, jarvis.Requester{Type: jarvis.RequesterClient, ID: c.grant.ClientID, Name: name, Tool: c.req.Params.Name}, kind, b)
	if err != nil {
		if jarvis.ErrorCode(err) == jarvis.EINVALID && isField(err, "kind") {
			return nil, actionOut{}, jarvis.Errorf(jarvis.EUNAVAILABLE, "This server cannot do %s yet.", kind)
		}
		return nil, actionOut{}, err
	}
	if a.Account != nil && !c.grant.AllowsAccount(a.Account.ID) {
		// The action acts in an account the client may not use: never.
		if a.Status == jarvis.ActionPending {
			_, _ = s.cfg.Actions.Reject(ctx, uid, a.ID)
		}
		return nil, actionOut{}, jarvis.Errorf(jarvis.EFORBIDDEN, "The action acts in a Google account this token may not use.")
	}
	if a.Status == jarvis.ActionPending && canElicit(c.req) {
		return &mcp.CallToolResult{
			InputRequests: mcp.InputRequestMap{approvalKey: &mcp.ElicitParams{Mode: "form",
				Message:         fmt.Sprintf("Jarvis holds this for your approval: %s. Approve or reject it in Jarvis at %s — answering here does not approve it.", a.Summary, s.approveURL()),
				RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{}},
			}},
			RequestState: a.ID,
		}, actionOut{}, nil
	}
	return nil, s.actionOf(a), nil
}

// clientAction returns the user's action if this client asked for it.
func (s *Server) clientAction(ctx context.Context, c *call, id string) (*jarvis.Action, error) {
	a, err := s.cfg.Actions.GetAction(ctx, c.grant.UserID, id)
	if err != nil {
		return nil, err
	}
	if a.Requester.Type != jarvis.RequesterClient || a.Requester.ID != c.grant.ClientID {
		return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Action not found.")
	}
	return a, nil
}

func canElicit(req *mcp.CallToolRequest) bool {
	caps := req.ClientCapabilities()
	return caps != nil && caps.Elicitation != nil && (caps.Elicitation.Form != nil || caps.Elicitation.URL == nil)
}

func isField(err error, field string) bool {
	var je *jarvis.Error
	return errors.As(err, &je) && je.Field == field
}

// Inputs of the tools that ask.

type draftIn struct {
	Account          string   `json:"account,omitempty" jsonschema:"the account's id or email; default: the primary (or the token's first account)"`
	To               []string `json:"to,omitempty" jsonschema:"recipients' addresses (a reply given none goes to the thread's other party)"`
	Cc               []string `json:"cc,omitempty"`
	Bcc              []string `json:"bcc,omitempty"`
	Subject          string   `json:"subject,omitempty"`
	BodyText         string   `json:"body_text" jsonschema:"the message's text"`
	ReplyToThreadID  string   `json:"reply_to_thread_id,omitempty" jsonschema:"draft a reply in this thread"`
	ReplyAll         bool     `json:"reply_all,omitempty" jsonschema:"with reply_to_thread_id: reply to everyone on the thread"`
	ForwardMessageID string   `json:"forward_message_id,omitempty" jsonschema:"forward this message (its text and attachments are quoted)"`
}

type draftUpdateIn struct {
	Account         string   `json:"account,omitempty" jsonschema:"the account's id or email; default: the primary (or the token's first account)"`
	DraftID         string   `json:"draft_id" jsonschema:"the draft's id, as create_draft's result gave it"`
	To              []string `json:"to,omitempty"`
	Cc              []string `json:"cc,omitempty"`
	Bcc             []string `json:"bcc,omitempty"`
	Subject         string   `json:"subject,omitempty"`
	BodyText        string   `json:"body_text" jsonschema:"the message's new text"`
	ReplyToThreadID string   `json:"reply_to_thread_id,omitempty" jsonschema:"keep the draft a reply in this thread"`
}

type sendIn struct {
	Account  string   `json:"account,omitempty" jsonschema:"the account's id or email to send from; default: the primary (or the token's first account)"`
	To       []string `json:"to"`
	Cc       []string `json:"cc,omitempty"`
	Bcc      []string `json:"bcc,omitempty"`
	Subject  string   `json:"subject"`
	BodyText string   `json:"body_text"`
	SendAt   string   `json:"send_at,omitempty" jsonschema:"RFC 3339: schedule the send; default: at once (after the undo window)"`
}

type replyIn struct {
	Account  string   `json:"account,omitempty" jsonschema:"the account's id or email; default: the primary (or the token's first account)"`
	ThreadID string   `json:"thread_id" jsonschema:"the thread to reply in"`
	BodyText string   `json:"body_text"`
	Cc       []string `json:"cc,omitempty"`
	SendAt   string   `json:"send_at,omitempty" jsonschema:"RFC 3339: schedule the send"`
}

type forwardIn struct {
	Account   string   `json:"account,omitempty" jsonschema:"the account's id or email; default: the primary (or the token's first account)"`
	MessageID string   `json:"message_id" jsonschema:"the message to forward"`
	To        []string `json:"to"`
	Cc        []string `json:"cc,omitempty"`
	BodyText  string   `json:"body_text,omitempty" jsonschema:"a note above the forwarded message"`
	SendAt    string   `json:"send_at,omitempty" jsonschema:"RFC 3339: schedule the send"`
}

type sendDraftIn struct {
	Account string `json:"account,omitempty" jsonschema:"the account's id or email; default: the primary (or the token's first account)"`
	DraftID string `json:"draft_id"`
	SendAt  string `json:"send_at,omitempty" jsonschema:"RFC 3339: schedule the send"`
}

type cancelSendIn struct {
	ScheduledID string `json:"scheduled_id" jsonschema:"the scheduled send's id"`
}

type labelsIn struct {
	Account      string   `json:"account,omitempty" jsonschema:"the account's id or email; default: the primary (or the token's first account)"`
	ThreadID     string   `json:"thread_id"`
	AddLabels    []string `json:"add_labels,omitempty" jsonschema:"label ids to add"`
	RemoveLabels []string `json:"remove_labels,omitempty" jsonschema:"label ids to remove"`
}

type eventCreateIn struct {
	Account     string   `json:"account,omitempty" jsonschema:"the account's id or email; default: the primary (or the token's first account)"`
	Summary     string   `json:"summary"`
	Description string   `json:"description,omitempty"`
	Location    string   `json:"location,omitempty"`
	Start       string   `json:"start" jsonschema:"a wall-clock time in time_zone (2026-12-01T09:00), an RFC 3339 instant, or a date for an all-day event"`
	End         string   `json:"end" jsonschema:"as start, after it"`
	TimeZone    string   `json:"time_zone,omitempty" jsonschema:"IANA time zone, required for timed events"`
	Attendees   []string `json:"attendees,omitempty"`
	Recurrence  []string `json:"recurrence,omitempty" jsonschema:"RFC 5545 RRULE/RDATE/EXDATE lines"`
	SendUpdates string   `json:"send_updates,omitempty" jsonschema:"all, externalOnly or none (default)"`
	Meet        bool     `json:"meet,omitempty" jsonschema:"add a Google Meet link"`
}

type eventUpdateIn struct {
	Account     string    `json:"account,omitempty" jsonschema:"the account's id or email; default: the primary (or the token's first account)"`
	EventID     string    `json:"event_id"`
	Scope       string    `json:"scope,omitempty" jsonschema:"instance, following or series"`
	Summary     *string   `json:"summary,omitempty"`
	Description *string   `json:"description,omitempty"`
	Location    *string   `json:"location,omitempty"`
	Start       *string   `json:"start,omitempty"`
	End         *string   `json:"end,omitempty"`
	TimeZone    string    `json:"time_zone,omitempty"`
	Attendees   *[]string `json:"attendees,omitempty" jsonschema:"replaces the guest list"`
	SendUpdates string    `json:"send_updates,omitempty" jsonschema:"all, externalOnly or none (default)"`
	Meet        *bool     `json:"meet,omitempty"`
}

type eventCancelIn struct {
	Account     string `json:"account,omitempty" jsonschema:"the account's id or email; default: the primary (or the token's first account)"`
	EventID     string `json:"event_id"`
	Scope       string `json:"scope,omitempty" jsonschema:"instance, following or series"`
	SendUpdates string `json:"send_updates,omitempty" jsonschema:"all, externalOnly or none (default)"`
}

type rsvpIn struct {
	Account     string `json:"account,omitempty" jsonschema:"the account's id or email; default: the primary (or the token's first account)"`
	EventID     string `json:"event_id"`
	Response    string `json:"response" jsonschema:"accepted, declined or tentative"`
	Comment     string `json:"comment,omitempty"`
	SendUpdates string `json:"send_updates,omitempty" jsonschema:"all (default), externalOnly or none"`
}

// sendPayload is the payload of gmail.message.send: the fields of POST
// /gmail/messages and the account.
type sendPayload struct {
	Account string `json:"account"`
	jarvis.SendInput
}

// parseSendAt reads an optional send_at.
func parseSendAt(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, jarvis.Invalid("send_at", "send_at must be an RFC 3339 time.")
	}
	return &t, nil
}

// pendingNote is appended to every asking tool's description.
const pendingNote = " It only asks: the action waits in Jarvis until the user approves it there (or their policy lets it run), and the answer is the pending action; get_action tells its outcome."

func (s *Server) addWriteTools() {
	// withAccount resolves the account, then asks.
	type asker = func(ctx context.Context, c *call, acct *jarvis.AccountRef) (string, any, error)
	run := func(ctx context.Context, c *call, account string, build asker) (*mcp.CallToolResult, actionOut, error) {
		acct, err := s.account(ctx, c.grant, account)
		if err != nil {
			return nil, actionOut{}, err
		}
		kind, payload, err := build(ctx, c, acct)
		if err != nil {
			return nil, actionOut{}, err
		}
		return s.ask(ctx, c, kind, payload)
	}
	send := func(ctx context.Context, c *call, account string, in jarvis.DraftInput, sendAt string) (*mcp.CallToolResult, actionOut, error) {
		return run(ctx, c, account, func(_ context.Context, _ *call, acct *jarvis.AccountRef) (string, any, error) {
			at, err := parseSendAt(sendAt)
			if err != nil {
				return "", nil, err
			}
			return jarvis.ActionMessageSend, sendPayload{Account: acct.ID, SendInput: jarvis.SendInput{DraftInput: in, SendAt: at}}, nil
		})
	}

	addTool(s, &mcp.Tool{Name: "create_draft", Description: "Draft a message, a reply (reply_to_thread_id) or a forward (forward_message_id) in Gmail." + pendingNote,
		Annotations: asks("Create a draft", false, false)},
		func(ctx context.Context, c *call, in draftIn) (*mcp.CallToolResult, actionOut, error) {
			return run(ctx, c, in.Account, func(_ context.Context, _ *call, acct *jarvis.AccountRef) (string, any, error) {
				return jarvis.ActionDraftCreate, map[string]any{"account": acct.ID, "to": nonNil(in.To), "cc": nonNil(in.Cc), "bcc": nonNil(in.Bcc),
					"subject": in.Subject, "body_text": in.BodyText, "reply_to_thread_id": in.ReplyToThreadID, "reply_all": in.ReplyAll,
					"forward_message_id": in.ForwardMessageID}, nil
			})
		})
	addTool(s, &mcp.Tool{Name: "update_draft", Description: "Replace a draft's content (recipients, subject, text) with what is given." + pendingNote,
		Annotations: asks("Rewrite a draft", true, true)},
		func(ctx context.Context, c *call, in draftUpdateIn) (*mcp.CallToolResult, actionOut, error) {
			return run(ctx, c, in.Account, func(_ context.Context, _ *call, acct *jarvis.AccountRef) (string, any, error) {
				return jarvis.ActionDraftUpdate, map[string]any{"account": acct.ID, "draft_id": in.DraftID, "to": nonNil(in.To), "cc": nonNil(in.Cc),
					"bcc": nonNil(in.Bcc), "subject": in.Subject, "body_text": in.BodyText, "reply_to_thread_id": in.ReplyToThreadID}, nil
			})
		})
	addTool(s, &mcp.Tool{Name: "send_message", Description: "Send a new message." + pendingNote, Annotations: asks("Send a message", true, false)},
		func(ctx context.Context, c *call, in sendIn) (*mcp.CallToolResult, actionOut, error) {
			return send(ctx, c, in.Account, jarvis.DraftInput{To: nonNil(in.To), Cc: nonNil(in.Cc), Bcc: nonNil(in.Bcc), Subject: in.Subject, BodyText: in.BodyText}, in.SendAt)
		})
	addTool(s, &mcp.Tool{Name: "reply", Description: "Reply to a thread's other party." + pendingNote, Annotations: asks("Reply", true, false)},
		func(ctx context.Context, c *call, in replyIn) (*mcp.CallToolResult, actionOut, error) {
			return send(ctx, c, in.Account, jarvis.DraftInput{To: []string{}, Cc: nonNil(in.Cc), Bcc: []string{}, BodyText: in.BodyText, ReplyToThreadID: in.ThreadID}, in.SendAt)
		})
	addTool(s, &mcp.Tool{Name: "reply_all", Description: "Reply to everyone on a thread." + pendingNote, Annotations: asks("Reply all", true, false)},
		func(ctx context.Context, c *call, in replyIn) (*mcp.CallToolResult, actionOut, error) {
			return send(ctx, c, in.Account, jarvis.DraftInput{To: []string{}, Cc: nonNil(in.Cc), Bcc: []string{}, BodyText: in.BodyText, ReplyToThreadID: in.ThreadID, ReplyAll: true}, in.SendAt)
		})
	addTool(s, &mcp.Tool{Name: "forward_message", Description: "Forward a message with its attachments." + pendingNote, Annotations: asks("Forward", true, false)},
		func(ctx context.Context, c *call, in forwardIn) (*mcp.CallToolResult, actionOut, error) {
			return send(ctx, c, in.Account, jarvis.DraftInput{To: nonNil(in.To), Cc: nonNil(in.Cc), Bcc: []string{}, BodyText: in.BodyText, ForwardMessageID: in.MessageID}, in.SendAt)
		})
	addTool(s, &mcp.Tool{Name: "send_draft", Description: "Send one of the account's drafts." + pendingNote, Annotations: asks("Send a draft", true, false)},
		func(ctx context.Context, c *call, in sendDraftIn) (*mcp.CallToolResult, actionOut, error) {
			return run(ctx, c, in.Account, func(_ context.Context, _ *call, acct *jarvis.AccountRef) (string, any, error) {
				at, err := parseSendAt(in.SendAt)
				if err != nil {
					return "", nil, err
				}
				return jarvis.ActionDraftSend, map[string]any{"account": acct.ID, "draft_id": in.DraftID, "send_at": at}, nil
			})
		})
	addTool(s, &mcp.Tool{Name: "cancel_scheduled_send", Description: "Cancel a send Jarvis holds (in its undo window or scheduled); its draft stays in Drafts." + pendingNote,
		Annotations: asks("Cancel a scheduled send", false, true)},
		func(ctx context.Context, c *call, in cancelSendIn) (*mcp.CallToolResult, actionOut, error) {
			// The send names its account: ask refuses one the grant lacks.
			return s.ask(ctx, c, jarvis.ActionScheduleCancel, map[string]any{"scheduled_id": in.ScheduledID})
		})
	thread := func(kind string, add, remove []string) func(_ context.Context, _ *call, acct *jarvis.AccountRef, threadID string) (string, any, error) {
		return func(_ context.Context, _ *call, acct *jarvis.AccountRef, threadID string) (string, any, error) {
			p := map[string]any{"account": acct.ID, "thread_id": threadID}
			if kind == jarvis.ActionThreadModify {
				p["add_labels"], p["remove_labels"] = nonNil(add), nonNil(remove)
			}
			return kind, p, nil
		}
	}
	addTool(s, &mcp.Tool{Name: "modify_thread_labels", Description: "Add and remove labels on a thread (INBOX, UNREAD, STARRED, user labels)." + pendingNote,
		Annotations: asks("Change labels", false, true)},
		func(ctx context.Context, c *call, in labelsIn) (*mcp.CallToolResult, actionOut, error) {
			return run(ctx, c, in.Account, func(ctx context.Context, c *call, acct *jarvis.AccountRef) (string, any, error) {
				return thread(jarvis.ActionThreadModify, in.AddLabels, in.RemoveLabels)(ctx, c, acct, in.ThreadID)
			})
		})
	addTool(s, &mcp.Tool{Name: "archive_thread", Description: "Archive a thread (take it out of the inbox)." + pendingNote, Annotations: asks("Archive", false, true)},
		func(ctx context.Context, c *call, in threadIn) (*mcp.CallToolResult, actionOut, error) {
			return run(ctx, c, in.Account, func(ctx context.Context, c *call, acct *jarvis.AccountRef) (string, any, error) {
				return thread(jarvis.ActionThreadModify, nil, []string{"INBOX"})(ctx, c, acct, in.ThreadID)
			})
		})
	addTool(s, &mcp.Tool{Name: "trash_thread", Description: "Move a thread to the trash." + pendingNote, Annotations: asks("Trash", true, true)},
		func(ctx context.Context, c *call, in threadIn) (*mcp.CallToolResult, actionOut, error) {
			return run(ctx, c, in.Account, func(ctx context.Context, c *call, acct *jarvis.AccountRef) (string, any, error) {
				return thread(jarvis.ActionThreadTrash, nil, nil)(ctx, c, acct, in.ThreadID)
			})
		})
	addTool(s, &mcp.Tool{Name: "untrash_thread", Description: "Move a thread out of the trash." + pendingNote, Annotations: asks("Untrash", false, true)},
		func(ctx context.Context, c *call, in threadIn) (*mcp.CallToolResult, actionOut, error) {
			return run(ctx, c, in.Account, func(ctx context.Context, c *call, acct *jarvis.AccountRef) (string, any, error) {
				return thread(jarvis.ActionThreadUntrash, nil, nil)(ctx, c, acct, in.ThreadID)
			})
		})
	addTool(s, &mcp.Tool{Name: "create_event", Description: "Create an event in the account's primary calendar." + pendingNote, Annotations: asks("Create an event", false, false)},
		func(ctx context.Context, c *call, in eventCreateIn) (*mcp.CallToolResult, actionOut, error) {
			return run(ctx, c, in.Account, func(_ context.Context, _ *call, acct *jarvis.AccountRef) (string, any, error) {
				return jarvis.ActionEventCreate, jarvis.EventCreateAction{Account: acct.ID, EventCreate: jarvis.EventCreate{Summary: in.Summary,
					Description: in.Description, Location: in.Location, Start: in.Start, End: in.End, TimeZone: in.TimeZone, Attendees: in.Attendees,
					Recurrence: in.Recurrence, SendUpdates: in.SendUpdates, Meet: in.Meet}}, nil
			})
		})
	addTool(s, &mcp.Tool{Name: "update_event", Description: "Change an event (an instance, it and the following ones, or a series)." + pendingNote, Annotations: asks("Update an event", true, true)},
		func(ctx context.Context, c *call, in eventUpdateIn) (*mcp.CallToolResult, actionOut, error) {
			return run(ctx, c, in.Account, func(_ context.Context, _ *call, acct *jarvis.AccountRef) (string, any, error) {
				return jarvis.ActionEventUpdate, jarvis.EventUpdateAction{EventTarget: jarvis.EventTarget{Account: acct.ID, EventID: in.EventID},
					EventUpdate: jarvis.EventUpdate{Scope: in.Scope, Summary: in.Summary, Description: in.Description, Location: in.Location, Start: in.Start,
						End: in.End, TimeZone: in.TimeZone, Attendees: in.Attendees, SendUpdates: in.SendUpdates, Meet: in.Meet}}, nil
			})
		})
	addTool(s, &mcp.Tool{Name: "cancel_event", Description: "Cancel an event (an instance, it and the following ones, or a series)." + pendingNote, Annotations: asks("Cancel an event", true, true)},
		func(ctx context.Context, c *call, in eventCancelIn) (*mcp.CallToolResult, actionOut, error) {
			return run(ctx, c, in.Account, func(_ context.Context, _ *call, acct *jarvis.AccountRef) (string, any, error) {
				return jarvis.ActionEventDelete, jarvis.EventDeleteAction{EventTarget: jarvis.EventTarget{Account: acct.ID, EventID: in.EventID},
					EventDelete: jarvis.EventDelete{Scope: in.Scope, SendUpdates: in.SendUpdates}}, nil
			})
		})
	addTool(s, &mcp.Tool{Name: "rsvp_event", Description: "Answer an invitation: accepted, declined or tentative." + pendingNote, Annotations: asks("RSVP", false, true)},
		func(ctx context.Context, c *call, in rsvpIn) (*mcp.CallToolResult, actionOut, error) {
			return run(ctx, c, in.Account, func(_ context.Context, _ *call, acct *jarvis.AccountRef) (string, any, error) {
				return jarvis.ActionEventRSVP, jarvis.EventRSVPAction{EventTarget: jarvis.EventTarget{Account: acct.ID, EventID: in.EventID},
					EventRSVP: jarvis.EventRSVP{Response: in.Response, Comment: in.Comment, SendUpdates: in.SendUpdates}}, nil
			})
		})
}
