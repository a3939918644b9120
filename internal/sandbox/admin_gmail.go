package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox/mailbox"
	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// adminGmailRoutes are the Gmail controls under /sandbox/: the outbox,
// history expiry, incoming mail and label changes as the user makes them
// in Gmail's own UI.
func (s *Server) adminGmailRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sandbox/outbox", func(w http.ResponseWriter, r *http.Request) {
		s.count("sandbox.outbox")
		wire.WriteJSON(w, http.StatusOK, map[string]any{"messages": s.Outbox()})
	})
	mux.HandleFunc("POST /sandbox/history/expire", func(w http.ResponseWriter, r *http.Request) {
		s.count("sandbox.history.expire")
		var req struct {
			Email string `json:"email"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBytes))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil && err != io.EOF {
			wire.BadRequest(w, "body", "Invalid request: "+err.Error())
			return
		}
		if req.Email != "" {
			if _, err := s.account(req.Email); err != nil {
				wire.NotFound(w)
				return
			}
		}
		wire.WriteJSON(w, http.StatusOK, map[string]any{"floors": s.ExpireHistory(req.Email)})
	})
	mux.HandleFunc("POST /sandbox/accounts/{email}/labels", func(w http.ResponseWriter, r *http.Request) {
		s.count("sandbox.labels")
		var req struct {
			MessageID string   `json:"message_id"`
			ThreadID  string   `json:"thread_id"`
			Add       []string `json:"add"`
			Remove    []string `json:"remove"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBytes))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			wire.BadRequest(w, "body", "Invalid request: "+err.Error())
			return
		}
		a, err := s.account(r.PathValue("email"))
		if err != nil {
			wire.NotFound(w)
			return
		}
		add, remove := a.mail.ResolveLabels(req.Add), a.mail.ResolveLabels(req.Remove)
		switch {
		case req.MessageID != "" && req.ThreadID == "":
			v, err := a.mail.Modify(req.MessageID, add, remove)
			if err != nil {
				adminStoreError(w, err)
				return
			}
			wire.WriteJSON(w, http.StatusOK, refJSON{ID: v.ID, ThreadID: v.ThreadID, LabelIDs: v.LabelIDs})
		case req.ThreadID != "" && req.MessageID == "":
			t, err := a.mail.ModifyThread(req.ThreadID, add, remove)
			if err != nil {
				adminStoreError(w, err)
				return
			}
			wire.WriteJSON(w, http.StatusOK, renderThread(t, "minimal", nil))
		default:
			wire.BadRequest(w, "body", "Give exactly one of message_id and thread_id.")
		}
	})
}

func adminStoreError(w http.ResponseWriter, err error) {
	if err == mailbox.ErrNotFound {
		wire.NotFound(w)
		return
	}
	wire.BadRequest(w, "body", err.Error())
}

// ExpireHistory forgets the history of one account (or every account when
// email is empty) now, as if it had aged out: a history.list from any
// earlier start id gets 404. It returns each mailbox's new floor.
func (s *Server) ExpireHistory(email string) map[string]string {
	defer s.changed()
	out := map[string]string{}
	for _, a := range s.accounts {
		if email == "" || strings.EqualFold(a.email, email) {
			out[a.email] = u64(a.mail.ExpireHistory())
		}
	}
	return out
}

// InvalidatePageTokens makes every Gmail page token issued so far for one
// account (every account when email is "") stale: messages.list,
// threads.list, drafts.list and history.list answer 400 "Invalid
// pageToken" to it. It returns an error for an unknown account.
func (s *Server) InvalidatePageTokens(email string) error {
	if email != "" {
		if _, err := s.account(email); err != nil {
			return err
		}
	}
	s.count("sandbox.gmail.invalidate_page_tokens")
	for _, a := range s.accounts {
		if email == "" || strings.EqualFold(a.email, email) {
			a.mail.InvalidatePageTokens()
		}
	}
	return nil
}

// incomingJSON is an incoming message described rather than written out.
type incomingJSON struct {
	From        string   `json:"from"`
	To          []string `json:"to"`
	Cc          []string `json:"cc"`
	Subject     string   `json:"subject"`
	Text        string   `json:"text"`
	HTML        string   `json:"html"`
	InReplyTo   string   `json:"in_reply_to"`
	Attachments []struct {
		Filename    string `json:"filename"`
		ContentType string `json:"content_type"`
		Data        string `json:"data"` // base64
	} `json:"attachments"`
}

// buildMessage writes an incomingJSON as RFC 5322 bytes.
func buildMessage(in incomingJSON, to string, now time.Time) ([]byte, error) {
	if in.From == "" {
		return nil, fmt.Errorf("from is required")
	}
	var b bytes.Buffer
	h := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	if len(in.To) == 0 {
		in.To = []string{to}
	}
	h("From", in.From)
	h("To", strings.Join(in.To, ", "))
	h("Cc", strings.Join(in.Cc, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", in.Subject))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", fmt.Sprintf("<%d.%s>", now.UnixNano(), strings.ReplaceAll(in.From, "@", ".sandbox@")))
	if in.InReplyTo != "" {
		h("In-Reply-To", in.InReplyTo)
		h("References", in.InReplyTo)
	}
	h("MIME-Version", "1.0")
	mw := multipart.NewWriter(&b)
	alt := in.HTML != "" && in.Text != ""
	if len(in.Attachments) == 0 && !alt {
		ct, body := "text/plain; charset=utf-8", in.Text
		if in.HTML != "" {
			ct, body = "text/html; charset=utf-8", in.HTML
		}
		h("Content-Type", ct)
		h("Content-Transfer-Encoding", "8bit")
		b.WriteString("\r\n" + body)
		return b.Bytes(), nil
	}
	h("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	b.WriteString("\r\n")
	part := func(ct, body string) error {
		p, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {ct}, "Content-Transfer-Encoding": {"8bit"}})
		if err == nil {
			_, err = io.WriteString(p, body)
		}
		return err
	}
	if in.Text != "" || in.HTML == "" {
		if err := part("text/plain; charset=utf-8", in.Text); err != nil {
			return nil, err
		}
	}
	if in.HTML != "" {
		if err := part("text/html; charset=utf-8", in.HTML); err != nil {
			return nil, err
		}
	}
	for _, a := range in.Attachments {
		data, err := base64.StdEncoding.DecodeString(a.Data)
		if err != nil {
			return nil, fmt.Errorf("attachment %q: data must be base64", a.Filename)
		}
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		p, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {ct},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename})},
			"Content-Transfer-Encoding": {"base64"},
		})
		if err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(data)
		for len(enc) > 76 {
			io.WriteString(p, enc[:76]+"\r\n")
			enc = enc[76:]
		}
		io.WriteString(p, enc+"\r\n")
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
