package google

import (
	"context"
	"strings"

	"google.golang.org/api/gmail/v1"

	"github.com/jarvis-hq/jarvis"
)

var _ jarvis.DraftSender = (*Service)(nil)

// DraftToSend returns the account's draft (drafts.get, metadata only): its ids,
// Message-ID header, subject and To addresses. ENOTFOUND when the account
// has no such draft (never had, deleted, or sent); the errors of a Gmail
// call otherwise. It writes no audit row: the send that asks does.
func (s *Service) DraftToSend(ctx context.Context, userID, accountID, draftID string) (*jarvis.PendingDraft, error) {
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	c, err := s.gmailFor(ctx, userID, accountID, draftScopes, "send mail")
	if err != nil {
		return nil, err
	}
	d, err := c.svc.Users.Drafts.Get("me", draftID).Format("metadata").Context(ctx).Do()
	if err != nil {
		return nil, aboutAccount(fieldError(ctx, err, "Draft", "draft_id"), c.g)
	}
	out := &jarvis.PendingDraft{DraftID: d.Id}
	if d.Message != nil {
		out.MessageID, out.ThreadID = d.Message.Id, d.Message.ThreadId
		if d.Message.Payload != nil {
			for _, h := range d.Message.Payload.Headers {
				switch strings.ToLower(h.Name) {
				case "message-id":
					out.RFC822MsgID = strings.TrimSpace(h.Value)
				case "subject":
					out.Subject = decodeHeader(h.Value)
				case "to":
					if list, err := addressParser.ParseList(h.Value); err == nil {
						for _, a := range list {
							out.To = append(out.To, a.Address)
						}
					}
				}
			}
		}
	}
	return out, nil
}

// SendDraft sends the account's draft (drafts.send), which Gmail then
// deletes. drafts.send is not idempotent: it is never retried here, and a
// failure whose outcome is unknown (a 5xx, a lost connection) is left to
// the caller, who finds out with DraftToSend and FindSent whether it went.
// ENOTFOUND when there is no such draft; EINVALID when Google refuses the
// message (no recipient); the errors of a Gmail call otherwise.
func (s *Service) SendDraft(ctx context.Context, userID, accountID, draftID string) (*jarvis.SentMessage, error) {
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	c, err := s.gmailFor(ctx, userID, accountID, draftScopes, "send mail")
	if err != nil {
		return nil, err
	}
	m, err := c.svc.Users.Drafts.Send("me", &gmail.Draft{Id: draftID}).Context(notIdempotent(ctx)).Do()
	if err != nil {
		return nil, aboutAccount(fieldError(ctx, err, "Draft", "draft_id"), c.g)
	}
	return &jarvis.SentMessage{MessageID: m.Id, ThreadID: m.ThreadId}, nil
}

// FindSent looks for the message the account sent with the Message-ID
// header rfc822MsgID (messages.list, rfc822msgid: in Sent). ENOTFOUND when
// there is none.
func (s *Service) FindSent(ctx context.Context, userID, accountID, rfc822MsgID string) (*jarvis.SentMessage, error) {
	if rfc822MsgID == "" {
		return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Message not found.")
	}
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	c, err := s.gmailFor(ctx, userID, accountID, readScopes, "read your mail")
	if err != nil {
		return nil, err
	}
	id := strings.Trim(rfc822MsgID, "<>")
	list, err := c.svc.Users.Messages.List("me").Q("in:sent rfc822msgid:" + id).MaxResults(2).Context(ctx).Do()
	if err != nil {
		return nil, aboutAccount(upstreamError(ctx, err, "Message"), c.g)
	}
	if len(list.Messages) == 0 {
		return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Message not found.")
	}
	return &jarvis.SentMessage{MessageID: list.Messages[0].Id, ThreadID: list.Messages[0].ThreadId}, nil
}
