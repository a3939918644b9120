package assistant

import (
	"context"

	"github.com/jarvis-hq/jarvis"
)

// Decide approves or rejects the user's pending proposal, once: the status
// changes atomically from pending, so of two racing decisions one wins and
// the other is ECONFLICT. Another user's approval, or one of a deleted
// conversation, is ENOTFOUND.
//
// Approving executes the proposal exactly as it was stored when the model
// made it — nothing the client sends can change it — in the user's Google
// account it names (a reply: the account of its thread; the primary for a
// proposal from before accounts were named), and returns the approval with the draft's ids. When
// drafting fails the approval is marked failed (it is not retried) and the
// mail service's error is returned: EINVALID, EREAUTH, ESCOPEMISSING,
// ERATELIMITED, EUPSTREAM, EUPSTREAMTIMEOUT.
func (s *Service) Decide(ctx context.Context, userID, approvalID string, approve bool) (*jarvis.Approval, error) {
	status, action := jarvis.ApprovalRejected, jarvis.AuditChatApprovalRejected
	if approve {
		status, action = jarvis.ApprovalApproved, jarvis.AuditChatApprovalApproved
	}
	a, err := s.cfg.Store.DecideApproval(ctx, userID, approvalID, status)
	if err != nil {
		return nil, err
	}
	entry := jarvis.AuditEntry{Action: action, TargetType: "approval", TargetID: a.ID, Outcome: jarvis.OutcomeSuccess,
		Metadata: map[string]any{"tool": a.Tool, "conversation_id": a.ConversationID}}
	if !approve {
		s.audit(ctx, entry)
		return a, nil
	}

	// The decision is taken: finish the action even if the client leaves.
	ctx, cancel := finalContext(ctx)
	defer cancel()
	draft, err := s.execute(ctx, userID, a)
	if err != nil {
		code := jarvis.ErrorCode(err)
		if ferr := s.cfg.Store.FinishApproval(ctx, userID, a.ID, nil, code); ferr != nil {
			s.log.ErrorContext(ctx, "store approval failure", "err", ferr)
		}
		entry.Outcome, entry.Metadata["error_code"] = jarvis.OutcomeFailure, code
		s.audit(ctx, entry)
		return nil, err
	}
	if err := s.cfg.Store.FinishApproval(ctx, userID, a.ID, draft, ""); err != nil {
		s.log.ErrorContext(ctx, "store approval result", "err", err)
	}
	entry.Metadata["draft_id"] = draft.DraftID
	s.audit(ctx, entry)
	a.Result = draft
	return a, nil
}

// execute runs an approved proposal.
func (s *Service) execute(ctx context.Context, userID string, a *jarvis.Approval) (*jarvis.Draft, error) {
	if a.Tool != toolCreateDraft {
		return nil, jarvis.Errorf(jarvis.EINTERNAL, "This proposal cannot be executed.")
	}
	if err := s.cfg.ValidateDraft(a.Proposal); err != nil {
		return nil, err
	}
	account := ""
	if a.Account != nil {
		account = a.Account.ID
	}
	return s.cfg.Mail.CreateDraft(ctx, userID, account, a.Proposal)
}
