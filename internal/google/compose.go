package google

import (
	"context"
	"slices"

	"golang.org/x/sync/errgroup"
	"google.golang.org/api/gmail/v1"

	"github.com/jarvis-hq/jarvis"
)

// composed is a message ready to be stored as a draft.
type composed struct {
	raw      []byte
	threadID string
	// upload sends raw to the upload endpoint: it has attachments.
	upload bool
}

// CreateDraft drafts a message in the account, doing the whole job of
// composing it:
//
//   - a reply (reply_to_thread_id) threads by Gmail's rule: threadId,
//     In-Reply-To and References of the thread's latest message that is not
//     a draft, and its subject with "Re: ". Given no recipients it goes to
//     whom the reply rule names (see ReplyRecipients); a reply_all given no
//     to and cc goes to whom the reply-all rule names (see
//     ReplyAllRecipients). EINVALID (field to) when the rule names no one.
//   - a forward (forward_message_id) quotes the original's headers and
//     body below the caller's text, attaches the original's attachments
//     again (fetched from Gmail) except those remove_attachment_ids names,
//     and is "Fwd: …"; it starts a new thread unless it is also a reply.
//   - uploaded attachments (in.Attachments) are attached after the body.
//
// Attachments together (uploaded and forwarded) are at most
// MaxDraftAttachmentBytes: ETOOLARGE otherwise. A message with attachments
// goes to Gmail's upload endpoint. Each call writes a gmail.draft.create
// audit row.
func (s *Service) CreateDraft(ctx context.Context, userID, account string, in jarvis.DraftInput) (d *jarvis.Draft, err error) {
	if err := ValidateDraft(in); err != nil {
		return nil, err
	}
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	var c *gmailCall
	defer func() {
		target := ""
		if d != nil {
			target = d.DraftID
		}
		err = s.record(ctx, c.acct(), jarvis.AuditGmailDraftCreate, "draft", target, err, draftMeta(in))
	}()
	c, err = s.gmailFor(ctx, userID, account, draftScopes, "draft mail")
	if err != nil {
		return nil, err
	}
	m, err := s.compose(ctx, userID, c, in)
	if err != nil {
		return nil, err
	}
	created, err := createDraftOnce(ctx, c.svc, m)
	if err != nil {
		return nil, upstreamError(ctx, err, "Thread")
	}
	return draftOf(c, created), nil
}

// draftMeta is what an audit row of a draft write says of it: its shape,
// never its addresses or content.
func draftMeta(in jarvis.DraftInput) map[string]any {
	return map[string]any{
		"reply": in.ReplyToThreadID != "", "reply_all": in.ReplyAll, "forward": in.ForwardMessageID != "",
		"recipients": len(in.To) + len(in.Cc) + len(in.Bcc), "attachments": len(in.Attachments),
	}
}

func draftOf(c *gmailCall, created *gmail.Draft) *jarvis.Draft {
	d := &jarvis.Draft{DraftID: created.Id, Account: c.g.Ref()}
	if created.Message != nil {
		d.MessageID, d.ThreadID = created.Message.Id, created.Message.ThreadId
	}
	return d
}

// compose builds the message of a validated draft input for the account:
// the reply's threading and recipients, the forwarded message and its
// attachments.
func (s *Service) compose(ctx context.Context, userID string, c *gmailCall, in jarvis.DraftInput) (*composed, error) {
	opts := DraftOptions{From: jarvis.Address{Email: c.g.Email, Name: c.g.Name}, Now: s.now()}
	if u := jarvis.UserFromContext(ctx); u != nil && u.ID == userID && opts.From.Name == "" {
		opts.From.Name = u.Name
	}
	if (in.ReplyToThreadID != "" || in.ForwardMessageID != "") && !hasAny(c.g, readScopes) {
		return nil, scopeError(c.g, "read mail, which a reply or a forward needs,")
	}
	if in.ReplyToThreadID != "" {
		th, err := c.svc.Users.Threads.Get("me", in.ReplyToThreadID).Context(ctx).Format("metadata").
			MetadataHeaders(replyHeaders...).Do()
		if err != nil {
			return nil, fieldError(ctx, err, "Thread", "reply_to_thread_id")
		}
		if len(th.Messages) == 0 {
			return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Thread not found.")
		}
		switch {
		case in.ReplyAll && len(in.To)+len(in.Cc) == 0:
			if in.To, in.Cc = replyAllRecipients(th.Messages, s.ownAddresses(ctx, userID, c)...); len(in.To) == 0 {
				return nil, jarvis.Invalid("to", "The thread has no one else to reply to; give the recipients in to.")
			}
		case !in.ReplyAll && len(in.To)+len(in.Cc)+len(in.Bcc) == 0:
			if in.To = replyRecipients(th.Messages, s.ownAddresses(ctx, userID, c)...); len(in.To) == 0 {
				return nil, jarvis.Invalid("to", "The thread has no one else to reply to; give the recipients in to.")
			}
		}
		last := MessageFromGmail(lastSent(th.Messages))
		opts.ReplyTo = &last
	}
	if in.ForwardMessageID != "" {
		fwd, atts, err := s.forwarded(ctx, c, in)
		if err != nil {
			return nil, err
		}
		opts.Forward, opts.Attachments = fwd, atts
	}
	raw, err := BuildDraft(in, opts)
	if err != nil {
		return nil, err
	}
	return &composed{raw: raw, threadID: in.ReplyToThreadID, upload: len(in.Attachments)+len(opts.Attachments) > 0}, nil
}

