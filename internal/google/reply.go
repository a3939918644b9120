package google

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/api/gmail/v1"

	"github.com/jarvis-hq/jarvis"
)

// replyHeaders are the headers a reply is threaded and addressed from.
var replyHeaders = []string{"Subject", "From", "To", "Reply-To", "Date", "Message-ID", "References", "In-Reply-To"}

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

// ownAddresses are the user's addresses a reply never goes to: the Google
// account's, the user's other accounts', and Jarvis's for the user when ctx
// carries them.
func (s *Service) ownAddresses(ctx context.Context, userID string, g *jarvis.GoogleIntegration) []string {
	own := []string{g.Email}
	if u := jarvis.UserFromContext(ctx); u != nil && u.ID == userID && u.Email != "" {
		own = append(own, u.Email)
	}
	if list, err := s.st.Integrations.ListGoogleAccounts(ctx, userID); err == nil {
		for _, a := range list {
			own = append(own, a.Email)
		}
	}
	return own
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
		return replyRecipients(th.Messages, s.ownAddresses(ctx, userID, c.g)...), nil
	})
}
