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
//
// A message with attachments is sent to Gmail's upload endpoint (the Draft
// resource and the message as message/rfc822, in one request) rather than
// base64 inside JSON.
func createDraftOnce(ctx context.Context, svc *gmail.Service, m *composed) (*gmail.Draft, error) {
	msgID := ""
	if msg, err := mail.ReadMessage(bytes.NewReader(m.raw)); err == nil {
		msgID = msg.Header.Get("Message-ID")
	}
	var lastErr error
	for attempt := 0; attempt < draftCreateAttempts; attempt++ {
		call := svc.Users.Drafts.Create("me", m.draft())
		if m.upload {
			call = call.Media(bytes.NewReader(m.raw), googleapi.ContentType("message/rfc822"), googleapi.ChunkSize(0))
		}
		created, err := call.Context(notIdempotent(ctx)).Do()
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

// draft is the Draft resource that carries the message: the message
// itself in raw, or only its thread when the message is uploaded.
func (m *composed) draft() *gmail.Draft {
	if m.upload {
		return &gmail.Draft{Message: &gmail.Message{ThreadId: m.threadID}}
	}
	return &gmail.Draft{Message: &gmail.Message{Raw: base64.URLEncoding.EncodeToString(m.raw), ThreadId: m.threadID}}
}
