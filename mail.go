package jarvis

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Address is a mailbox: a display name and an address.
type Address struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// ThreadQuery selects a page of threads.
type ThreadQuery struct {
	Q          string // Gmail search syntax
	Label      string // a label id, e.g. INBOX
	PageToken  string
	MaxResults int
}

// ThreadSummary is a thread as an inbox row shows it.
type ThreadSummary struct {
	ID           string    `json:"id"`
	Subject      string    `json:"subject"`
	From         Address   `json:"from"`
	Date         time.Time `json:"date"`
	Snippet      string    `json:"snippet"`
	MessageCount int       `json:"message_count"`
	Unread       bool      `json:"unread"`
	Labels       []string  `json:"labels"`
	// Participants are the thread's senders in order of first appearance,
	// once each, as Gmail's inbox names a thread ("Mary, me (2)").
	Participants []Participant `json:"participants" doc:"The thread's senders in order of first appearance, once each (by address); the user's own address has me: true. Gmail's inbox shows them as \"Mary, me (2)\"."`
	// Account names the thread's account in a listing of every account.
	Account *AccountRef `json:"account,omitempty" doc:"The Google account the thread is in (account=all only)."`
	// LastInternalDate is the newest message's internalDate: a listing's
	// order, as Gmail's.
	LastInternalDate time.Time `json:"-"`
}

// Participant is someone who wrote in a thread.
type Participant struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	// Me marks the user's own address.
	Me bool `json:"me,omitempty" doc:"The user's own address (a message in Sent, or the connected Google account's address)."`
}

// ThreadPage is one page of an inbox.
type ThreadPage struct {
	Account *AccountRef `json:"account" doc:"The Google account the threads are from (null with account=all)."`
	// Accounts are the accounts merged by account=all.
	Accounts      []AccountRef    `json:"accounts,omitempty" doc:"The accounts merged (account=all), the primary first."`
	Threads       []ThreadSummary `json:"threads"`
	NextPageToken string          `json:"next_page_token,omitempty"`
	// Source says where the page was read: SourceIndex or SourceGmail.
	Source string `json:"source" doc:"index: read from Jarvis's synced copy of the mailbox, with no call to Google; gmail: asked of Gmail (the account is still in its first sync, or the query uses an operator the index cannot answer exactly)."`
}

// Where a listing was read.
const (
	SourceIndex = "index"
	SourceGmail = "gmail"
)

// Thread is a conversation with its messages, oldest first.
type Thread struct {
	Account  *AccountRef `json:"account" doc:"The Google account the thread is in."`
	ID       string      `json:"id"`
	Subject  string      `json:"subject"`
	Messages []Message   `json:"messages"`
}

// Message is one decoded email. Text is UTF-8 plain text (derived from the
// HTML when the message has no plain part); HTML is the HTML part as sent,
// converted to UTF-8, and must be sanitised by whoever renders it.
type Message struct {
	ID       string    `json:"id"`
	ThreadID string    `json:"-"`
	From     Address   `json:"from"`
	To       []Address `json:"to"`
	Cc       []Address `json:"cc"`
	// Bcc is shown only where the user's own message keeps it (a draft).
	Bcc             []Address    `json:"bcc,omitempty" doc:"Bcc addresses, where the message keeps them: the user's drafts."`
	Subject         string       `json:"subject"`
	Date            time.Time    `json:"date"`
	Snippet         string       `json:"snippet"`
	Text            string       `json:"text"`
	HTML            string       `json:"html"`
	Attachments     []Attachment `json:"attachments"`
	Labels          []string     `json:"labels"`
	MessageIDHeader string       `json:"message_id_header"`
	// Authentication is what Gmail found when it checked the sender on
	// receiving the message.
	Authentication Authentication `json:"authentication" doc:"What Gmail's own check of the sender found when the message arrived (its Authentication-Results header from mx.google.com; any such header the sender wrote is ignored). A From whose dmarc is not pass may be forged. verified_by is empty for mail Gmail did not receive: the user's own sent mail and drafts, and mail inserted or imported as it was."`
	// References is the message's References header, for threading replies.
	References string `json:"-"`
}

