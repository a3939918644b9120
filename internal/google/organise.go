package google

import (
	"context"
	"errors"
	"slices"
	"strings"

	"google.golang.org/api/gmail/v1"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
)

var _ jarvis.MailOrganiser = (*Service)(nil)

// modifyScopes allow changing labels and the trash.
var modifyScopes = []string{ScopeGmailModify, "https://mail.google.com/"}

// ModifyThread adds and removes labels on every message of a thread
// (threads.modify), then reads the thread back. Each call writes a
// gmail.thread.modify audit row with the account and the label ids.
func (s *Service) ModifyThread(ctx context.Context, userID, account, threadID string, in jarvis.ThreadModify) (*jarvis.ThreadChange, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	meta := map[string]any{"add_labels": nonNil(in.AddLabels), "remove_labels": nonNil(in.RemoveLabels)}
	return s.organise(ctx, userID, account, threadID, jarvis.AuditGmailThreadModify, meta, func(ctx context.Context, c *gmailCall) error {
		_, err := c.svc.Users.Threads.Modify("me", threadID, &gmail.ModifyThreadRequest{AddLabelIds: in.AddLabels, RemoveLabelIds: in.RemoveLabels}).
			Context(ctx).Do()
		return labelFieldError(fieldError(ctx, err, "Thread", "id"), in)
	})
}

// TrashThread moves a thread to the trash (threads.trash) or, with trash
// false, out of it (threads.untrash), then reads it back. It never deletes
// for good. Each call writes a gmail.thread.trash or gmail.thread.untrash
// audit row.
func (s *Service) TrashThread(ctx context.Context, userID, account, threadID string, trash bool) (*jarvis.ThreadChange, error) {
	action := jarvis.AuditGmailThreadTrash
	if !trash {
		action = jarvis.AuditGmailThreadUntrash
	}
	return s.organise(ctx, userID, account, threadID, action, map[string]any{}, func(ctx context.Context, c *gmailCall) error {
		var err error
		if trash {
			_, err = c.svc.Users.Threads.Trash("me", threadID).Context(ctx).Do()
		} else {
			_, err = c.svc.Users.Threads.Untrash("me", threadID).Context(ctx).Do()
		}
		return fieldError(ctx, err, "Thread", "id")
	})
}

// organise runs one change to a thread within the call timeout, reads the
// thread back as an inbox row shows it, and writes the audit row, whatever
// the outcome.
func (s *Service) organise(ctx context.Context, userID, account, threadID, action string, meta map[string]any,
	change func(context.Context, *gmailCall) error) (out *jarvis.ThreadChange, err error) {
	if !jarvis.IsGmailID(threadID) {
		return nil, jarvis.Invalid("id", "id is not a Gmail id (hexadecimal digits, as Jarvis listed it).")
	}
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	var c *gmailCall
	defer func() { err = s.record(ctx, c.acct(), action, "thread", threadID, err, meta) }()
	c, err = s.gmailFor(ctx, userID, account, modifyScopes, "organise your mail")
	if err != nil {
		return nil, err
	}
	if err := change(ctx, c); err != nil {
		return nil, err
	}
	th, err := c.svc.Users.Threads.Get("me", threadID).Context(ctx).Format("metadata").MetadataHeaders(summaryHeaders...).Do()
	if err != nil {
		return nil, fieldError(ctx, err, "Thread", "id")
	}
	sum := SummaryFromGmail(th)
	mailsync.MarkMe(sum.Participants, c.g.Email)
	return &jarvis.ThreadChange{Account: c.g.Ref(), Thread: sum, HistoryID: th.HistoryId}, nil
}

// labelFieldError names the field of a label Google refused ("Invalid
// label: Label_9"): add_labels or remove_labels, whichever holds it.
func labelFieldError(err error, in jarvis.ThreadModify) error {
	var je *jarvis.Error
	if !errors.As(err, &je) || je.Code != jarvis.EINVALID || je.Field != "id" && je.Field != "label" {
		return err
	}
	names := func(l string) bool { return strings.Contains(je.Message, l) }
	switch {
	case slices.ContainsFunc(in.AddLabels, names):
		je.Field = "add_labels"
	case slices.ContainsFunc(in.RemoveLabels, names):
		je.Field = "remove_labels"
	}
	return je
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
