package assistant

import (
	"context"
	"encoding/json"

	"github.com/jarvis-hq/jarvis"
)

// assistantName is the requester name of the assistant's actions.
const assistantName = "Jarvis assistant"

// Decide approves or rejects the user's pending proposal, once, through
// the approval queue: the assistant's proposals are actions requested by
// the assistant in the conversation. Of two racing decisions one wins and
// the other is ECONFLICT; EEXPIRED once expired. Another user's proposal,
// one of a deleted conversation, or an action the assistant did not
// request, is ENOTFOUND.
//
// Approving executes the proposal exactly as it was stored when the model
// made it — nothing the client sends can change it — in the user's Google
// account it names, and returns the approval with what it made (a draft's
// ids). When that fails the approval is marked failed (it is not retried)
// and the service's error is returned: EINVALID, EREAUTH, ESCOPEMISSING,
// ERATELIMITED, EUPSTREAM, EUPSTREAMTIMEOUT.
func (s *Service) Decide(ctx context.Context, userID, approvalID string, approve bool) (*jarvis.Approval, error) {
	a, err := s.cfg.Actions.GetAction(ctx, userID, approvalID)
	if err != nil {
		return nil, err
	}
	if a.Requester.Type != jarvis.RequesterAssistant {
		return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Approval not found.")
	}
	action := jarvis.AuditChatApprovalRejected
	if approve {
		action = jarvis.AuditChatApprovalApproved
		a, err = s.cfg.Actions.Approve(ctx, userID, approvalID)
	} else {
		a, err = s.cfg.Actions.Reject(ctx, userID, approvalID)
	}
	if a == nil {
		return nil, err
	}
	entry := jarvis.AuditEntry{Action: action, TargetType: "approval", TargetID: a.ID, Outcome: jarvis.OutcomeSuccess,
		Metadata: map[string]any{"tool": a.Requester.Tool, "conversation_id": a.Requester.ID, "action_id": a.ID, "kind": a.Kind}}
	if err != nil {
		entry.Outcome, entry.Metadata["error_code"] = jarvis.OutcomeFailure, jarvis.ErrorCode(err)
		s.audit(ctx, entry)
		return nil, err
	}
	if a.Kind == jarvis.ActionDraftCreate && len(a.Result) > 0 {
		var d jarvis.Draft
		if json.Unmarshal(a.Result, &d) == nil {
			entry.Metadata["draft_id"] = d.DraftID
		}
	}
	s.audit(ctx, entry)
	ap := jarvis.ApprovalOf(a)
	return &ap, nil
}

// request asks the queue for an action on the turn's behalf: the assistant
// of this conversation, proposing in this message with this tool.
func (t *turn) requestAction(tool, kind string, payload any) (*jarvis.Action, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	r := jarvis.Requester{Type: jarvis.RequesterAssistant, ID: t.conv.ID, Name: assistantName, Tool: tool, MessageID: t.msgID}
	return t.s.cfg.Actions.Request(t.ctx, t.user.ID, r, kind, b)
}
