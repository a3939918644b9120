package assistant

import (
	"github.com/jarvis-hq/jarvis"
)

// Tools that ask the approval queue for a change to the user's mail.
const (
	toolModifyThread = "modify_thread"
	toolTrashThread  = "trash_thread"
)

// requestsActions reports whether a tool asks the approval queue for an
// action (its results answer with an approval, or an action run at once).
func requestsActions(name string) bool {
	switch name {
	case toolCreateDraft, toolModifyThread, toolTrashThread, toolSendEmail, toolReplyEmail, toolForwardEmail, toolSendDraft, toolCancelSend,
		toolCreateEvent, toolUpdateEvent, toolCancelEvent, toolRSVPEvent:
		return true
	}
	return false
}

func modifyThreadTool() *tool {
	return &tool{
		name: toolModifyThread,
		desc: "Ask to change the labels of a Gmail thread: archive (remove_labels INBOX), mark read (remove UNREAD) or unread (add UNREAD), " +
			"star (add STARRED), label (add a label id such as Label_12). Nothing changes until the user approves it (or the user's policy lets it run): " +
			"the result says which.",
		params: []param{
			{name: "thread_id", typ: typeString, required: true, check: checkGmailID, desc: "The thread's id, as search_threads returned it."},
			{name: "add_labels", typ: typeStrings, maxLen: 100, desc: "Label ids to add."},
			{name: "remove_labels", typ: typeStrings, maxLen: 100, desc: "Label ids to remove."},
			accountArg("The account the thread is in, by its email, as search_threads gave it. Default: the primary."),
		},
		run: func(t *turn, a args) outcome {
			acct, o, ok := t.actionAccount(a.str("account"))
			if !ok {
				return o
			}
			add, remove := a.strs("add_labels"), a.strs("remove_labels")
			if add == nil {
				add = []string{}
			}
			if remove == nil {
				remove = []string{}
			}
			act, err := t.requestAction(toolModifyThread, jarvis.ActionThreadModify, map[string]any{"account": acct, "thread_id": a.str("thread_id"),
				"add_labels": add, "remove_labels": remove})
			return t.actionOutcome(toolModifyThread, act, err, "Label change")
		},
	}
}

func trashThreadTool() *tool {
	return &tool{
		name: toolTrashThread,
		desc: "Ask to move a Gmail thread to the trash (or, with untrash, out of it); nothing is ever deleted for good. Nothing moves until the user " +
			"approves it (or the user's policy lets it run): the result says which.",
		params: []param{
			{name: "thread_id", typ: typeString, required: true, check: checkGmailID, desc: "The thread's id, as search_threads returned it."},
			{name: "untrash", typ: typeBoolean, desc: "true to move the thread out of the trash instead."},
			accountArg("The account the thread is in, by its email, as search_threads gave it. Default: the primary."),
		},
		run: func(t *turn, a args) outcome {
			acct, o, ok := t.actionAccount(a.str("account"))
			if !ok {
				return o
			}
			kind := jarvis.ActionThreadTrash
			if a.boolean("untrash") {
				kind = jarvis.ActionThreadUntrash
			}
			act, err := t.requestAction(toolTrashThread, kind, map[string]any{"account": acct, "thread_id": a.str("thread_id")})
			return t.actionOutcome(toolTrashThread, act, err, "Move")
		},
	}
}

// actionAccount is the account id an action names: the one the model named
// (one of the user's), or "" for the primary.
func (t *turn) actionAccount(arg string) (string, outcome, bool) {
	if arg == "" {
		return "", outcome{}, true
	}
	accts, o, ok := t.pickAccounts(arg)
	if !ok {
		return "", o, false
	}
	return accts[0].ID, outcome{}, true
}
