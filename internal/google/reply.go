package google

import (
	"context"
	"slices"
	"strings"
	"sync"

	"google.golang.org/api/gmail/v1"

	"github.com/jarvis-hq/jarvis"
)

// replyHeaders are the headers a reply is threaded and addressed from.
var replyHeaders = []string{"Subject", "From", "To", "Cc", "Reply-To", "Date", "Message-ID", "References", "In-Reply-To"}

// replyRecipients is the reply rule, the one both POST /gmail/draft and the
// assistant's create_draft apply to a reply given no recipients. It answers
// the thread's latest message that is not a draft, as Gmail's Reply does:
//
//   - written by someone else: its Reply-To when it has one, else its From;
//   - written by the user: its To (the people she wrote to); when that
//     leaves no one, the latest earlier message by someone else, as above.
//
// The user's own addresses (own, compared case-insensitively) are never
// among the result, which holds bare addresses, each once, in header order;
// it is empty when the thread has no one else to answer.
func replyRecipients(msgs []*gmail.Message, own ...string) []string {
	mine := func(a string) bool {
		return slices.ContainsFunc(own, func(o string) bool { return o != "" && strings.EqualFold(o, a) })
	}
	var out []string
	add := func(list ...jarvis.Address) {
		for _, a := range list {
			if a.Email == "" || mine(a.Email) || slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, a.Email) }) {
				continue
			}
			out = append(out, a.Email)
		}
	}
	sent := make([]*gmail.Message, 0, len(msgs))
	for _, m := range msgs {
		if m != nil && !slices.Contains(m.LabelIds, "DRAFT") {
			sent = append(sent, m)
		}
	}
	for i := len(sent) - 1; i >= 0; i-- {
		p := sent[i].Payload
		if p == nil {
			continue
		}
		from := parseAddress(headerValue(p, "From"))
		if from.Email == "" || !mine(from.Email) {
			if rt := parseAddressList(headerValue(p, "Reply-To")); slices.ContainsFunc(rt, func(a jarvis.Address) bool { return a.Email != "" }) {
				add(rt...)
			} else {
				add(from)
			}
		} else if i == len(sent)-1 {
			add(parseAddressList(headerValue(p, "To"))...)
		}
		if len(out) > 0 {
			break
		}
	}
	return out
}

// replyAllRecipients is the reply-all rule. It answers the thread's latest
// message that is not a draft, as Gmail's Reply all does:
//
//   - written by someone else: To is its Reply-To when it has one (else its
//     From), then its To; Cc is its Cc;
//   - written by the user: To is its To, Cc its Cc; when that leaves no
//     one, To is whom the reply rule names (the other party before).
//
// The user's own addresses (own, case-insensitively) are removed, and each
// address is kept once (the first time it appears, To before Cc). When To
// is left empty and Cc is not, Cc becomes To. Both are nil when the thread
// has no one else to answer.
func replyAllRecipients(msgs []*gmail.Message, own ...string) (to, cc []string) {
	mine := func(a string) bool {
		return slices.ContainsFunc(own, func(o string) bool { return o != "" && strings.EqualFold(o, a) })
	}
	seen := map[string]bool{}
	add := func(dst []string, list ...jarvis.Address) []string {
		for _, a := range list {
			key := strings.ToLower(a.Email)
			if a.Email == "" || mine(a.Email) || seen[key] {
				continue
			}
			seen[key] = true
			dst = append(dst, a.Email)
		}
		return dst
	}
	var last *gmail.Message
	for i := len(msgs) - 1; i >= 0 && last == nil; i-- {
		if m := msgs[i]; m != nil && m.Payload != nil && !slices.Contains(m.LabelIds, "DRAFT") {
			last = m
		}
	}
	if last == nil {
		return nil, nil
	}
	p := last.Payload
	from := parseAddress(headerValue(p, "From"))
	if from.Email == "" || !mine(from.Email) {
		if rt := parseAddressList(headerValue(p, "Reply-To")); slices.ContainsFunc(rt, func(a jarvis.Address) bool { return a.Email != "" }) {
			to = add(to, rt...)
		} else {
			to = add(to, from)
		}
	}
	to = add(to, parseAddressList(headerValue(p, "To"))...)
	cc = add(cc, parseAddressList(headerValue(p, "Cc"))...)
	if len(to) == 0 && len(cc) == 0 {
		return replyRecipients(msgs, own...), nil
	}
	if len(to) == 0 {
		to, cc = cc, nil
	}
	return to, cc
}

// sendAsScopes are the scopes that let settings.sendAs.list be read.
var sendAsScopes = append(slices.Clone(readScopes), "https://www.googleapis.com/auth/gmail.settings.basic")

