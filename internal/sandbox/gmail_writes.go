package sandbox

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox/mailbox"
	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// routeGmailWrite maps the Gmail methods that change a mailbox.
func routeGmailWrite(method string, args []string, upload bool) (gmailRoute, bool) {
	n := len(args)
	post, put, del, patch := method == http.MethodPost, method == http.MethodPut, method == http.MethodDelete, method == http.MethodPatch
	if upload {
		switch {
		case post && n == 2 && args[0] == "messages" && args[1] == "send":
			return gmailRoute{"gmail.messages.send", gmailSend, (*Server).sendMessage}, true
		case post && n == 1 && args[0] == "messages":
			return gmailRoute{"gmail.messages.insert", gmailInsert, (*Server).insertMessage}, true
		case post && n == 2 && args[0] == "messages" && args[1] == "import":
			return gmailRoute{"gmail.messages.import", gmailInsert, (*Server).insertMessage}, true
		case post && n == 2 && args[0] == "drafts" && args[1] == "send":
			return gmailRoute{"gmail.drafts.send", gmailCompose, (*Server).sendDraft}, true
		case put && n == 2 && args[0] == "drafts":
			return gmailRoute{"gmail.drafts.update", gmailCompose, (*Server).updateDraft}, true
		}
		return gmailRoute{}, false
	}
	switch {
	case post && n == 2 && args[0] == "messages" && args[1] == "send":
		return gmailRoute{"gmail.messages.send", gmailSend, (*Server).sendMessage}, true
	case post && n == 1 && args[0] == "messages":
		return gmailRoute{"gmail.messages.insert", gmailInsert, (*Server).insertMessage}, true
	case post && n == 2 && args[0] == "messages" && args[1] == "import":
		return gmailRoute{"gmail.messages.import", gmailInsert, (*Server).insertMessage}, true
	case post && n == 2 && args[0] == "messages" && args[1] == "batchModify":
		return gmailRoute{"gmail.messages.batchModify", gmailModify, (*Server).batchModify}, true
	case post && n == 2 && args[0] == "messages" && args[1] == "batchDelete":
		return gmailRoute{"gmail.messages.batchDelete", gmailFull, (*Server).batchDelete}, true
	case post && n == 3 && args[0] == "messages" && (args[2] == "trash" || args[2] == "untrash"):
		return gmailRoute{"gmail.messages." + args[2], gmailModify, (*Server).trashMessage}, true
	case del && n == 2 && args[0] == "messages":
		return gmailRoute{"gmail.messages.delete", gmailFull, (*Server).deleteMessage}, true
	case post && n == 3 && args[0] == "threads" && args[2] == "modify":
		return gmailRoute{"gmail.threads.modify", gmailModify, (*Server).modifyThread}, true
	case post && n == 3 && args[0] == "threads" && (args[2] == "trash" || args[2] == "untrash"):
		return gmailRoute{"gmail.threads." + args[2], gmailModify, (*Server).trashThread}, true
	case del && n == 2 && args[0] == "threads":
		return gmailRoute{"gmail.threads.delete", gmailFull, (*Server).deleteThread}, true
	case post && n == 1 && args[0] == "labels":
		return gmailRoute{"gmail.labels.create", gmailLabelsWrite, (*Server).createLabel}, true
	case put && n == 2 && args[0] == "labels":
		return gmailRoute{"gmail.labels.update", gmailLabelsWrite, (*Server).updateLabel}, true
	case patch && n == 2 && args[0] == "labels":
		return gmailRoute{"gmail.labels.patch", gmailLabelsWrite, (*Server).updateLabel}, true
	case del && n == 2 && args[0] == "labels":
		return gmailRoute{"gmail.labels.delete", gmailLabelsWrite, (*Server).deleteLabel}, true
	case post && n == 2 && args[0] == "drafts" && args[1] == "send":
		return gmailRoute{"gmail.drafts.send", gmailCompose, (*Server).sendDraft}, true
	case put && n == 2 && args[0] == "drafts":
		return gmailRoute{"gmail.drafts.update", gmailCompose, (*Server).updateDraft}, true
	case del && n == 2 && args[0] == "drafts":
		return gmailRoute{"gmail.drafts.delete", gmailCompose, (*Server).deleteDraft}, true
	}
	return gmailRoute{}, false
}