// Authentication is the verdict of the receiving mail server's checks of a
// message's sender (RFC 8601 Authentication-Results), as far as Jarvis can
// trust it: only the header the receiving server itself added counts.
// Results are RFC 8601's lowercase words: pass, fail, softfail, neutral,
// none, temperror, permerror, policy.
type Authentication struct {
	// VerifiedBy is the server whose results these are (Gmail's
	// mx.google.com), or "" when the message has no such header: then every
	// result is "none".
	VerifiedBy string `json:"verified_by" doc:"The receiving server whose check this is: mx.google.com. Empty when Gmail did not check the message (the user's own sent mail and drafts, mail inserted as it was): then every result is none."`
	// SPF is whether the sending server may send for the envelope sender's
	// domain.
	SPF string `json:"spf" enum:"pass,fail,softfail,neutral,none,temperror,permerror,policy" doc:"SPF: whether the sending server may send mail for the envelope sender's domain (spf_domain)."`
	// DKIM is pass when any signature verified, else the first result.
	DKIM string `json:"dkim" enum:"pass,fail,softfail,neutral,none,temperror,permerror,policy" doc:"DKIM: pass when one of the message's signatures verified (dkim_domain names its domain), else the first signature's result; none when unsigned."`
	// DMARC is whether the From domain's policy check passed: SPF or DKIM
	// passed for a domain aligned with the From address.
	DMARC string `json:"dmarc" enum:"pass,fail,softfail,neutral,none,temperror,permerror,policy" doc:"DMARC: pass when SPF or DKIM passed for the From address's own domain (from_domain); fail means the From may be forged; none when the domain publishes no DMARC policy."`
	// FromDomain is the domain DMARC checked (header.from).
	FromDomain string `json:"from_domain,omitempty" doc:"The From domain DMARC checked."`
	// DKIMDomain is the signing domain of the DKIM result reported.
	DKIMDomain string `json:"dkim_domain,omitempty" doc:"The domain that signed the message (of the DKIM result given)."`
	// SPFDomain is the envelope sender's domain (smtp.mailfrom).
	SPFDomain string `json:"spf_domain,omitempty" doc:"The envelope sender's domain SPF checked."`
	// SenderVerified is true when DMARC passed for the From address's own
	// domain: the From is the sender's.
	SenderVerified bool `json:"sender_verified" doc:"True when Gmail's DMARC check passed for the From address's domain: the From can be believed. False for the user's own mail too (nothing was checked)."`
}

// Authentication results (RFC 8601 section 2.7).
const (
	AuthPass      = "pass"
	AuthFail      = "fail"
	AuthSoftfail  = "softfail"
	AuthNeutral   = "neutral"
	AuthNone      = "none"
	AuthTemperror = "temperror"
	AuthPermerror = "permerror"
	AuthPolicy    = "policy"
)

// GmailAuthServID is the authserv-id of Gmail's receiving servers: the
// only Authentication-Results a message in Gmail carries that Jarvis trusts.
const GmailAuthServID = "mx.google.com"

// Attachment describes a part of a message that is downloaded separately.
type Attachment struct {
	ID       string `json:"id"`
	Filename string `json:"filename"`
	MimeType string `json:"mime_type"`
	Size     int64  `json:"size"`
	// ContentID is the part's Content-ID without angle brackets, for cid: links.
	ContentID string `json:"content_id,omitempty"`
}

// AttachmentData is an attachment's content.
type AttachmentData struct {
	Filename string
	MimeType string
	Data     []byte
	// ContentID is the part's Content-ID without angle brackets, kept when
	// a forward re-attaches it so that the quoted HTML's cid: links hold.
	ContentID string
}

