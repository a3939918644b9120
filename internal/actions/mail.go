package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jarvis-hq/jarvis"
)

// Accounts lists a user's Google accounts, the primary first.
type Accounts interface {
	ListGoogleAccounts(ctx context.Context, userID string) ([]jarvis.GoogleAccount, error)
}

// resolveAccount finds the user's account named by id or email, or the
// primary for "". ENOTFOUND for an account that is not the user's, EREAUTH
// when the user has none.
func resolveAccount(ctx context.Context, accounts Accounts, userID, name string) (*jarvis.AccountRef, error) {
	list, err := accounts.ListGoogleAccounts(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		if (name == "" && a.Primary) || (name != "" && (a.ID == name || strings.EqualFold(a.Email, name))) {
			return &jarvis.AccountRef{ID: a.ID, Email: a.Email}, nil
		}
	}
	if name == "" {
		return nil, jarvis.Errorf(jarvis.EREAUTH, "Connect a Google account first.")
	}
	return nil, &jarvis.Error{Code: jarvis.ENOTFOUND, Field: "account", Message: "Google account not found."}
}

// decodePayload reads a payload strictly: an unknown field is EINVALID
// naming it, so that nothing the owner is not shown can ride along.
func decodePayload(payload json.RawMessage, v any) error {
	if len(payload) > 1<<20 {
		return &jarvis.Error{Code: jarvis.ETOOLARGE, Field: "payload", Message: "The payload is larger than 1 MiB."}
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return jarvis.Invalid(strings.Trim(f, `"`), "Unknown field %s.", f)
		}
		return jarvis.Invalid("payload", "The payload is not valid JSON of this action.")
	}
	if dec.More() {
		return jarvis.Invalid("payload", "The payload holds more than one JSON value.")
	}
	return nil
}

// canonical encodes a prepared payload.
func canonical(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	return json.RawMessage(b), err
}

// DraftPayload is the payload of gmail.draft.create: the draft fields of
// POST /gmail/draft and the account it is made in.
type DraftPayload struct {
	// Account is the account's id once prepared (an id or email, or "" for
	// the primary, when requested).
	Account string `json:"account"`
	jarvis.DraftInput
}

// DraftCreator drafts over the mail service.
type DraftCreator struct {
	Mail     jarvis.MailService
	Accounts Accounts
	// Validate checks a draft as drafting will (google.ValidateDraft).
	Validate func(jarvis.DraftInput) error
}

// Prepare resolves the account, makes the draft's content exact (see
// prepareMessage) and checks it.
func (d DraftCreator) Prepare(ctx context.Context, userID string, payload json.RawMessage) (*jarvis.PreparedAction, error) {
	var p DraftPayload
	if err := decodePayload(payload, &p); err != nil {
		return nil, err
	}
	if err := checkReferences(p.DraftInput); err != nil {
		return nil, err
	}
	acct, err := resolveAccount(ctx, d.Accounts, userID, p.Account)
	if err != nil {
		return nil, err
	}
	p.Account = acct.ID
	m, err := prepareMessage(ctx, d.Mail, d.Validate, userID, acct.ID, &p.DraftInput)
	if err != nil {
		return nil, err
	}
	b, err := canonical(p)
	if err != nil {
		return nil, err
	}
	what := "a draft"
	switch m.kind {
	case "Reply", "Reply to all":
		what = "a reply draft"
	case "Forward":
		what = "a forward draft"
	}
	return &jarvis.PreparedAction{Payload: b, Account: acct, Recipients: m.rcpts,
		Summary: fmt.Sprintf("Create %s %s to %s", what, quoted(m.subject), listOf(m.rcpts))}, nil
}

// composed is a message's content made exact: everyone it goes to, what
// kind of message it is ("Reply", "Reply to all", "Forward" or "Send")
// and the subject it will carry, for the action's summary.
type composed struct {
	rcpts   []string
	kind    string
	subject string
}

// checkReferences refuses a malformed thread or message id, and reply_all
// without a thread, before anything is read.
func checkReferences(in jarvis.DraftInput) error {
	if in.ReplyToThreadID != "" && !jarvis.IsGmailID(in.ReplyToThreadID) {
		return jarvis.Invalid("reply_to_thread_id", "reply_to_thread_id is not a Gmail id (hexadecimal digits, as Jarvis listed it).")
	}
	if in.ForwardMessageID != "" && !jarvis.IsGmailID(in.ForwardMessageID) {
		return jarvis.Invalid("forward_message_id", "forward_message_id is not a Gmail id (hexadecimal digits, as Jarvis listed it).")
	}
	if in.ReplyAll && in.ReplyToThreadID == "" {
		return jarvis.Invalid("reply_all", "reply_all needs reply_to_thread_id: the thread to reply in.")
	}
	return nil
}

