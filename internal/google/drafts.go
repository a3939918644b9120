package google

import (
	"bytes"
	"context"
	"slices"

	"google.golang.org/api/googleapi"

	"github.com/jarvis-hq/jarvis"
)

// draftReadScopes are the scopes that let a draft be read.
var draftReadScopes = append(slices.Clone(readScopes), ScopeGmailCompose)

// GetDraft returns a draft of the account with its message decoded
// (attachment ids as GetThread names them). It writes a gmail.draft.get
// audit row. ENOTFOUND when the account has no such draft.
func (s *Service) GetDraft(ctx context.Context, userID, account, draftID string) (d *jarvis.Draft, err error) {
	if !jarvis.IsDraftID(draftID) {
		return nil, invalidDraftID()
	}
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	var c *gmailCall
	defer func() { err = s.record(ctx, c.acct(), jarvis.AuditGmailDraftGet, "draft", draftID, err, nil) }()
	c, err = s.gmailFor(ctx, userID, account, draftReadScopes, "read your drafts")
	if err != nil {
		return nil, err
	}
	gd, err := c.svc.Users.Drafts.Get("me", draftID).Format("full").Context(ctx).Do()
	if err != nil {
		return nil, fieldError(ctx, err, "Draft", "id")
	}
	d = draftOf(c, gd)
	if gd.Message != nil {
		msg := MessageFromGmail(gd.Message)
		stableAttachmentIDs(&msg, gd.Message)
		d.Message = &msg
	}
	return d, nil
}

// UpdateDraft replaces the content of a draft of the account with in,
// composed exactly as CreateDraft composes a new one (a reply, reply-all
// or forward is threaded, addressed and filled the same way; a draft that
// should stay a reply must say reply_to_thread_id again). It writes a
// gmail.draft.update audit row. ENOTFOUND when the account has no such
// draft; the errors of CreateDraft otherwise.
func (s *Service) UpdateDraft(ctx context.Context, userID, account, draftID string, in jarvis.DraftInput) (d *jarvis.Draft, err error) {
	if !jarvis.IsDraftID(draftID) {
		return nil, invalidDraftID()
	}
	if err := ValidateDraft(in); err != nil {
		return nil, err
	}
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	var c *gmailCall
	defer func() {
		err = s.record(ctx, c.acct(), jarvis.AuditGmailDraftUpdate, "draft", draftID, err, draftMeta(in))
	}()
	c, err = s.gmailFor(ctx, userID, account, draftScopes, "draft mail")
	if err != nil {
		return nil, err
	}
	// A draft of another account (or none) is 404 before anything is
	// fetched for the new content.
	if _, err := c.svc.Users.Drafts.Get("me", draftID).Format("minimal").Context(ctx).Do(); err != nil {
		return nil, fieldError(ctx, err, "Draft", "id")
	}
	m, err := s.compose(ctx, userID, c, in)
	if err != nil {
		return nil, err
	}
	draft := m.draft()
	draft.Id = draftID
	call := c.svc.Users.Drafts.Update("me", draftID, draft)
	if m.upload {
		call = call.Media(bytes.NewReader(m.raw), googleapi.ContentType("message/rfc822"), googleapi.ChunkSize(0))
	}
	updated, err := call.Context(ctx).Do()
	if err != nil {
		return nil, fieldError(ctx, err, "Draft", "id")
	}
	return draftOf(c, updated), nil
}

// DeleteDraft deletes a draft of the account (Gmail deletes drafts for
// good; a draft is not sent mail). It writes a gmail.draft.delete audit
// row. ENOTFOUND when the account has no such draft.
func (s *Service) DeleteDraft(ctx context.Context, userID, account, draftID string) (err error) {
	if !jarvis.IsDraftID(draftID) {
		return invalidDraftID()
	}
	ctx, cancel := s.callContext(ctx)
	defer cancel()
	var c *gmailCall
	defer func() { err = s.record(ctx, c.acct(), jarvis.AuditGmailDraftDelete, "draft", draftID, err, nil) }()
	c, err = s.gmailFor(ctx, userID, account, draftScopes, "draft mail")
	if err != nil {
		return err
	}
	if err := c.svc.Users.Drafts.Delete("me", draftID).Context(ctx).Do(); err != nil {
		return fieldError(ctx, err, "Draft", "id")
	}
	return nil
}

func invalidDraftID() error {
	return jarvis.Invalid("id", "id is not a Gmail draft id (as Jarvis answered it: letters, digits, - and _).")
}
