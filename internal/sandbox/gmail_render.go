package sandbox

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/jarvis-hq/jarvis/internal/sandbox/mailbox"
)

// Gmail's JSON shapes. 64-bit numbers (historyId, internalDate) are
// strings, as the official clients' ",string" tags expect.

type messageJSON struct {
	ID           string    `json:"id"`
	ThreadID     string    `json:"threadId"`
	LabelIDs     []string  `json:"labelIds,omitempty"`
	Snippet      string    `json:"snippet"`
	Payload      *partJSON `json:"payload,omitempty"`
	SizeEstimate int       `json:"sizeEstimate"`
	HistoryID    string    `json:"historyId"`
	InternalDate string    `json:"internalDate"`
	Raw          string    `json:"raw,omitempty"`
}

type partJSON struct {
	PartID   string           `json:"partId"`
	MimeType string           `json:"mimeType"`
	Filename string           `json:"filename"`
	Headers  []mailbox.Header `json:"headers"`
	Body     bodyJSON         `json:"body"`
	Parts    []*partJSON      `json:"parts,omitempty"`
}

type bodyJSON struct {
	AttachmentID string  `json:"attachmentId,omitempty"`
	Size         int     `json:"size"`
	Data         *string `json:"data,omitempty"`
}

type threadJSON struct {
	ID        string        `json:"id"`
	Snippet   string        `json:"snippet,omitempty"`
	HistoryID string        `json:"historyId"`
	Messages  []messageJSON `json:"messages,omitempty"`
}

// refJSON is a message as listings name it.
type refJSON struct {
	ID       string   `json:"id"`
	ThreadID string   `json:"threadId"`
	LabelIDs []string `json:"labelIds,omitempty"`
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

// encodeData is Gmail's body.data: base64url with padding.
func encodeData(b []byte) *string {
	s := base64.URLEncoding.EncodeToString(b)
	return &s
}

// renderMessage renders a message in a format: minimal (ids, labels,
// snippet, sizes, dates), metadata (+ the root's headers, filtered by
// names when given), full (+ the parsed payload) or raw (+ the bytes).
func renderMessage(v mailbox.MessageView, format string, headerNames []string) messageJSON {
	m := messageJSON{
		ID:           v.ID,
		ThreadID:     v.ThreadID,
		LabelIDs:     v.LabelIDs,
		Snippet:      v.Snippet,
		SizeEstimate: v.Size,
		HistoryID:    u64(v.HistoryID),
		InternalDate: strconv.FormatInt(v.Date.UnixMilli(), 10),
	}
	switch format {
	case "full":
		m.Payload = renderPart(v.Root(), v.ID)
	case "metadata":
		root := v.Head()
		m.Payload = &partJSON{PartID: root.PartID, MimeType: root.MimeType, Filename: root.Filename, Headers: filterHeaders(root.Headers, headerNames)}
	case "raw":
		m.Raw = *encodeData(v.Raw())
	}
	return m
}

func filterHeaders(hs mailbox.Headers, names []string) []mailbox.Header {
	if len(names) == 0 {
		return hs
	}
	out := []mailbox.Header{}
	for _, h := range hs {
		for _, n := range names {
			if strings.EqualFold(h.Name, n) {
				out = append(out, h)
				break
			}
		}
	}
	return out
}

// renderPart renders a part as Gmail does: containers with body {size:0},
// inline text leaves with data, other leaves with an attachmentId.
func renderPart(p *mailbox.Part, msgID string) *partJSON {
	j := &partJSON{PartID: p.PartID, MimeType: p.MimeType, Filename: p.Filename, Headers: p.Headers}
	switch {
	case p.IsContainer():
		for _, c := range p.Parts {
			j.Parts = append(j.Parts, renderPart(c, msgID))
		}
	case p.Attachment():
		j.Body = bodyJSON{AttachmentID: mailbox.AttachmentID(msgID, p.PartID), Size: len(p.Data)}
	default:
		j.Body = bodyJSON{Size: len(p.Data), Data: encodeData(p.Data)}
	}
	return j
}

func renderThread(t mailbox.ThreadView, format string, headerNames []string) threadJSON {
	j := threadJSON{ID: t.ID, HistoryID: u64(t.HistoryID)}
	for _, m := range t.Messages {
		j.Messages = append(j.Messages, renderMessage(m, format, headerNames))
	}
	return j
}

func ref(v mailbox.MessageView) refJSON { return refJSON{ID: v.ID, ThreadID: v.ThreadID} }
