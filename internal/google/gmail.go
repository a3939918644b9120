package google

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/option"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
)

var _ jarvis.MailService = (*Service)(nil)

// Scopes that allow reading and drafting mail.
var (
	readScopes  = []string{ScopeGmailReadonly, "https://www.googleapis.com/auth/gmail.modify", "https://mail.google.com/"}
	draftScopes = []string{ScopeGmailCompose, "https://www.googleapis.com/auth/gmail.modify", "https://mail.google.com/"}
	calScopes   = []string{ScopeCalendarReadonly, "https://www.googleapis.com/auth/calendar", "https://www.googleapis.com/auth/calendar.events.readonly", "https://www.googleapis.com/auth/calendar.events"}
)

// summaryHeaders are the headers an inbox row needs.
var summaryHeaders = []string{"Subject", "From", "Date"}

// gmailCall is one Gmail operation for one of a user's accounts: a token
// source, and a service on a client that carries it.
type gmailCall struct {
	tokens *userTokens
	svc    *gmail.Service
	g      *jarvis.GoogleIntegration
}

// acct is the account the call acts for, nil before it is known.
func (c *gmailCall) acct() *jarvis.GoogleIntegration {
	if c == nil {
		return nil
	}
	return c.g
}

// gmailFor loads the user's account (id, email, or "" for the primary),
// checks that one of the scopes was granted (ESCOPEMISSING otherwise) and
// returns a Gmail service acting for it. ENOTFOUND if the user has no such
// account.
func (s *Service) gmailFor(ctx context.Context, userID, account string, scopes []string, what string) (*gmailCall, error) {
	if account == jarvis.AllAccounts {
		return nil, jarvis.Invalid("account", "Gmail reads one account at a time: name it by id or email, or leave account out for the primary.")
	}
	u := s.tokens(userID, account)
	g, err := u.integration(ctx)
	if err != nil {
		return nil, err
	}
	if !hasAny(g, scopes) {
		return nil, scopeError(g, what)
	}
	opts := []option.ClientOption{option.WithHTTPClient(s.client(u))}
	if s.gmail != "" {
		opts = append(opts, option.WithEndpoint(s.gmail))
	}
	svc, err := gmail.NewService(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return &gmailCall{tokens: u, svc: svc, g: g}, nil
}

// scopeError says that the account's grant lacks the permission to do what.
func scopeError(g *jarvis.GoogleIntegration, what string) error {
	return &jarvis.Error{Code: jarvis.ESCOPEMISSING, Account: g.Ref(),
		Message: fmt.Sprintf("You did not let Jarvis %s in the Google account %s. Reconnect it and grant that permission.", what, g.Email)}
}

func hasAny(g *jarvis.GoogleIntegration, scopes []string) bool {
	for _, s := range scopes {
		if g.HasScope(s) {
			return true
		}
	}
	return false
}

// ListThreads lists a page of threads: one threads.list, then every thread's
// metadata fetched in parallel (bounded), so that a page costs about two
// round trips however many threads it shows.
func (s *Service) ListThreads(ctx context.Context, userID, account string, q jarvis.ThreadQuery) (page *jarvis.ThreadPage, err error) {
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	var c *gmailCall
	defer func() {
		err = s.record(ctx, c.acct(), jarvis.AuditGmailThreadsList, "mailbox", "", err, map[string]any{"label": q.Label, "results": resultCount(page)})
	}()
	c, err = s.gmailFor(ctx, userID, account, readScopes, "read your mail")
	if err != nil {
		return nil, err
	}
	call := c.svc.Users.Threads.List("me").Context(ctx).MaxResults(int64(q.MaxResults))
	if q.Q != "" {
		call = call.Q(q.Q)
	}
	if q.Label != "" {
		call = call.LabelIds(q.Label)
	}
	if q.PageToken != "" {
		call = call.PageToken(q.PageToken)
	}
	list, err := call.Do()
	if err != nil {
		return nil, upstreamError(ctx, err, "Mailbox")
	}
	page = &jarvis.ThreadPage{Account: c.g.Ref(), Source: jarvis.SourceGmail, Threads: make([]jarvis.ThreadSummary, len(list.Threads)), NextPageToken: list.NextPageToken}
	eg, gctx := errgroup.WithContext(ctx)
	eg.SetLimit(s.cfg.Concurrency)
	for i, t := range list.Threads {
		eg.Go(func() error {
			th, err := c.svc.Users.Threads.Get("me", t.Id).Context(gctx).Format("metadata").MetadataHeaders(summaryHeaders...).Do()
			if err != nil {
				return upstreamError(gctx, err, "Thread")
			}
			page.Threads[i] = SummaryFromGmail(th)
			mailsync.MarkMe(page.Threads[i].Participants, c.g.Email)
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	return page, nil
}

func resultCount(p *jarvis.ThreadPage) int {
	if p == nil {
		return 0
	}
	return len(p.Threads)
}

// readGmail runs one read of the Gmail of one of the user's accounts within
// the call timeout and writes its audit row, whatever the outcome.
func readGmail[T any](s *Service, ctx context.Context, userID, account, action, targetType, target string, fn func(context.Context, *gmailCall) (T, error)) (out T, err error) {
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	var c *gmailCall
	defer func() { err = s.record(ctx, c.acct(), action, targetType, target, err, nil) }()
	c, err = s.gmailFor(ctx, userID, account, readScopes, "read your mail")
	if err != nil {
		return out, err
	}
	return fn(ctx, c)
}

// GetThread returns a thread with every message decoded.
func (s *Service) GetThread(ctx context.Context, userID, account, threadID string) (*jarvis.Thread, error) {
	return readGmail(s, ctx, userID, account, jarvis.AuditGmailThreadGet, "thread", threadID, func(ctx context.Context, c *gmailCall) (*jarvis.Thread, error) {
		th, err := c.svc.Users.Threads.Get("me", threadID).Context(ctx).Format("full").Do()
		if err != nil {
			return nil, fieldError(ctx, err, "Thread", "id")
		}
		out := ThreadFromGmail(th)
		out.Account = c.g.Ref()
		for i := range out.Messages {
			stableAttachmentIDs(&out.Messages[i], th.Messages[i])
		}
		return &out, nil
	})
}

// GetMessage returns one message, decoded.
func (s *Service) GetMessage(ctx context.Context, userID, account, messageID string) (*jarvis.Message, error) {
	return readGmail(s, ctx, userID, account, jarvis.AuditGmailMessageGet, "message", messageID, func(ctx context.Context, c *gmailCall) (*jarvis.Message, error) {
		gm, err := c.svc.Users.Messages.Get("me", messageID).Context(ctx).Format("full").Do()
		if err != nil {
			return nil, fieldError(ctx, err, "Message", "message_id")
		}
		out := MessageFromGmail(gm)
		stableAttachmentIDs(&out, gm)
		return &out, nil
	})
}

// Attachment ids. Gmail's own attachmentId changes from one fetch to the
// next, so Jarvis names an attachment by its part id instead ("p" and the
// part id with dots as underscores: "p1_0"), and finds the current
// attachmentId when the attachment is downloaded.
func partAttachmentID(partID string) string { return "p" + strings.ReplaceAll(partID, ".", "_") }

func partIDFromAttachmentID(id string) (string, bool) {
	if len(id) < 2 || len(id) > 64 || id[0] != 'p' {
		return "", false
	}
	for _, seg := range strings.Split(id[1:], "_") {
		if seg == "" || strings.Trim(seg, "0123456789") != "" {
			return "", false
		}
	}
	return strings.ReplaceAll(id[1:], "_", "."), true
}

// stableAttachmentIDs rewrites a decoded message's attachment ids (Gmail's
// attachmentIds) into part-based ids.
func stableAttachmentIDs(m *jarvis.Message, gm *gmail.Message) {
	byGmailID := map[string]string{}
	walkParts(gm.Payload, func(p *gmail.MessagePart) {
		if p.Body != nil && p.Body.AttachmentId != "" {
			byGmailID[p.Body.AttachmentId] = partAttachmentID(p.PartId)
		}
	})
	for i, a := range m.Attachments {
		if id, ok := byGmailID[a.ID]; ok {
			m.Attachments[i].ID = id
		}
	}
}

func walkParts(p *gmail.MessagePart, fn func(*gmail.MessagePart)) {
	if p == nil {
		return
	}
	fn(p)
	for _, c := range p.Parts {
		walkParts(c, fn)
	}
}

// GetAttachment downloads an attachment named by its part-based id.
func (s *Service) GetAttachment(ctx context.Context, userID, account, messageID, attachmentID string) (a *jarvis.AttachmentData, err error) {
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	var c *gmailCall
	defer func() {
		err = s.record(ctx, c.acct(), jarvis.AuditGmailAttachmentGet, "message", messageID, err, map[string]any{"attachment_id": attachmentID})
	}()
	partID, ok := partIDFromAttachmentID(attachmentID)
	if !ok {
		return nil, jarvis.Invalid("attachment_id", "attachment_id is not an attachment id (such as p2 or p1_3, as Jarvis listed it).")
	}
	if !jarvis.IsGmailID(messageID) {
		return nil, jarvis.Invalid("message_id", "message_id is not a Gmail id (hexadecimal digits, as Jarvis listed it).")
	}
	c, err = s.gmailFor(ctx, userID, account, readScopes, "read your mail")
	if err != nil {
		return nil, err
	}
	gm, err := c.svc.Users.Messages.Get("me", messageID).Context(ctx).Format("full").Do()
	if err != nil {
		return nil, fieldError(ctx, err, "Message", "message_id")
	}
	var part *gmail.MessagePart
	walkParts(gm.Payload, func(p *gmail.MessagePart) {
		if p.PartId == partID && p.Body != nil && p.Body.AttachmentId != "" {
			part = p
		}
	})
	if part == nil {
		return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Attachment not found.")
	}
	body, err := c.svc.Users.Messages.Attachments.Get("me", messageID, part.Body.AttachmentId).Context(ctx).Do()
	if err != nil {
		return nil, fieldError(ctx, err, "Attachment", "attachment_id")
	}
	data, err := decodeBase64URL(body.Data)
	if err != nil {
		return nil, &jarvis.Error{Code: jarvis.EUPSTREAM, Message: "Google sent an attachment that cannot be decoded.", Err: err}
	}
	decoded := MessageFromGmail(&gmail.Message{Payload: &gmail.MessagePart{MimeType: "multipart/mixed", Parts: []*gmail.MessagePart{part}}})
	name, mimeType := part.Filename, strings.ToLower(part.MimeType)
	if len(decoded.Attachments) == 1 {
		name = decoded.Attachments[0].Filename
	}
	return &jarvis.AttachmentData{Filename: name, MimeType: mimeType, Data: data}, nil
}

func decodeBase64URL(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// lastSent returns the thread's latest message that is not a draft (a reply
// answers what was sent, never an unsent draft), or its latest message when
// all are drafts. msgs is not empty.
func lastSent(msgs []*gmail.Message) *gmail.Message {
	for i := len(msgs) - 1; i >= 0; i-- {
		if !slices.Contains(msgs[i].LabelIds, "DRAFT") {
			return msgs[i]
		}
	}
	return msgs[len(msgs)-1]
}

// ListLabels lists the Gmail labels of one of the user's accounts.
// Each listing writes a gmail.labels.list audit row, whatever the outcome.
func (s *Service) ListLabels(ctx context.Context, userID, account string) (_ *jarvis.LabelList, err error) {
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	var c *gmailCall
	defer func() { err = s.record(ctx, c.acct(), jarvis.AuditGmailLabelsList, "mailbox", "", err, nil) }()
	c, err = s.gmailFor(ctx, userID, account, readScopes, "read your mail")
	if err != nil {
		return nil, err
	}
	res, err := c.svc.Users.Labels.List("me").Context(ctx).Do()
	if err != nil {
		return nil, upstreamError(ctx, err, "Labels")
	}
	out := &jarvis.LabelList{Account: c.g.Ref(), Source: jarvis.SourceGmail, Labels: make([]jarvis.Label, 0, len(res.Labels))}
	for _, l := range res.Labels {
		out.Labels = append(out.Labels, jarvis.Label{ID: l.Id, Name: l.Name, Type: l.Type})
	}
	return out, nil
}
