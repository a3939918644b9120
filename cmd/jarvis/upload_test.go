package main

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/textproto"
	"strings"
	"testing"

	"google.golang.org/api/gmail/v1"

	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// uploadFile is one file of a multipart draft.
type uploadFile struct {
	name, ctype string
	data        []byte
}

// multipartDraft builds a multipart/form-data draft body: the JSON in the
// part "draft", then each file in a part "attachments".
func multipartDraft(t *testing.T, draft map[string]any, files ...uploadFile) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	j, _ := json.Marshal(draft)
	h := textproto.MIMEHeader{"Content-Disposition": {`form-data; name="draft"`}, "Content-Type": {"application/json"}}
	pw, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = pw.Write(j)
	for _, f := range files {
		// Browsers send a UTF-8 filename as it is; the client's type is a lie
		// Jarvis must not believe.
		h := textproto.MIMEHeader{"Content-Disposition": {`form-data; name="attachments"; filename="` + f.name + `"`}, "Content-Type": {f.ctype}}
		pw, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = pw.Write(f.data)
	}
	_ = mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

func draftCount(t *testing.T, svc *gmail.Service) int {
	t.Helper()
	list, err := svc.Users.Drafts.List("me").MaxResults(500).Do()
	if err != nil {
		t.Fatal(err)
	}
	return len(list.Drafts)
}

// TestDraftUploadsAndEdits: files uploaded with a draft reach the
// recipient byte for byte under their (non-ASCII) names, with the type
// their content has; an upload over 25 MB is refused and drafts nothing;
// a draft is read, replaced and deleted.
func TestDraftUploadsAndEdits(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		t.Parallel()
		e := startEnv(t, envOptions{dialect: d})
		ada := e.signIn("ada@example.com")
		adaGmail := gmailClient(t, e, "ada@example.com")
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7, 0, 255}, 5000)...)
		notes := []byte("Meeting notes: ünïcode text.\n")
		body, ctype := multipartDraft(t, map[string]any{"to": []string{"grace@example.com"}, "subject": "Résumé", "body_text": "Two files."},
			uploadFile{"Schéma — été 2026.png", "application/x-msdownload", png}, uploadFile{"日本語のメモ.txt", "image/gif", notes})
		var dr draftBody
		e.json("POST", "/gmail/drafts", ada, body, 201, &dr, "Content-Type", ctype)

		// Read back with the draft's message decoded.
		var got struct {
			DraftID string `json:"draft_id"`
			Message struct {
				Subject     string `json:"subject"`
				Attachments []struct {
					Filename string `json:"filename"`
					MimeType string `json:"mime_type"`
					Size     int    `json:"size"`
				} `json:"attachments"`
			} `json:"message"`
		}
		e.json("GET", "/gmail/drafts/"+dr.DraftID, ada, nil, 200, &got)
		if got.DraftID != dr.DraftID || got.Message.Subject != "Résumé" || len(got.Message.Attachments) != 2 ||
			got.Message.Attachments[0].Filename != "Schéma — été 2026.png" || got.Message.Attachments[0].MimeType != "image/png" ||
			got.Message.Attachments[1].Filename != "日本語のメモ.txt" || !strings.HasPrefix(got.Message.Attachments[1].MimeType, "text/plain") {
			t.Fatalf("GET /gmail/drafts/{id} = %+v", got)
		}

		// Over the limit: refused, nothing drafted.
		before := draftCount(t, adaGmail)
		big, bigType := multipartDraft(t, map[string]any{"to": []string{"grace@example.com"}, "subject": "Too big"},
			uploadFile{"a.bin", "application/octet-stream", make([]byte, 13<<20)}, uploadFile{"b.bin", "application/octet-stream", make([]byte, 12<<20+1)})
		p := e.problem("POST", "/gmail/drafts", ada, big, 413, "payload_too_large", "Content-Type", bigType)
		if p["field"] != "attachments" || !strings.Contains(p["detail"].(string), "25 MB") {
			t.Errorf("over the limit: %v", p)
		}
		if n := draftCount(t, adaGmail); n != before {
			t.Errorf("drafts %d → %d after a refused upload", before, n)
		}
		bad, badType := multipartDraft(t, map[string]any{"to": []string{"not an address"}}, uploadFile{"a.txt", "text/plain", []byte("x")})
		e.problem("POST", "/gmail/drafts", ada, bad, 400, "invalid_request", "Content-Type", badType)

		// Replace the draft's content, keeping one file; then send it.
		body, ctype = multipartDraft(t, map[string]any{"to": []string{"grace@example.com"}, "subject": "Résumé, v2", "body_text": "One file now."},
			uploadFile{"Schéma — été 2026.png", "image/png", png})
		var upd draftBody
		e.json("PUT", "/gmail/drafts/"+dr.DraftID, ada, body, 200, &upd, "Content-Type", ctype)
		if upd.DraftID != dr.DraftID {
			t.Fatalf("PUT answered draft %s, want %s", upd.DraftID, dr.DraftID)
		}
		if _, err := adaGmail.Users.Drafts.Send("me", &gmail.Draft{Id: dr.DraftID}).Do(); err != nil {
			t.Fatal(err)
		}
		grace := gmailClient(t, e, "grace@example.com")
		m := receivedMessage(t, grace, "subject:(Résumé, v2)")
		atts := attachmentsOf(t, grace, m)
		if len(atts) != 1 || !bytes.Equal(atts["Schéma — été 2026.png"], png) {
			t.Fatalf("at Grace's: %d attachments", len(atts))
		}

		// Delete: 204, then 404; another account's draft is 404 too.
		e.json("POST", "/gmail/drafts", ada, map[string]any{"to": []string{"grace@example.com"}, "subject": "Scratch"}, 201, &dr)
		e.json("DELETE", "/gmail/drafts/"+dr.DraftID, ada, nil, 204, nil)
		e.problem("GET", "/gmail/drafts/"+dr.DraftID, ada, nil, 404, "not_found")
		e.problem("DELETE", "/gmail/drafts/"+dr.DraftID, ada, nil, 404, "not_found")
		e.problem("PUT", "/gmail/drafts/"+dr.DraftID, ada, map[string]any{"to": []string{"grace@example.com"}}, 404, "not_found")
		graceTok := e.signIn("grace@example.com")
		var gd draftBody
		e.json("POST", "/gmail/drafts", graceTok, map[string]any{"to": []string{"ada@example.com"}, "subject": "Grace's"}, 201, &gd)
		e.problem("DELETE", "/gmail/drafts/"+gd.DraftID, ada, nil, 404, "not_found")
		e.problem("GET", "/gmail/drafts/not%20an%20id", ada, nil, 400, "invalid_request")
		for _, action := range []string{"gmail.draft.get", "gmail.draft.update", "gmail.draft.delete"} {
			if len(e.auditOf("ada@example.com", action)) == 0 {
				t.Errorf("no %s audit row", action)
			}
		}
	})
}