// Limits on a draft's attachments.
const (
	// MaxDraftAttachmentBytes caps a draft's attachments together, uploaded
	// and forwarded: Gmail's own 25 MB.
	MaxDraftAttachmentBytes = 25 << 20
	// MaxDraftAttachments caps the number of a draft's attachments, and of
	// its remove_attachment_ids.
	MaxDraftAttachments = 100
)

// DraftInput is what a caller asks to be drafted.
type DraftInput struct {
	To              []string `json:"to"`
	Cc              []string `json:"cc"`
	Bcc             []string `json:"bcc"`
	Subject         string   `json:"subject"`
	BodyText        string   `json:"body_text"`
	BodyHTML        string   `json:"body_html,omitempty"`
	ReplyToThreadID string   `json:"reply_to_thread_id,omitempty"`
	// ReplyAll answers everyone on the thread (reply_to_thread_id is
	// required): with to and cc empty they are filled by the reply-all rule
	// (see MailService.ReplyAllRecipients); given ones are used as given.
	ReplyAll bool `json:"reply_all,omitempty" doc:"Reply to everyone on the thread (needs reply_to_thread_id). With to and cc empty, Jarvis fills them from the thread's latest message: its Reply-To (else From) and To go to to, its Cc to cc, without the user's own addresses (every connected account's and their Gmail send-as aliases), each address once. Given to or cc are used as given; bcc is always as given."`
	// ForwardMessageID forwards that message of the account: its headers
	// and body quoted below the caller's text, its attachments kept unless
	// RemoveAttachmentIDs names them, the subject "Fwd: …". A new thread
	// unless ReplyToThreadID is given too.
	ForwardMessageID string `json:"forward_message_id,omitempty" doc:"Forward this message (a Gmail message id of the same account): its From, Date, Subject, To and Cc and its body are quoted below body_text/body_html, its attachments are attached again (unless listed in remove_attachment_ids), and the subject becomes \"Fwd: …\" (an empty subject takes the original's). Needs recipients. Starts a new thread unless reply_to_thread_id is given."`
	// RemoveAttachmentIDs are attachments of the forwarded message (ids as
	// listed with it, such as "p2") not to forward.
	RemoveAttachmentIDs []string `json:"remove_attachment_ids,omitempty" doc:"With forward_message_id: attachments of the forwarded message not to forward, by the ids Jarvis lists them with (such as p2 or p1_3)."`
	// Attachments are files uploaded with the draft, attached in order;
	// their MimeType is what the content was sniffed as.
	Attachments []AttachmentData `json:"-"`
}

// ReplyAll is whom a reply-all goes to.
type ReplyAll struct {
	To []string `json:"to"`
	Cc []string `json:"cc"`
}

// Draft identifies a draft; Message is its content, when it was read.
type Draft struct {
	Account   *AccountRef `json:"account" doc:"The Google account the draft is in."`
	DraftID   string      `json:"draft_id"`
	MessageID string      `json:"message_id"`
	ThreadID  string      `json:"thread_id"`
	Message   *Message    `json:"message,omitempty" doc:"The draft's message, decoded (GET /gmail/drafts/{id} only)."`
}