// prepareMessage makes a message's or a draft's content exact, as the
// owner will see it: a reply or reply-all that names no one gets the
// recipients Gmail's rule gives it from the thread (Reply-To honoured,
// the user's own addresses and duplicates removed), absent lists become
// empty, the content is checked as drafting will check it, and the
// subject is the one Gmail will show (a reply's "Re: …", a forward's
// "Fwd: …" when none is given), in the payload too. EINVALID names the
// field.
func prepareMessage(ctx context.Context, mail jarvis.MailService, validate func(jarvis.DraftInput) error, userID, accountID string, in *jarvis.DraftInput) (composed, error) {
	var out composed
	if in.ReplyToThreadID != "" && in.ForwardMessageID == "" {
		switch {
		case in.ReplyAll && len(in.To)+len(in.Cc) == 0:
			all, err := mail.ReplyAllRecipients(ctx, userID, accountID, in.ReplyToThreadID)
			if err != nil {
				return out, err
			}
			in.To, in.Cc = all.To, all.Cc
		case !in.ReplyAll && len(in.To)+len(in.Cc)+len(in.Bcc) == 0:
			to, err := mail.ReplyRecipients(ctx, userID, accountID, in.ReplyToThreadID)
			if err != nil {
				return out, err
			}
			in.To = to
		}
	}
	for _, l := range []*[]string{&in.To, &in.Cc, &in.Bcc} {
		if *l == nil {
			*l = []string{}
		}
	}
	if in.RemoveAttachmentIDs == nil && in.ForwardMessageID != "" {
		in.RemoveAttachmentIDs = []string{}
	}
	out.rcpts = slices.Concat(in.To, in.Cc, in.Bcc)
	if len(out.rcpts) == 0 {
		return out, jarvis.Invalid("to", "At least one recipient is required in to, cc or bcc.")
	}
	if validate != nil {
		if err := validate(*in); err != nil {
			return out, err
		}
	}
	out.kind, out.subject = "Send", strings.TrimSpace(in.Subject)
	switch {
	case in.ForwardMessageID != "":
		out.kind = "Forward"
		if out.subject == "" {
			msg, err := mail.GetMessage(ctx, userID, accountID, in.ForwardMessageID)
			if err != nil {
				return out, err
			}
			out.subject = msg.Subject
		}
		if !hasPrefixFold(out.subject, "Fwd:", "Fw:") {
			out.subject = "Fwd: " + out.subject
		}
	case in.ReplyToThreadID != "":
		out.kind = "Reply"
		if in.ReplyAll {
			out.kind = "Reply to all"
		}
		if out.subject == "" {
			th, err := mail.GetThread(ctx, userID, accountID, in.ReplyToThreadID)
			if err != nil {
				return out, err
			}
			out.subject = th.Subject
			for _, m := range th.Messages {
				if !slices.Contains(m.Labels, "DRAFT") {
					out.subject = m.Subject // the latest that is not a draft is the one replied to
				}
			}
		}
		if !hasPrefixFold(out.subject, "Re:", "Aw:") {
			out.subject = "Re: " + out.subject
		}
	}
	if out.kind != "Send" {
		// The payload carries the subject shown, which drafting keeps as it
		// is: the owner approves the subject the message will have.
		in.Subject = out.subject
	}
	return out, nil
}

// hasPrefixFold reports whether s starts with one of the prefixes, in any
// case, as Gmail recognises a reply's or a forward's subject.
func hasPrefixFold(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return true
		}
	}
	return false
}

// Execute makes the draft as prepared.
func (d DraftCreator) Execute(ctx context.Context, userID string, payload json.RawMessage) (json.RawMessage, error) {
	var p DraftPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, jarvis.Errorf(jarvis.EINTERNAL, "The stored payload cannot be read.")
	}
	draft, err := d.Mail.CreateDraft(ctx, userID, p.Account, p.DraftInput)
	if err != nil {
		return nil, err
	}
	return canonical(draft)
}

// ThreadPayload is the payload of gmail.thread.modify, trash and untrash.
type ThreadPayload struct {
	Account  string `json:"account"`
	ThreadID string `json:"thread_id"`
	// AddLabels and RemoveLabels are modify's; absent for trash and
	// untrash.
	AddLabels    []string `json:"add_labels,omitempty"`
	RemoveLabels []string `json:"remove_labels,omitempty"`
}

