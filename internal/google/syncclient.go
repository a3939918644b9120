package google

import (
	"context"
	"time"
	"unicode/utf8"

	"google.golang.org/api/calendar/v3"
	"google.golang.org/api/gmail/v1"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
)

// GmailService returns a Gmail client acting for one of the user's
// accounts, for background work: the same token source (refreshed once
// across replicas) and retries as interactive calls.
func (s *Service) GmailService(ctx context.Context, userID, accountID string) (*gmail.Service, error) {
	c, err := s.gmailFor(context.WithValue(ctx, backgroundKey{}, true), userID, accountID, readScopes, "read your mail")
	if err != nil {
		return nil, err
	}
	return c.svc, nil
}

// CalendarService returns a Calendar client acting for one of the user's
// accounts, for background work.
func (s *Service) CalendarService(ctx context.Context, userID, accountID string) (*calendar.Service, error) {
	c, err := s.calendarFor(context.WithValue(ctx, backgroundKey{}, true), userID, accountID)
	if err != nil {
		return nil, err
	}
	return c.svc, nil
}

// IndexMessage turns a message fetched with format=full into the index's
// row: its metadata, whether it has attachments, and (withBody) its text,
// capped at mailsync.MaxBodyText.
func IndexMessage(m *gmail.Message, withBody bool) mailsync.Message {
	d := MessageFromGmail(m)
	out := mailsync.Message{ID: m.Id, ThreadID: m.ThreadId, HistoryID: m.HistoryId, Labels: d.Labels, From: d.From, To: d.To, Cc: d.Cc,
		Subject: d.Subject, MessageIDHeader: d.MessageIDHeader, Snippet: d.Snippet, SizeEstimate: m.SizeEstimate,
		HasAttachment: len(d.Attachments) > 0, Date: d.Date}
	if m.InternalDate > 0 {
		out.InternalDate = time.UnixMilli(m.InternalDate).UTC()
	}
	if m.Payload != nil {
		out.InReplyTo = squeeze(headerValue(m.Payload, "In-Reply-To"))
		out.References = squeeze(headerValue(m.Payload, "References"))
	}
	if withBody {
		out.BodyText = capUTF8(d.Text, mailsync.MaxBodyText)
	}
	return out
}

// capUTF8 cuts s to at most n bytes without splitting a character.
func capUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// WatchGmail asks Gmail to publish the account's changes to the Pub/Sub
// topic (users.watch) and returns when the watch lapses unless renewed.
func (s *Service) WatchGmail(ctx context.Context, userID, accountID, topic string) (time.Time, error) {
	svc, err := s.GmailService(ctx, userID, accountID)
	if err != nil {
		return time.Time{}, err
	}
	resp, err := svc.Users.Watch("me", &gmail.WatchRequest{TopicName: topic}).Context(ctx).Do()
	if err != nil {
		return time.Time{}, upstreamError(ctx, err, "Mailbox")
	}
	return time.UnixMilli(resp.Expiration).UTC(), nil
}

// CanReadCalendar reports whether an account's granted scopes let Jarvis
// read its calendar, as the live Calendar reads require.
func CanReadCalendar(scopes []string) bool {
	return hasAny(&jarvis.GoogleIntegration{Scopes: scopes}, calScopes)
}