// IsDraftID reports whether s has the form of a Gmail draft id: 1 to 64
// letters, digits, hyphens and underscores (Gmail's are like r-123456789).
func IsDraftID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// MailService reads and drafts mail in the Gmail of one of the user's Google
// accounts. Every method takes the user and the account it acts for — the
// account's id, its email, or "" for the user's primary — and its answers
// name that account. Errors: ENOTFOUND when the user has no such account
// (another user's included); EREAUTH, naming the account, when its grant is
// gone (or, for the primary, when the user has no account at all);
// ESCOPEMISSING when the user refused the needed scope; ENOTFOUND,
// ERATELIMITED, EUPSTREAM or EUPSTREAMTIMEOUT.
type MailService interface {
	ListThreads(ctx context.Context, userID, account string, q ThreadQuery) (*ThreadPage, error)
	GetThread(ctx context.Context, userID, account, threadID string) (*Thread, error)
	GetMessage(ctx context.Context, userID, account, messageID string) (*Message, error)
	GetAttachment(ctx context.Context, userID, account, messageID, attachmentID string) (*AttachmentData, error)
	// CreateDraft drafts in; a reply given no recipients goes to whom
	// ReplyRecipients names.
	CreateDraft(ctx context.Context, userID, account string, in DraftInput) (*Draft, error)
	// ReplyRecipients returns whom a reply to the thread goes to by the
	// reply rule: the other party of its latest message, Reply-To honoured,
	// never the user's own addresses (any of their accounts'); empty when
	// there is no one else.
	ReplyRecipients(ctx context.Context, userID, account, threadID string) ([]string, error)
	// ReplyAllRecipients returns whom a reply-all to the thread goes to,
	// as CreateDraft fills a reply_all given no to and cc: the latest
	// message's Reply-To (else From) and To in To, its Cc in Cc, never the
	// user's own addresses (any of their accounts' and those accounts'
	// send-as aliases), each address once; both empty when there is no one
	// else.
	ReplyAllRecipients(ctx context.Context, userID, account, threadID string) (*ReplyAll, error)
	// GetDraft returns a draft with its message decoded. ENOTFOUND when the
	// account has no such draft.
	GetDraft(ctx context.Context, userID, account, draftID string) (*Draft, error)
	// UpdateDraft replaces a draft's content with in, composed as
	// CreateDraft composes it. ENOTFOUND when the account has no such draft.
	UpdateDraft(ctx context.Context, userID, account, draftID string, in DraftInput) (*Draft, error)
	// DeleteDraft deletes a draft. ENOTFOUND when the account has no such
	// draft.
	DeleteDraft(ctx context.Context, userID, account, draftID string) error
}

// LabelList is the Gmail labels of one account.
type LabelList struct {
	Account *AccountRef `json:"account" doc:"The Google account the labels are from."`
	Labels  []Label     `json:"labels"`
	// Source says where the list was read: SourceIndex or SourceGmail.
	Source string `json:"source" doc:"index (with counts) or gmail (without)."`
}

// Label is a Gmail label; its counts are there when the list was read from
// the index.
type Label struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Type           string `json:"type"` // system or user
	MessagesTotal  *int   `json:"messages_total,omitempty" doc:"Messages with the label (from the index only)."`
	MessagesUnread *int   `json:"messages_unread,omitempty" doc:"Unread messages with the label (from the index only)."`
	ThreadsTotal   *int   `json:"threads_total,omitempty" doc:"Threads with the label (from the index only)."`
	ThreadsUnread  *int   `json:"threads_unread,omitempty" doc:"Threads with the label that have unread mail (from the index only)."`
}

// IsGmailID reports whether s has the form of a Gmail message or thread id:
// 1 to 64 lower-case hexadecimal digits. Anything else is refused before a
// call to Google, which would only answer 400.
func IsGmailID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// DraftIdempotencyScope is the idempotency scope of the drafts made in one
// Google account: an Idempotency-Key answers again only for that account,
// and the account's stored answers go with it when it is disconnected.
func DraftIdempotencyScope(accountID string) string { return "gmail.draft:" + accountID }

// ThreadModify changes the labels of every message of a thread, by label
// id: archiving removes INBOX, marking read removes UNREAD, starring adds
// STARRED.
type ThreadModify struct {
	AddLabels    []string `json:"add_labels" doc:"Label ids to add: a system label (INBOX, UNREAD, STARRED, IMPORTANT, SPAM, CATEGORY_*) or a user label (Label_12). At most 100."`
	RemoveLabels []string `json:"remove_labels" doc:"Label ids to remove, as add_labels. At most 100; never one that add_labels names."`
}

