package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"mime"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/gmail/v1"

	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// addressesOf parses a header's address list into lower-cased addresses.
func addressesOf(t *testing.T, v string) []string {
	t.Helper()
	if v == "" {
		return nil
	}
	list, err := mail.ParseAddressList(v)
	if err != nil {
		t.Fatalf("address list %q: %v", v, err)
	}
	var out []string
	for _, a := range list {
		out = append(out, strings.ToLower(a.Address))
	}
	return out
}

// receivedMessage finds the one message of a sandbox mailbox that matches
// q (delivery is synchronous: it is there once the send has answered).
func receivedMessage(t *testing.T, svc *gmail.Service, q string) *gmail.Message {
	t.Helper()
	list, err := svc.Users.Messages.List("me").Q(q).Do()
	if err != nil || len(list.Messages) != 1 {
		t.Fatalf("messages matching %q: %v %v", q, list, err)
	}
	m, err := svc.Users.Messages.Get("me", list.Messages[0].Id).Format("full").Do()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestReplyAllDraft: a reply-all to a thread with Reply-To, Cc and the
// user's own send-as alias goes to exactly the right people and lands in
// the thread at the recipients'.
func TestReplyAllDraft(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		t.Parallel()
		e := startEnv(t, envOptions{dialect: d})
		ada := e.signIn("ada@example.com")
		if err := e.Sandbox.Google.SetSendAs("ada@example.com", []sandbox.SendAs{{Email: "ada@work.example", Name: "Ada at work"}}); err != nil {
			t.Fatal(err)
		}
		raw := "From: Mary Somerville <mary@example.org>\r\nReply-To: Grace Hopper <grace@example.com>\r\n" +
			"To: Ada <ada@example.com>, team@example.org\r\nCc: Ada at work <ADA@work.example>, charles@example.com, GRACE@example.com\r\n" +
			"Subject: Launch plan\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\nMessage-ID: <launch-1@example.org>\r\n\r\nShall we launch on Monday?\r\n"
		_, adaThread, err := e.Sandbox.Google.Deliver("ada@example.com", []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		_, graceThread, err := e.Sandbox.Google.Deliver("grace@example.com", []byte(raw))
		if err != nil {
			t.Fatal(err)
		}

		e.problem("POST", "/gmail/draft", ada, map[string]any{"body_text": "x", "reply_all": true, "to": []string{"a@example.com"}}, 400, "invalid_request", "reply_all")

		var dr draftBody
		e.json("POST", "/gmail/draft", ada, map[string]any{"body_text": "Monday works.", "reply_to_thread_id": adaThread, "reply_all": true}, 201, &dr)
		if dr.ThreadID != adaThread {
			t.Fatalf("draft in thread %s, want %s", dr.ThreadID, adaThread)
		}
		adaGmail := gmailClient(t, e, "ada@example.com")
		msg, err := adaGmail.Users.Messages.Get("me", dr.MessageID).Format("raw").Do()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := base64.URLEncoding.DecodeString(msg.Raw)
		m, err := mail.ReadMessage(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if to, cc := addressesOf(t, m.Header.Get("To")), addressesOf(t, m.Header.Get("Cc")); !slices.Equal(to, []string{"grace@example.com", "team@example.org"}) || !slices.Equal(cc, []string{"charles@example.com"}) {
			t.Fatalf("reply-all To %q Cc %q", to, cc)
		}
		if m.Header.Get("Subject") != "Re: Launch plan" || m.Header.Get("In-Reply-To") != "<launch-1@example.org>" {
			t.Fatalf("threading headers: %v", m.Header)
		}

		// Sent, it lands in the thread at Grace's, and goes out to the others.
		sent, err := adaGmail.Users.Drafts.Send("me", &gmail.Draft{Id: dr.DraftID}).Do()
		if err != nil {
			t.Fatal(err)
		}
		if sent.ThreadId != adaThread {
			t.Errorf("sent in thread %s, want %s", sent.ThreadId, adaThread)
		}
		got := receivedMessage(t, gmailClient(t, e, "grace@example.com"), "subject:(Re: Launch plan) from:ada@example.com")
		if got.ThreadId != graceThread {
			t.Errorf("at Grace's the reply is in thread %s, want %s", got.ThreadId, graceThread)
		}
		var out []string
		for _, o := range e.Sandbox.Google.Outbox() {
			if o.Subject == "Re: Launch plan" {
				out = append(out, o.To...)
			}
		}
		if slices.Sort(out); !slices.Equal(out, []string{"charles@example.com", "team@example.org"}) {
			t.Errorf("sent outside the sandbox to %q", out)
		}
	})
}

// attachmentPart writes a base64 attachment part.
func attachmentPart(boundary, ctype, filename string, data []byte) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var lines []string
	for len(enc) > 76 {
		lines, enc = append(lines, enc[:76]), enc[76:]
	}
	lines = append(lines, enc)
	return "--" + boundary + "\r\nContent-Type: " + ctype + "\r\nContent-Disposition: " +
		mime.FormatMediaType("attachment", map[string]string{"filename": filename}) +
		"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + strings.Join(lines, "\r\n") + "\r\n"
}

