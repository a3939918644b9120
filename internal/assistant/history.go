package assistant

import (
	"encoding/json"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/llm"
)

// replay rebuilds the model's view of the last max earlier messages. Tool
// results are not kept (only their summaries are), so each earlier call is
// answered with its summary and, for a proposal, the user's decision; the
// model calls the tool again when it needs the content.
func replay(msgs []jarvis.ChatMessage, max int) []llm.Message {
	if len(msgs) > max {
		msgs = msgs[len(msgs)-max:]
	}
	for len(msgs) > 0 && msgs[0].Role != jarvis.RoleUser {
		msgs = msgs[1:] // the history starts with the user
	}
	var out []llm.Message
	for _, m := range msgs {
		if m.Role == jarvis.RoleUser {
			if m.Text != "" {
				out = append(out, llm.Message{Role: llm.RoleUser, Text: m.Text})
			}
			continue
		}
		if len(m.ToolCalls) > 0 {
			calls := make([]llm.ToolCall, 0, len(m.ToolCalls))
			results := make([]llm.ToolResult, 0, len(m.ToolCalls))
			approvals := m.Approvals
			for _, c := range m.ToolCalls {
				args := c.Arguments
				if !json.Valid(args) {
					args = json.RawMessage("{}")
				}
				calls = append(calls, llm.ToolCall{ID: c.ID, Name: toolName(c.Name), Arguments: args})
				earlier := map[string]any{"earlier_result": c.Summary,
					"note": "Only a summary of this earlier result is kept. Call the tool again if you need its content."}
				if requestsActions(c.Name) && c.OK && len(approvals) > 0 {
					earlier["approval"] = approvalState(approvals[0])
					approvals = approvals[1:]
				}
				results = append(results, llm.ToolResult{CallID: c.ID, Name: toolName(c.Name), Content: jsonText(earlier), IsError: !c.OK})
			}
			out = append(out, llm.Message{Role: llm.RoleAssistant, ToolCalls: calls}, llm.Message{Role: llm.RoleTool, ToolResults: results})
		}
		text := m.Text
		if text == "" {
			switch m.Status {
			case jarvis.MessageInterrupted:
				text = "(This answer was interrupted.)"
			case jarvis.MessageFailed:
				text = "(This answer failed.)"
			default:
				text = "(No answer.)"
			}
		}
		out = append(out, llm.Message{Role: llm.RoleAssistant, Text: text})
	}
	return out
}

// approvalState is what the model is told of a proposal's fate.
func approvalState(a jarvis.Approval) map[string]any {
	st := map[string]any{"approval_id": a.ID, "action_id": a.ID, "status": a.Status, "summary": a.Summary}
	draft := a.Kind == jarvis.ActionDraftCreate || a.Kind == ""
	switch a.Status {
	case jarvis.ApprovalPending:
		st["meaning"] = "The user has not decided yet; nothing was done."
	case jarvis.ApprovalApproved:
		st["meaning"] = "It was approved and done."
		if draft {
			st["meaning"] = "The user approved it and the draft was created (not sent)."
		}
		if a.Result != nil {
			st["draft_id"] = a.Result.DraftID
		}
	case jarvis.ApprovalRejected:
		st["meaning"] = "The user rejected it; nothing was done."
	case jarvis.ApprovalExpired:
		st["meaning"] = "The user did not decide in time; it expired and nothing was done."
	case jarvis.ApprovalFailed:
		st["meaning"] = "The user approved it but it failed; nothing was done."
	}
	return st
}
