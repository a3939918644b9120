package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/jarvis-hq/jarvis/internal/sandbox/mailbox"
	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// maxMessageBytes is Gmail's limit on a message with its attachments.
const maxMessageBytes = 36 << 20

type draftJSON struct {
	ID      string      `json:"id"`
	Message messageJSON `json:"message"`
}

// draftRequest is the Draft resource a client sends.
type draftRequest struct {
	Message struct {
		Raw      string `json:"raw"`
		ThreadID string `json:"threadId"`
	} `json:"message"`
}

// decodeRaw reads a raw message in any base64 flavour clients send
// (base64url padded or not; standard base64 is tolerated).
func decodeRaw(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("invalid base64")
}

// createDraft serves drafts.create: JSON with message.raw, or an upload
// (uploadType=media: the message itself; multipart: the Draft JSON, then
// the message).
func (s *Server) createDraft(c *gmailCall) {
	body := http.MaxBytesReader(c.w, c.r.Body, maxMessageBytes)
	var raw []byte
	var threadID string
	var err error
	if strings.HasPrefix(c.r.URL.EscapedPath(), "/upload/") {
		raw, threadID, err = readUpload(c.r, body)
	} else {
		var req draftRequest
		if err = json.NewDecoder(body).Decode(&req); err == nil {
			threadID = req.Message.ThreadID
			raw, err = decodeRaw(req.Message.Raw)
		}
	}
	if err != nil {
		wire.BadRequest(c.w, "message", "Invalid draft: "+err.Error())
		return
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		wire.BadRequest(c.w, "message.raw", "Missing draft message")
		return
	}
	d := c.acct.mail.CreateDraft(raw, threadID)
	// drafts.create answers with the ids and labels only.
	wire.WriteJSON(c.w, http.StatusOK, draftRefJSON{ID: d.ID, Message: refJSON{
		ID: d.Message.ID, ThreadID: d.Message.ThreadID, LabelIDs: d.Message.LabelIDs,
	}})
}

func readUpload(r *http.Request, body io.Reader) ([]byte, string, error) {
	switch r.URL.Query().Get("uploadType") {
	case "media":
		b, err := io.ReadAll(body)
		return b, "", err
	case "multipart":
		_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || params["boundary"] == "" {
			return nil, "", errors.New("multipart upload without a boundary")
		}
		mr := multipart.NewReader(body, params["boundary"])
		meta, err := mr.NextPart()
		if err != nil {
			return nil, "", err
		}
		var req draftRequest
		if err := json.NewDecoder(meta).Decode(&req); err != nil {
			return nil, "", err
		}
		media, err := mr.NextPart()
		if err != nil {
			return nil, "", err
		}
		b, err := io.ReadAll(media)
		return b, req.Message.ThreadID, err
	default:
		return nil, "", errors.New("uploadType must be media or multipart")
	}
}

func (s *Server) getDraft(c *gmailCall) {
	format, ok := c.format(true)
	if !ok {
		return
	}
	d, err := c.acct.mail.Draft(c.args[1])
	if err != nil {
		c.fail(err)
		return
	}
	wire.WriteJSON(c.w, http.StatusOK, draftJSON{ID: d.ID, Message: renderMessage(d.Message, format, nil)})
}

func (s *Server) listDrafts(c *gmailCall) {
	max, ok := c.maxResults(100, 500)
	if !ok {
		return
	}
	page, err := c.acct.mail.ListDrafts(mailbox.ListOptions{Query: c.query("q"), MaxResults: max, PageToken: c.query("pageToken")})
	if err != nil {
		c.fail(err)
		return
	}
	out := struct {
		Drafts             []draftRefJSON `json:"drafts,omitempty"`
		NextPageToken      string         `json:"nextPageToken,omitempty"`
		ResultSizeEstimate int            `json:"resultSizeEstimate"`
	}{NextPageToken: page.NextPageToken, ResultSizeEstimate: page.Total}
	for _, d := range page.Items {
		out.Drafts = append(out.Drafts, draftRefJSON{ID: d.ID, Message: ref(d.Message)})
	}
	wire.WriteJSON(c.w, http.StatusOK, out)
}

type draftRefJSON struct {
	ID      string  `json:"id"`
	Message refJSON `json:"message"`
}