// ThreadOrganiser organises threads over the mail organiser: Kind is one of
// gmail.thread.modify, gmail.thread.trash, gmail.thread.untrash.
type ThreadOrganiser struct {
	Kind      string
	Organiser jarvis.MailOrganiser
	Mail      jarvis.MailService
	Accounts  Accounts
}

// Prepare checks the thread id and labels, resolves the account, and reads
// the thread's subject for the summary (ENOTFOUND when the thread is not in
// the account).
func (o ThreadOrganiser) Prepare(ctx context.Context, userID string, payload json.RawMessage) (*jarvis.PreparedAction, error) {
	var p ThreadPayload
	if err := decodePayload(payload, &p); err != nil {
		return nil, err
	}
	if !jarvis.IsGmailID(p.ThreadID) {
		return nil, jarvis.Invalid("thread_id", "thread_id is not a Gmail id (hexadecimal digits, as Jarvis listed it).")
	}
	if o.Kind == jarvis.ActionThreadModify {
		if p.AddLabels == nil {
			p.AddLabels = []string{}
		}
		if p.RemoveLabels == nil {
			p.RemoveLabels = []string{}
		}
		if err := (&jarvis.ThreadModify{AddLabels: p.AddLabels, RemoveLabels: p.RemoveLabels}).Validate(); err != nil {
			return nil, err
		}
	} else if len(p.AddLabels)+len(p.RemoveLabels) > 0 {
		return nil, jarvis.Invalid("add_labels", "Moving to or out of the trash takes no labels.")
	}
	acct, err := resolveAccount(ctx, o.Accounts, userID, p.Account)
	if err != nil {
		return nil, err
	}
	p.Account = acct.ID
	th, err := o.Mail.GetThread(ctx, userID, acct.ID, p.ThreadID)
	if err != nil {
		return nil, err
	}
	subject := quoted(th.Subject)
	var summary string
	switch o.Kind {
	case jarvis.ActionThreadTrash:
		summary = "Move " + subject + " to the trash"
	case jarvis.ActionThreadUntrash:
		summary = "Move " + subject + " out of the trash"
	default:
		summary = modifySummary(subject, p.AddLabels, p.RemoveLabels)
	}
	b, err := canonical(p)
	if err != nil {
		return nil, err
	}
	return &jarvis.PreparedAction{Payload: b, Account: acct, Summary: summary}, nil
}

// Execute changes the thread as prepared.
func (o ThreadOrganiser) Execute(ctx context.Context, userID string, payload json.RawMessage) (json.RawMessage, error) {
	var p ThreadPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, jarvis.Errorf(jarvis.EINTERNAL, "The stored payload cannot be read.")
	}
	var c *jarvis.ThreadChange
	var err error
	switch o.Kind {
	case jarvis.ActionThreadModify:
		c, err = o.Organiser.ModifyThread(ctx, userID, p.Account, p.ThreadID, jarvis.ThreadModify{AddLabels: p.AddLabels, RemoveLabels: p.RemoveLabels})
	default:
		c, err = o.Organiser.TrashThread(ctx, userID, p.Account, p.ThreadID, o.Kind == jarvis.ActionThreadTrash)
	}
	if err != nil {
		return nil, err
	}
	return canonical(c)
}

// modifySummary says what a label change does, in the words of Gmail's
// buttons where one fits.
func modifySummary(subject string, add, remove []string) string {
	var words []string
	for _, l := range remove {
		switch l {
		case "INBOX":
			words = append(words, "archive")
		case "UNREAD":
			words = append(words, "mark read")
		case "STARRED":
			words = append(words, "unstar")
		default:
			words = append(words, "remove label "+l)
		}
	}
	for _, l := range add {
		switch l {
		case "INBOX":
			words = append(words, "move to the inbox")
		case "UNREAD":
			words = append(words, "mark unread")
		case "STARRED":
			words = append(words, "star")
		default:
			words = append(words, "add label "+l)
		}
	}
	if len(words) == 0 {
		return "Change nothing on " + subject
	}
	s := strings.Join(words, ", ")
	return strings.ToUpper(s[:1]) + s[1:] + ": " + subject
}

// quoted quotes a subject for a summary, shortened.
func quoted(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "(no subject)"
	}
	if utf8.RuneCountInString(s) > 80 {
		s = string([]rune(s)[:79]) + "…"
	}
	return "“" + s + "”"
}

// listOf names recipients for a summary: the first three and how many more.
func listOf(rcpts []string) string {
	switch {
	case len(rcpts) == 0:
		return "no one"
	case len(rcpts) <= 3:
		return strings.Join(rcpts, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(rcpts[:3], ", "), len(rcpts)-3)
}