// ownAddresses are the user's addresses a reply never goes to: every one
// of the user's Google accounts' and their Gmail send-as aliases, and
// Jarvis's for the user when ctx carries them. The acting account's
// aliases are read with c; the others' with their own grants, at the same
// time. An account whose aliases cannot be read (its grant is gone, or
// lacks the scope) counts with its address alone.
func (s *Service) ownAddresses(ctx context.Context, userID string, c *gmailCall) []string {
	own := []string{c.g.Email}
	if u := jarvis.UserFromContext(ctx); u != nil && u.ID == userID && u.Email != "" {
		own = append(own, u.Email)
	}
	list, err := s.st.Integrations.ListGoogleAccounts(ctx, userID)
	if err != nil {
		s.log.WarnContext(ctx, "reply: list the user's accounts", "err", err)
	}
	aliases := make([][]string, len(list)+1)
	var wg sync.WaitGroup
	wg.Go(func() { aliases[0] = s.sendAs(ctx, c) })
	for i, a := range list {
		own = append(own, a.Email)
		if a.ID == c.g.ID || a.Status != jarvis.GoogleActive {
			continue
		}
		wg.Go(func() {
			other, err := s.gmailFor(ctx, userID, a.ID, sendAsScopes, "read your send-as addresses")
			if err != nil {
				s.log.DebugContext(ctx, "reply: another account's send-as addresses", "account_id", a.ID, "err", err)
				return
			}
			aliases[i+1] = s.sendAs(ctx, other)
		})
	}
	wg.Wait()
	for _, l := range aliases {
		own = append(own, l...)
	}
	return own
}

// sendAs lists the account's send-as addresses (its own among them);
// nil when they cannot be read.
func (s *Service) sendAs(ctx context.Context, c *gmailCall) []string {
	if !hasAny(c.g, sendAsScopes) {
		return nil
	}
	res, err := c.svc.Users.Settings.SendAs.List("me").Context(ctx).Do()
	if err != nil {
		s.log.WarnContext(ctx, "reply: list send-as addresses", "account_id", c.g.ID, "err", err)
		return nil
	}
	var out []string
	for _, a := range res.SendAs {
		if a.SendAsEmail != "" {
			out = append(out, a.SendAsEmail)
		}
	}
	return out
}

// ReplyRecipients returns whom a reply to the thread goes to by the reply
// rule (the other party, Reply-To honoured, never the user's own
// addresses), as CreateDraft fills a reply given no recipients. It reads
// the thread's headers only and writes a gmail.thread.get audit row.
// ENOTFOUND when there is no such thread.
func (s *Service) ReplyRecipients(ctx context.Context, userID, account, threadID string) ([]string, error) {
	return readGmail(s, ctx, userID, account, jarvis.AuditGmailThreadGet, "thread", threadID, func(ctx context.Context, c *gmailCall) ([]string, error) {
		th, err := c.svc.Users.Threads.Get("me", threadID).Context(ctx).Format("metadata").MetadataHeaders(replyHeaders...).Do()
		if err != nil {
			return nil, fieldError(ctx, err, "Thread", "reply_to_thread_id")
		}
		if len(th.Messages) == 0 {
			return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Thread not found.")
		}
		return replyRecipients(th.Messages, s.ownAddresses(ctx, userID, c)...), nil
	})
}

// ReplyAllRecipients returns whom a reply-all to the thread goes to by the
// reply-all rule, as CreateDraft fills a reply_all given no to and cc. It
// reads the thread's headers and the user's send-as addresses, and writes
// a gmail.thread.get audit row. ENOTFOUND when there is no such thread.
func (s *Service) ReplyAllRecipients(ctx context.Context, userID, account, threadID string) (*jarvis.ReplyAll, error) {
	return readGmail(s, ctx, userID, account, jarvis.AuditGmailThreadGet, "thread", threadID, func(ctx context.Context, c *gmailCall) (*jarvis.ReplyAll, error) {
		th, err := c.svc.Users.Threads.Get("me", threadID).Context(ctx).Format("metadata").MetadataHeaders(replyHeaders...).Do()
		if err != nil {
			return nil, fieldError(ctx, err, "Thread", "reply_to_thread_id")
		}
		if len(th.Messages) == 0 {
			return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Thread not found.")
		}
		to, cc := replyAllRecipients(th.Messages, s.ownAddresses(ctx, userID, c)...)
		return &jarvis.ReplyAll{To: nonNil(to), Cc: nonNil(cc)}, nil
	})
}
