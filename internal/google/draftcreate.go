package google

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/mail"

	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"

	"github.com/jarvis-hq/jarvis"
)

// draftCreateAttempts bounds the drafts.create calls of one draft.
const draftCreateAttempts = 3

// createDraftOnce creates the draft raw at most once. drafts.create is not
// idempotent, so it is never retried blindly: after a network error or a
// 5xx — Google may have created the draft and lost only the answer — the
// drafts are looked up by the message's own Message-ID (unique to this
// draft), and the draft found is the answer; only when none is found is the
// call made again. (A client's own retry of the whole request is answered
// by its Idempotency-Key.)
func createDraftOnce(ctx context.Context, svc *gmail.Service, raw []byte, threadID string) (*gmail.Draft, error) {
	msgID := ""
	if m, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		msgID = m.Header.Get("Message-ID")
	}
	draft := &gmail.Draft{Message: &gmail.Message{Raw: base64.URLEncoding.EncodeToString(raw), ThreadId: threadID}}
	var lastErr error
	for attempt := 0; attempt < draftCreateAttempts; attempt++ {
		created, err := svc.Users.Drafts.Create("me", draft).Context(notIdempotent(ctx)).Do()
		if err == nil {
			return created, nil
		}
		if !outcomeUnknown(ctx, err) || msgID == "" {
			return nil, err
		}
		lastErr = err
		found, lerr := svc.Users.Drafts.List("me").Q("rfc822msgid:" + msgID).MaxResults(2).Context(ctx).Do()
		if lerr != nil {
			return nil, err // cannot tell whether it was created: do not risk a second one
		}
		if len(found.Drafts) > 0 {
			return found.Drafts[0], nil
		}
	}
	return nil, lastErr
}

// outcomeUnknown reports whether a failed call may have been carried out:
// the connection failed, or Google answered with a 5xx.
func outcomeUnknown(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code >= 500 && ge.Code != http.StatusNotImplemented
	}
	var je *jarvis.Error // our own verdicts (a grant that is gone) are final
	return !errors.As(err, &je)
}