// ThreadChange is the answer of a change to a thread: the thread as Gmail
// stores it afterwards, read back.
type ThreadChange struct {
	Account *AccountRef   `json:"account" doc:"The Google account the thread is in."`
	Thread  ThreadSummary `json:"thread" doc:"The thread as Gmail stores it after the change, read back."`
	// Indexed says whether the local index has the change already.
	Indexed bool `json:"indexed" doc:"true: the local index has the change, so a listing read from it shows it; false: it arrives with the account's next sync, within seconds (a listing asked of Gmail shows it at once)."`
	// HistoryID is the thread's last change in Gmail's history.
	HistoryID uint64 `json:"-"`
}

// MailOrganiser organises the mail of one of the user's accounts: labels,
// archive, read state, stars, and the trash (never deleting for good).
// account and the errors are as MailService's; ENOTFOUND when the thread
// is not in the account; EINVALID naming the field (add_labels,
// remove_labels) for labels Gmail does not have.
type MailOrganiser interface {
	ModifyThread(ctx context.Context, userID, account, threadID string, in ThreadModify) (*ThreadChange, error)
	// TrashThread moves the thread to the trash (trash false: out of it).
	TrashThread(ctx context.Context, userID, account, threadID string, trash bool) (*ThreadChange, error)
}

// maxLabelChanges bounds the labels of one modify, each way.
const maxLabelChanges = 100

// Label ids a modify cannot set, with why.
var unsettableLabels = map[string]string{
	"SENT":  "SENT is set by sending, not by a modify.",
	"DRAFT": "DRAFT is set by drafting, not by a modify.",
	"CHAT":  "CHAT cannot be set by a modify.",
	"TRASH": "Move a thread to the trash with POST /gmail/threads/{id}/trash, and back with /untrash.",
}

// settableSystemLabels are the system labels a modify may add or remove.
var settableSystemLabels = map[string]bool{
	"INBOX": true, "UNREAD": true, "STARRED": true, "IMPORTANT": true, "SPAM": true,
	"CATEGORY_PERSONAL": true, "CATEGORY_SOCIAL": true, "CATEGORY_PROMOTIONS": true,
	"CATEGORY_UPDATES": true, "CATEGORY_FORUMS": true,
}

// isUserLabelID reports whether s has the form of a user label's id:
// Label_ and digits.
func isUserLabelID(s string) bool {
	n, ok := strings.CutPrefix(s, "Label_")
	if !ok || n == "" || len(n) > 20 {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Validate checks a modify before any call to Google: at least one label,
// at most 100 each way, every id a settable system label or a user
// label's, none both added and removed. EINVALID names the field.
func (m ThreadModify) Validate() error {
	if len(m.AddLabels)+len(m.RemoveLabels) == 0 {
		return Invalid("add_labels", "Give at least one label id in add_labels or remove_labels.")
	}
	for _, f := range []struct {
		name   string
		labels []string
	}{{"add_labels", m.AddLabels}, {"remove_labels", m.RemoveLabels}} {
		if len(f.labels) > maxLabelChanges {
			return Invalid(f.name, "%s has %d labels; at most %d.", f.name, len(f.labels), maxLabelChanges)
		}
		for _, l := range f.labels {
			if why, ok := unsettableLabels[l]; ok {
				return Invalid(f.name, "%s", why)
			}
			if !settableSystemLabels[l] && !isUserLabelID(l) {
				if len(l) > 60 {
					l = l[:60] + "…"
				}
				return Invalid(f.name, "%q is not a label id: use a system label such as INBOX, UNREAD or STARRED, or a user label's id such as Label_12 (GET /gmail/labels lists them).", l)
			}
		}
	}
	for _, l := range m.AddLabels {
		if slices.Contains(m.RemoveLabels, l) {
			return Invalid("remove_labels", "%s is both added and removed.", l)
		}
	}
	return nil
}
