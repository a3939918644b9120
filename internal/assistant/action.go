package assistant

import (
	"encoding/json"

	"github.com/jarvis-hq/jarvis"
)

// actionOutcome tells the model what became of an action it asked for: in
// the queue awaiting the user (the usual case: the user is shown it in full
// and asked), run at once because the user's policy allows it, or refused.
// what names the thing for a summary ("Draft").
func (t *turn) actionOutcome(tool string, a *jarvis.Action, err error, what string) outcome {
	if a == nil {
		if err == nil {
			err = jarvis.Errorf(jarvis.EINTERNAL, "The request could not be made.")
		}
		code := jarvis.ErrorCode(err)
		if code == jarvis.EINVALID || code == jarvis.ETOOLARGE {
			msg := jarvis.ErrorMessage(err)
			if f := fieldOf(err); f != "input" {
				msg = f + ": " + msg
			}
			return failed("invalid_arguments", what+" was refused: "+msg+" Fix it and ask again.", what+" refused: invalid "+fieldOf(err))
		}
		if code == jarvis.EINTERNAL {
			t.s.log.ErrorContext(t.ctx, "request action", "tool", tool, "err", err)
		}
		return serviceError(err, what)
	}
	meta := map[string]any{"action_id": a.ID, "kind": a.Kind}
	switch a.Status {
	case jarvis.ActionPending:
		wctx, cancel := finalContext(t.ctx)
		defer cancel()
		t.s.audit(wctx, jarvis.AuditEntry{Action: jarvis.AuditChatApprovalRequested, TargetType: "approval", TargetID: a.ID,
			Metadata: map[string]any{"tool": tool, "conversation_id": t.conv.ID, "action_id": a.ID, "kind": a.Kind, "flags": a.Policy.Flags,
				"account_id": accountID(a.Account)}})
		ev := approvalEvent{ApprovalID: a.ID, ActionID: a.ID, Tool: tool, Kind: a.Kind, Summary: a.Summary, Account: a.Account, ExpiresAt: a.ExpiresAt,
			Flags: a.Policy.Flags}
		var draft *jarvis.DraftInput
		if a.Kind == jarvis.ActionDraftCreate {
			draft = &jarvis.DraftInput{}
			_ = json.Unmarshal(a.Payload, draft)
			ev.Proposal = proposalOf(*draft)
		} else {
			ev.Proposal = a.Payload
		}
		if err := t.send(jarvis.EventApprovalRequired, ev); err != nil {
			return outcome{content: errorText("interrupted", "The user went away before seeing the proposal."), isError: true, summary: "Proposal not shown", code: "interrupted"}
		}
		content := map[string]any{"status": "awaiting_approval", "approval_id": a.ID, "action_id": a.ID, "summary": a.Summary, "account": accountEmail(a.Account),
			"note": "This has NOT been done. The user sees this request in full and decides whether it runs; you cannot approve it. " +
				"Tell the user it awaits their approval (pending approval, action id " + a.ID + "), and do not say it was done."}
		if draft == nil && a.Kind == jarvis.ActionMessageSend {
			draft = &jarvis.DraftInput{}
			_ = json.Unmarshal(a.Payload, draft)
		}
		if draft != nil {
			content["to"], content["cc"] = draft.To, draft.Cc
		}
		if len(a.Policy.Flags) > 0 {
			content["policy_flags"] = a.Policy.Flags
		}
		return outcome{content: jsonText(content), summary: what + " proposed; awaiting the user's approval", targetType: "approval", targetID: a.ID, meta: meta}
	case jarvis.ActionExecuted:
		var result any
		_ = json.Unmarshal(a.Result, &result)
		return outcome{content: jsonText(map[string]any{"status": "done", "action_id": a.ID, "summary": a.Summary, "result": result,
			"note": "The user's policy let this run without asking: it has been done."}),
			summary: what + " done (allowed by the user's policy)", targetType: "action", targetID: a.ID, meta: meta}
	}
	o := serviceError(err, what)
	if err == nil {
		o = failed(a.ErrorCode, what+" failed.", what+" failed")
	}
	o.targetType, o.targetID, o.meta = "action", a.ID, meta
	return o
}

func accountID(a *jarvis.AccountRef) string {
	if a == nil {
		return ""
	}
	return a.ID
}
