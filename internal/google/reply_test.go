package google

import (
	"slices"
	"testing"

	"google.golang.org/api/gmail/v1"
)

// msg is a metadata-format message with the given headers ("From", v, …).
func msg(labels []string, kv ...string) *gmail.Message {
	p := &gmail.MessagePart{}
	for i := 0; i+1 < len(kv); i += 2 {
		p.Headers = append(p.Headers, &gmail.MessagePartHeader{Name: kv[i], Value: kv[i+1]})
	}
	return &gmail.Message{LabelIds: labels, Payload: p}
}

func TestReplyRecipients(t *testing.T) {
	inbox, sent, draft := []string{"INBOX"}, []string{"SENT"}, []string{"DRAFT"}
	own := []string{"ada@example.com", "Ada.Alias@Example.com"}
	for _, tc := range []struct {
		name string
		msgs []*gmail.Message
		want []string
	}{
		{"latest from the other party", []*gmail.Message{
			msg(inbox, "From", "Mary Somerville <mary@example.org>", "To", "ada@example.com")},
			[]string{"mary@example.org"}},
		{"Reply-To honoured", []*gmail.Message{
			msg(inbox, "From", "Mary <mary@example.org>", "Reply-To", "Events <events@example.org>, mary@example.org", "To", "ada@example.com")},
			[]string{"events@example.org", "mary@example.org"}},
		{"latest is the user's: her recipients, never herself", []*gmail.Message{
			msg(inbox, "From", "Mary <mary@example.org>", "Reply-To", "events@example.org", "To", "ada@example.com"),
			msg(sent, "From", "Ada <ADA@example.com>", "To", "events@example.org, ada@example.com")},
			[]string{"events@example.org"}},
		{"the user wrote to herself: the other party before, Reply-To honoured", []*gmail.Message{
			msg(inbox, "From", "Mary <mary@example.org>", "Reply-To", "events@example.org", "To", "ada@example.com"),
			msg(sent, "From", "ada@example.com", "To", "Ada <ada.alias@example.com>")},
			[]string{"events@example.org"}},
		{"a draft is not answered", []*gmail.Message{
			msg(inbox, "From", "Charles <charles@example.com>", "To", "ada@example.com"),
			msg(draft, "From", "ada@example.com", "To", "grace@example.com")},
			[]string{"charles@example.com"}},
		{"Reply-To naming only the user falls back to earlier mail", []*gmail.Message{
			msg(inbox, "From", "grace@example.com", "To", "ada@example.com"),
			msg(inbox, "From", "list@example.com", "Reply-To", "ada@example.com", "To", "ada@example.com")},
			[]string{"grace@example.com"}},
		{"only the user's own mail: no one", []*gmail.Message{
			msg(sent, "From", "ada@example.com", "To", "ada@example.com")},
			nil},
		{"duplicates once", []*gmail.Message{
			msg(sent, "From", "ada@example.com", "To", "a@example.net, A@example.net, b@example.net")},
			[]string{"a@example.net", "b@example.net"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := replyRecipients(tc.msgs, own...); !slices.Equal(got, tc.want) {
				t.Errorf("replyRecipients = %q, want %q", got, tc.want)
			}
		})
	}
}