// forwarded reads the message a draft forwards and downloads the
// attachments it keeps, at the same time (bounded). EINVALID
// (remove_attachment_ids) for an id the message does not have; ETOOLARGE
// (remove_attachment_ids) when the kept attachments and the uploaded ones
// are more than MaxDraftAttachmentBytes together.
func (s *Service) forwarded(ctx context.Context, c *gmailCall, in jarvis.DraftInput) (*jarvis.Message, []jarvis.AttachmentData, error) {
	gm, err := c.svc.Users.Messages.Get("me", in.ForwardMessageID).Context(ctx).Format("full").Do()
	if err != nil {
		return nil, nil, fieldError(ctx, err, "Message", "forward_message_id")
	}
	msg := MessageFromGmail(gm)
	stableAttachmentIDs(&msg, gm)
	for _, id := range in.RemoveAttachmentIDs {
		if !slices.ContainsFunc(msg.Attachments, func(a jarvis.Attachment) bool { return a.ID == id }) {
			return nil, nil, jarvis.Invalid("remove_attachment_ids", "%s is not an attachment of the forwarded message.", quoteShort(id))
		}
	}
	keep := slices.DeleteFunc(slices.Clone(msg.Attachments), func(a jarvis.Attachment) bool { return slices.Contains(in.RemoveAttachmentIDs, a.ID) })
	total := attachmentBytes(in.Attachments)
	for _, a := range keep {
		total += a.Size
	}
	if total > MaxDraftAttachmentBytes {
		return nil, nil, forwardTooLarge(total)
	}
	parts := map[string]*gmail.MessagePart{}
	walkParts(gm.Payload, func(p *gmail.MessagePart) {
		if p.Body != nil && p.Body.AttachmentId != "" {
			parts[partAttachmentID(p.PartId)] = p
		}
	})
	out := make([]jarvis.AttachmentData, len(keep))
	eg, gctx := errgroup.WithContext(ctx)
	eg.SetLimit(max(s.cfg.Concurrency, 1))
	for i, a := range keep {
		p := parts[a.ID]
		if p == nil {
			return nil, nil, &jarvis.Error{Code: jarvis.EUPSTREAM, Message: "Google listed an attachment it cannot serve."}
		}
		eg.Go(func() error {
			body, err := c.svc.Users.Messages.Attachments.Get("me", gm.Id, p.Body.AttachmentId).Context(gctx).Do()
			if err != nil {
				return upstreamError(gctx, err, "Attachment")
			}
			data, err := decodeBase64URL(body.Data)
			if err != nil {
				return &jarvis.Error{Code: jarvis.EUPSTREAM, Message: "Google sent an attachment that cannot be decoded.", Err: err}
			}
			out[i] = jarvis.AttachmentData{Filename: a.Filename, MimeType: a.MimeType, Data: data, ContentID: a.ContentID}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, nil, err
	}
	if total = attachmentBytes(in.Attachments) + attachmentBytes(out); total > MaxDraftAttachmentBytes {
		return nil, nil, forwardTooLarge(total)
	}
	return &msg, out, nil
}

func forwardTooLarge(total int64) error {
	return tooLarge("remove_attachment_ids", "The forwarded attachments and the uploaded files are %.1f MB together; at most %d MB. Leave some out with remove_attachment_ids.",
		float64(total)/(1<<20), MaxDraftAttachmentBytes>>20)
}

func attachmentBytes(list []jarvis.AttachmentData) int64 {
	var n int64
	for _, a := range list {
		n += int64(len(a.Data))
	}
	return n
}