// messageMeta is the JSON part of a message write: a Message resource
// (send, insert, import) or a Draft resource around one.
type messageMeta struct {
	ID       string   `json:"id"`
	Raw      string   `json:"raw"`
	ThreadID string   `json:"threadId"`
	LabelIDs []string `json:"labelIds"`
	Message  *struct {
		Raw      string `json:"raw"`
		ThreadID string `json:"threadId"`
	} `json:"message"`
}

// readMessage reads a message write in any of its three forms: JSON with
// raw (base64url), uploadType=media (the message itself) or
// uploadType=multipart (the JSON resource, then the message).
func (c *gmailCall) readMessage() ([]byte, messageMeta, bool) {
	body := http.MaxBytesReader(c.w, c.r.Body, maxMessageBytes)
	var meta messageMeta
	var raw []byte
	var err error
	if strings.HasPrefix(c.r.URL.EscapedPath(), "/upload/") {
		switch c.query("uploadType") {
		case "media":
			raw, err = io.ReadAll(body)
		case "multipart", "":
			_, params, perr := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
			if perr != nil || params["boundary"] == "" {
				err = errors.New("multipart upload without a boundary")
				break
			}
			mr := multipart.NewReader(body, params["boundary"])
			part, perr := mr.NextPart()
			if perr != nil {
				err = perr
				break
			}
			if err = json.NewDecoder(part).Decode(&meta); err != nil {
				break
			}
			if part, err = mr.NextPart(); err == nil {
				raw, err = io.ReadAll(part)
			}
		default:
			err = errors.New("uploadType must be media or multipart")
		}
	} else if err = json.NewDecoder(body).Decode(&meta); err == nil {
		enc := meta.Raw
		if meta.Message != nil {
			enc = meta.Message.Raw
		}
		raw, err = decodeRaw(enc)
	}
	if meta.Message != nil && meta.ThreadID == "" {
		meta.ThreadID = meta.Message.ThreadID
	}
	if err != nil {
		wire.BadRequest(c.w, "raw", "Invalid message: "+err.Error())
		return nil, meta, false
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		wire.BadRequest(c.w, "raw", "'raw' RFC822 payload message string or uploading message via /upload/* URL required")
		return nil, meta, false
	}
	return raw, meta, true
}

// completeHeaders adds what Gmail adds to a message it sends: From (the
// account's address, unless it names one of its aliases), Date and Message-ID when missing.
func completeHeaders(raw []byte, acct *account, now time.Time) []byte {
	from := acct.email
	var extra bytes.Buffer
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	var h mail.Header
	if err == nil {
		h = msg.Header
	}
	// Gmail sends as the account or one of its verified send-as aliases: a
	// missing From, or one naming another address, becomes the account's
	// own (the display name is kept).
	if a, err := mail.ParseAddress(h.Get("From")); err != nil || !acct.sendsAs(a.Address) {
		name := ""
		if err == nil {
			name = a.Name
		}
		raw = mailbox.StripHeader(raw, "From")
		fmt.Fprintf(&extra, "From: %s\r\n", (&mail.Address{Name: name, Address: from}).String())
	}
	if h.Get("Date") == "" {
		fmt.Fprintf(&extra, "Date: %s\r\n", now.Format(time.RFC1123Z))
	}
	if h.Get("Message-ID") == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		fmt.Fprintf(&extra, "Message-ID: <%s@mail.gmail.com>\r\n", hex.EncodeToString(b))
	}
	if extra.Len() == 0 {
		return raw
	}
	return append(extra.Bytes(), raw...)
}

// recipients returns the addresses of To, Cc and Bcc, lower-cased, once
// each.
func recipients(raw []byte) []string {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, name := range []string{"To", "Cc", "Bcc"} {
		for _, v := range msg.Header[name] {
			list, err := mail.ParseAddressList(v)
			if err != nil {
				for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' }) {
					if a, err := mail.ParseAddress(strings.TrimSpace(f)); err == nil {
						list = append(list, a)
					}
				}
			}
			for _, a := range list {
				addr := strings.ToLower(a.Address)
				if !seen[addr] {
					seen[addr] = true
					out = append(out, addr)
				}
			}
		}
	}
	return out
}

