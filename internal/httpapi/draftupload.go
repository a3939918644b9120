package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/jarvis-hq/jarvis"
)

// Uploads with a draft: a multipart/form-data body with the draft's JSON
// in the part named "draft" and each file in a part named "attachments".
const (
	draftPart      = "draft"
	attachmentPart = "attachments"
	// maxUploadOverhead bounds what a multipart body holds besides the
	// draft's JSON and the files: boundaries and part headers.
	maxUploadOverhead = 1 << 20
)

// isMultipart reports a multipart/form-data request.
func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

// readDraft reads a draft request: a JSON body, or multipart/form-data
// with the JSON in the part "draft" and files in parts "attachments". It
// returns the input and the bytes that identify the request for its
// Idempotency-Key (the JSON, with each file's name, type, size and SHA-256
// for an upload). Files are read up to MaxDraftAttachmentBytes together —
// beyond is ETOOLARGE naming the limit — and their type is sniffed from
// their content (http.DetectContentType), never taken from the client.
func readDraft(w http.ResponseWriter, r *http.Request) (jarvis.DraftInput, []byte, error) {
	var in jarvis.DraftInput
	if !isMultipart(r) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxDraftBody))
		if err != nil {
			return in, nil, jsonError(err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		err = decodeJSON(w, r, maxDraftBody, &in)
		return in, body, err
	}
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return in, nil, jarvis.Invalid("Content-Type", "A multipart/form-data body needs its boundary parameter.")
	}
	limit := int64(maxDraftBody + jarvis.MaxDraftAttachmentBytes + maxUploadOverhead)
	body := http.MaxBytesReader(w, r.Body, limit)
	mr := multipart.NewReader(body, params["boundary"])
	var draftJSON []byte
	type fileSum struct {
		Filename string `json:"filename"`
		MimeType string `json:"mime_type"`
		Size     int    `json:"size"`
		SHA256   string `json:"sha256"`
	}
	var sums []fileSum
	var total int64
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return in, nil, uploadError(err)
		}
		switch name := p.FormName(); {
		case name == draftPart && p.FileName() == "":
			if draftJSON != nil {
				return in, nil, jarvis.Invalid(draftPart, "Give the draft's JSON once, in the part named %q.", draftPart)
			}
			if draftJSON, err = io.ReadAll(io.LimitReader(p, maxDraftBody+1)); err != nil {
				return in, nil, uploadError(err)
			}
			if len(draftJSON) > maxDraftBody {
				return in, nil, &jarvis.Error{Code: jarvis.ETOOLARGE, Field: draftPart, Message: fmt.Sprintf("The draft's JSON is larger than %d bytes.", maxDraftBody)}
			}
		case name == attachmentPart:
			if len(in.Attachments) == jarvis.MaxDraftAttachments {
				return in, nil, jarvis.Invalid(attachmentPart, "At most %d attachments.", jarvis.MaxDraftAttachments)
			}
			data, err := io.ReadAll(io.LimitReader(p, jarvis.MaxDraftAttachmentBytes-total+1))
			if err != nil {
				return in, nil, uploadError(err)
			}
			if total += int64(len(data)); total > jarvis.MaxDraftAttachmentBytes {
				// Read the rest (bounded by the body's limit) so that the
				// client, still sending, gets the answer.
				_, _ = io.Copy(io.Discard, body)
				return in, nil, attachmentsTooLarge()
			}
			a := jarvis.AttachmentData{Filename: p.FileName(), MimeType: http.DetectContentType(data), Data: data}
			in.Attachments = append(in.Attachments, a)
			sum := sha256.Sum256(data)
			sums = append(sums, fileSum{a.Filename, a.MimeType, len(data), hex.EncodeToString(sum[:])})
		default:
			return in, nil, jarvis.Invalid(attachmentPart, "Unexpected part %q: send the draft's JSON in the part %q and files in parts %q.", quoteName(name), draftPart, attachmentPart)
		}
	}
	if draftJSON == nil {
		return in, nil, jarvis.Invalid(draftPart, "The multipart body needs the draft's JSON in a part named %q.", draftPart)
	}
	files := in.Attachments
	dec := json.NewDecoder(bytes.NewReader(draftJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return in, nil, jsonError(err)
	}
	if dec.More() {
		return in, nil, jarvis.Invalid(draftPart, "The draft part must hold a single JSON object.")
	}
	in.Attachments = files
	ident, err := json.Marshal(map[string]any{"draft": json.RawMessage(canonicalJSON(draftJSON)), "files": sums})
	return in, ident, err
}

func attachmentsTooLarge() error {
	return &jarvis.Error{Code: jarvis.ETOOLARGE, Field: attachmentPart,
		Message: fmt.Sprintf("The attachments are more than %d MB together, Gmail's limit.", jarvis.MaxDraftAttachmentBytes>>20)}
}

// uploadError names what went wrong reading a multipart body.
func uploadError(err error) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return attachmentsTooLarge()
	}
	return jarvis.Invalid("body", "The multipart/form-data body could not be read.")
}

func quoteName(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.ToValidUTF8(s, "?")
}