// attachmentsOf downloads a message's attachments by filename.
func attachmentsOf(t *testing.T, svc *gmail.Service, m *gmail.Message) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	var walk func(p *gmail.MessagePart)
	walk = func(p *gmail.MessagePart) {
		if p.Body != nil && p.Body.AttachmentId != "" {
			body, err := svc.Users.Messages.Attachments.Get("me", m.Id, p.Body.AttachmentId).Do()
			if err != nil {
				t.Fatal(err)
			}
			data, err := base64.URLEncoding.DecodeString(body.Data)
			if err != nil {
				t.Fatal(err)
			}
			out[p.Filename] = data
		}
		for _, c := range p.Parts {
			walk(c)
		}
	}
	walk(m.Payload)
	return out
}

// TestForwardDraft: a forward keeps the original's attachments byte for
// byte (but those removed), quotes it, and starts a new thread.
func TestForwardDraft(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		t.Parallel()
		e := startEnv(t, envOptions{dialect: d})
		ada := e.signIn("ada@example.com")
		pdf := make([]byte, 300<<10)
		_, _ = rand.Read(pdf)
		pdf = append([]byte("%PDF-1.7\n"), pdf...)
		sheet := []byte("PK\x03\x04 not really a spreadsheet \x00\xff")
		logo := []byte("\x89PNG\r\n\x1a\n tiny")
		const boundary = "b0undary"
		raw := "From: Mary Somerville <mary@example.org>\r\nTo: ada@example.com\r\nSubject: Q3 figures\r\n" +
			"Date: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\nMessage-ID: <q3-figures@example.org>\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/mixed; boundary=" + boundary + "\r\n\r\n" +
			"--" + boundary + "\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nThe figures are attached.\r\n" +
			attachmentPart(boundary, "application/pdf", "Relatório Q3 — final.pdf", pdf) +
			attachmentPart(boundary, "application/vnd.ms-excel", "figures.xls", sheet) +
			attachmentPart(boundary, "image/png", "logo.png", logo) +
			"--" + boundary + "--\r\n"
		msgID, origThread, err := e.Sandbox.Google.Deliver("ada@example.com", []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		var thread struct {
			Messages []struct {
				Attachments []struct {
					ID       string `json:"id"`
					Filename string `json:"filename"`
				} `json:"attachments"`
			} `json:"messages"`
		}
		e.json("GET", "/gmail/thread/"+origThread, ada, nil, 200, &thread)
		var logoID string
		for _, a := range thread.Messages[0].Attachments {
			if a.Filename == "logo.png" {
				logoID = a.ID
			}
		}
		if logoID == "" {
			t.Fatalf("attachments listed: %+v", thread.Messages[0].Attachments)
		}
		e.problem("POST", "/gmail/draft", ada, map[string]any{"to": []string{"grace@example.com"}, "forward_message_id": msgID, "remove_attachment_ids": []string{"p9"}}, 400, "invalid_request", "remove_attachment_ids")

		var dr draftBody
		e.json("POST", "/gmail/draft", ada, map[string]any{"to": []string{"grace@example.com"}, "body_text": "FYI, the numbers.",
			"forward_message_id": msgID, "remove_attachment_ids": []string{logoID}}, 201, &dr)
		if dr.ThreadID == origThread {
			t.Fatal("the forward joined the original's thread")
		}
		adaGmail := gmailClient(t, e, "ada@example.com")
		if _, err := adaGmail.Users.Drafts.Send("me", &gmail.Draft{Id: dr.DraftID}).Do(); err != nil {
			t.Fatal(err)
		}
		grace := gmailClient(t, e, "grace@example.com")
		got := receivedMessage(t, grace, "subject:(Fwd: Q3 figures)")
		atts := attachmentsOf(t, grace, got)
		if len(atts) != 2 || !bytes.Equal(atts["Relatório Q3 — final.pdf"], pdf) || !bytes.Equal(atts["figures.xls"], sheet) {
			names := []string{}
			for n, b := range atts {
				names = append(names, fmt.Sprintf("%s (%d bytes)", n, len(b)))
			}
			t.Fatalf("attachments at Grace's: %v", names)
		}
		full, err := grace.Users.Messages.Get("me", got.Id).Format("raw").Do()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := base64.URLEncoding.DecodeString(full.Raw)
		if m, err := mail.ReadMessage(bytes.NewReader(b)); err != nil || m.Header.Get("In-Reply-To") != "" {
			t.Errorf("forward headers: %v %v", m, err)
		}
		var fwd struct {
			Messages []struct {
				Text string `json:"text"`
			} `json:"messages"`
		}
		graceTok := e.signIn("grace@example.com")
		e.json("GET", "/gmail/thread/"+got.ThreadId, graceTok, nil, 200, &fwd)
		if text := fwd.Messages[0].Text; !strings.Contains(text, "FYI, the numbers.") || !strings.Contains(text, "---------- Forwarded message ---------") ||
			!strings.Contains(text, "From: Mary Somerville <mary@example.org>") || !strings.Contains(text, "The figures are attached.") {
			t.Errorf("forwarded text:\n%s", text)
		}
	})
}