// outboxItem is a message sent to addresses outside the sandbox: kept
// here, never sent.
type outboxItem struct {
	From      string    `json:"from"`
	To        []string  `json:"to"`
	ID        string    `json:"id"`
	ThreadID  string    `json:"threadId"`
	MessageID string    `json:"message_id"`
	Subject   string    `json:"subject"`
	Time      time.Time `json:"time"`
	Raw       string    `json:"raw"`
}

// send files a message the account sends and delivers it: into the inbox
// of every sandbox recipient (Bcc stripped), into the outbox for the
// others.
func (s *Server) send(acct *account, raw []byte, threadID string) (mailbox.MessageView, error) {
	raw = completeHeaders(raw, acct, s.now())
	rcpts := recipients(raw)
	if len(rcpts) == 0 {
		return mailbox.MessageView{}, errNoRecipient
	}
	var toSelf bool
	var external []string
	for _, r := range rcpts {
		switch {
		case r == acct.email:
			toSelf = true
		case s.byEmail[r] == nil:
			external = append(external, r)
		}
	}
	v := acct.mail.Send(raw, threadID, toSelf)
	received := mailbox.StripHeader(raw, "Bcc")
	for _, r := range rcpts {
		if b := s.byEmail[r]; b != nil && b != acct {
			b.mail.Deliver(append([]byte("Delivered-To: "+b.email+"\r\n"), mailbox.Received(received, mailbox.VerdictPass)...))
		}
	}
	if len(external) > 0 {
		msg, _ := mail.ReadMessage(bytes.NewReader(raw))
		item := outboxItem{From: acct.email, To: external, ID: v.ID, ThreadID: v.ThreadID, Time: s.now(), Raw: string(received)}
		if msg != nil {
			item.MessageID = msg.Header.Get("Message-ID")
			item.Subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		}
		s.gm.mu.Lock()
		s.gm.outbox = append(s.gm.outbox, item)
		s.gm.mu.Unlock()
	}
	return v, nil
}

var errNoRecipient = errors.New("recipient address required")

// Outbox returns the messages sent to addresses outside the sandbox.
func (s *Server) Outbox() []outboxItem {
	s.gm.mu.Lock()
	defer s.gm.mu.Unlock()
	return append([]outboxItem{}, s.gm.outbox...)
}

func (c *gmailCall) failSend(err error) {
	if errors.Is(err, errNoRecipient) {
		wire.BadRequest(c.w, "raw", "Recipient address required")
		return
	}
	c.fail(err)
}

func (s *Server) sendMessage(c *gmailCall) {
	raw, meta, ok := c.readMessage()
	if !ok {
		return
	}
	v, err := s.send(c.acct, raw, meta.ThreadID)
	if err != nil {
		c.failSend(err)
		return
	}
	wire.WriteJSON(c.w, http.StatusOK, refJSON{ID: v.ID, ThreadID: v.ThreadID, LabelIDs: v.LabelIDs})
}

func (s *Server) insertMessage(c *gmailCall) {
	raw, meta, ok := c.readMessage()
	if !ok {
		return
	}
	imported := strings.HasSuffix(c.r.URL.Path, "/import")
	src := c.query("internalDateSource")
	if src == "" {
		src = map[bool]string{true: "dateHeader", false: "receivedTime"}[imported]
	}
	v, err := c.acct.mail.Insert(raw, mailbox.InsertOptions{ThreadID: meta.ThreadID, LabelIDs: meta.LabelIDs, ReceivedTime: src == "receivedTime"})
	if err != nil {
		c.fail(err)
		return
	}
	wire.WriteJSON(c.w, http.StatusOK, refJSON{ID: v.ID, ThreadID: v.ThreadID, LabelIDs: v.LabelIDs})
}

// labelsBody reads {addLabelIds, removeLabelIds[, ids]}.
type labelsBody struct {
	IDs            []string `json:"ids"`
	AddLabelIDs    []string `json:"addLabelIds"`
	RemoveLabelIDs []string `json:"removeLabelIds"`
}

func (c *gmailCall) decode(v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(c.w, c.r.Body, maxFormBytes)).Decode(v); err != nil && err != io.EOF {
		wire.BadRequest(c.w, "body", "Invalid JSON payload received.")
		return false
	}
	return true
}

func (s *Server) batchModify(c *gmailCall) {
	var req labelsBody
	if !c.decode(&req) {
		return
	}
	if len(req.IDs) > 1000 {
		wire.BadRequest(c.w, "ids", "Too many ids (at most 1000)")
		return
	}
	if err := c.acct.mail.BatchModify(req.IDs, req.AddLabelIDs, req.RemoveLabelIDs); err != nil {
		c.fail(err)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (s *Server) batchDelete(c *gmailCall) {
	var req labelsBody
	if !c.decode(&req) {
		return
	}
	for _, id := range req.IDs {
		_ = c.acct.mail.Delete(id)
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (s *Server) trashMessage(c *gmailCall) {
	id, ok := c.id(1)
	if !ok {
		return
	}
	v, err := c.acct.mail.Trash(id, c.args[2] == "trash")
	if err != nil {
		c.fail(err)
		return
	}
	wire.WriteJSON(c.w, http.StatusOK, renderMessage(v, "minimal", nil))
}

func (s *Server) deleteMessage(c *gmailCall) {
	id, ok := c.id(1)
	if !ok {
		return
	}
	if err := c.acct.mail.Delete(id); err != nil {
		c.fail(err)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (s *Server) modifyThread(c *gmailCall) {
	id, ok := c.id(1)
	if !ok {
		return
	}
	var req labelsBody
	if !c.decode(&req) {
		return
	}
	t, err := c.acct.mail.ModifyThread(id, req.AddLabelIDs, req.RemoveLabelIDs)
	if err != nil {
		c.fail(err)
		return
	}
	wire.WriteJSON(c.w, http.StatusOK, renderThread(t, "minimal", nil))
}

func (s *Server) trashThread(c *gmailCall) {
	id, ok := c.id(1)
	if !ok {
		return
	}
	t, err := c.acct.mail.TrashThread(id, c.args[2] == "trash")
	if err != nil {
		c.fail(err)
		return
	}
	wire.WriteJSON(c.w, http.StatusOK, renderThread(t, "minimal", nil))
}

func (s *Server) deleteThread(c *gmailCall) {
	id, ok := c.id(1)
	if !ok {
		return
	}
	if err := c.acct.mail.DeleteThread(id); err != nil {
		c.fail(err)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

type labelBody struct {
	Name                  *string `json:"name"`
	MessageListVisibility *string `json:"messageListVisibility"`
	LabelListVisibility   *string `json:"labelListVisibility"`
	Color                 *struct {
		TextColor       *string `json:"textColor"`
		BackgroundColor *string `json:"backgroundColor"`
	} `json:"color"`
}

func (b labelBody) spec() mailbox.LabelSpec {
	sp := mailbox.LabelSpec{Name: b.Name, MessageListVisibility: b.MessageListVisibility, LabelListVisibility: b.LabelListVisibility}
	if b.Color != nil {
		sp.TextColor, sp.BackgroundColor = b.Color.TextColor, b.Color.BackgroundColor
		if sp.TextColor == nil {
			sp.TextColor = new(string)
		}
		if sp.BackgroundColor == nil {
			sp.BackgroundColor = new(string)
		}
	}
	return sp
}

// failLabel writes a label error as Gmail words it.
func (c *gmailCall) failLabel(err error, spec mailbox.LabelSpec) {
	switch {
	case errors.Is(err, mailbox.ErrLabelExists):
		wire.WriteError(c.w, http.StatusConflict, wire.ErrorItem{Domain: "global", Reason: "aborted", Message: "Label name exists or conflicts"})
	case errors.Is(err, mailbox.ErrLabelName):
		wire.WriteError(c.w, http.StatusBadRequest, wire.ErrorItem{Domain: "global", Reason: "invalidArgument", Message: "Invalid label name"})
	case errors.Is(err, mailbox.ErrLabelColor):
		bad := ""
		for _, p := range []*string{spec.BackgroundColor, spec.TextColor} {
			if p != nil && !mailbox.InPalette(*p) {
				bad = *p
			}
		}
		wire.WriteError(c.w, http.StatusBadRequest, wire.ErrorItem{Domain: "global", Reason: "invalidArgument", Message: "Label color " + bad + " is not on the allowed color palette"})
	case errors.Is(err, mailbox.ErrSystemLabel):
		msg := "Invalid update request"
		if c.r.Method == http.MethodDelete {
			msg = "Invalid delete request"
		}
		wire.WriteError(c.w, http.StatusBadRequest, wire.ErrorItem{Domain: "global", Reason: "invalidArgument", Message: msg})
	default:
		c.fail(err)
	}
}

func (s *Server) createLabel(c *gmailCall) {
	var b labelBody
	if !c.decode(&b) {
		return
	}
	l, err := c.acct.mail.CreateLabel(b.spec())
	if err != nil {
		c.failLabel(err, b.spec())
		return
	}
	wire.WriteJSON(c.w, http.StatusOK, labelOut(l))
}

func (s *Server) updateLabel(c *gmailCall) {
	var b labelBody
	if !c.decode(&b) {
		return
	}
	spec := b.spec()
	if c.r.Method == http.MethodPut {
		// update replaces the resource: what is left out goes back to
		// Gmail's defaults, and the name is required.
		if spec.Name == nil {
			wire.WriteError(c.w, http.StatusBadRequest, wire.ErrorItem{Domain: "global", Reason: "invalidArgument", Message: "Invalid label name"})
			return
		}
		def := func(p **string, v string) {
			if *p == nil {
				*p = &v
			}
		}
		def(&spec.MessageListVisibility, "show")
		def(&spec.LabelListVisibility, "labelShow")
		def(&spec.TextColor, "")
		def(&spec.BackgroundColor, "")
	}
	l, err := c.acct.mail.UpdateLabel(c.args[1], spec)
	if err != nil {
		c.failLabel(err, spec)
		return
	}
	wire.WriteJSON(c.w, http.StatusOK, labelOut(l))
}

func (s *Server) deleteLabel(c *gmailCall) {
	if err := c.acct.mail.DeleteLabel(c.args[1]); err != nil {
		c.failLabel(err, mailbox.LabelSpec{})
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (s *Server) updateDraft(c *gmailCall) {
	raw, meta, ok := c.readMessage()
	if !ok {
		return
	}
	d, err := c.acct.mail.UpdateDraft(c.args[1], raw, meta.ThreadID)
	if err != nil {
		c.fail(err)
		return
	}
	wire.WriteJSON(c.w, http.StatusOK, draftRefJSON{ID: d.ID, Message: refJSON{ID: d.Message.ID, ThreadID: d.Message.ThreadID, LabelIDs: d.Message.LabelIDs}})
}

func (s *Server) deleteDraft(c *gmailCall) {
	if err := c.acct.mail.DeleteDraft(c.args[1]); err != nil {
		c.fail(err)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

// sendDraft serves drafts.send: the draft named by id is sent (after its
// message is replaced, when the request carries one) and deleted.
func (s *Server) sendDraft(c *gmailCall) {
	var meta messageMeta
	var raw []byte
	upload := strings.HasPrefix(c.r.URL.EscapedPath(), "/upload/")
	if upload {
		var ok bool
		if raw, meta, ok = c.readMessage(); !ok {
			return
		}
	} else {
		if !c.decode(&meta) {
			return
		}
		if meta.Message != nil && meta.Message.Raw != "" {
			var err error
			if raw, err = decodeRaw(meta.Message.Raw); err != nil {
				wire.BadRequest(c.w, "message.raw", "Invalid message: "+err.Error())
				return
			}
		}
	}
	if meta.ID == "" {
		wire.BadRequest(c.w, "id", "Invalid draft id")
		return
	}
	if raw != nil {
		threadID := meta.ThreadID
		if meta.Message != nil && meta.Message.ThreadID != "" {
			threadID = meta.Message.ThreadID
		}
		if _, err := c.acct.mail.UpdateDraft(meta.ID, raw, threadID); err != nil {
			c.fail(err)
			return
		}
	}
	d, err := c.acct.mail.Draft(meta.ID)
	if err != nil {
		c.fail(err)
		return
	}
	if len(recipients(d.Message.Raw())) == 0 {
		wire.BadRequest(c.w, "message", "Recipient address required")
		return
	}
	body, threadID, err := c.acct.mail.TakeDraft(meta.ID)
	if err != nil {
		c.fail(err)
		return
	}
	v, err := s.send(c.acct, body, threadID)
	if err != nil {
		c.failSend(err)
		return
	}
	wire.WriteJSON(c.w, http.StatusOK, refJSON{ID: v.ID, ThreadID: v.ThreadID, LabelIDs: v.LabelIDs})
}
