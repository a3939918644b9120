package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"testing"

	"google.golang.org/api/gmail/v1"
)

// batch posts inner GET paths as one batch and returns the inner responses.
func batch(t *testing.T, e *env, token string, paths ...string) []*http.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for i, p := range paths {
		pw, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/http"}, "Content-ID": {fmt.Sprintf("<item%d>", i)}})
		fmt.Fprintf(pw, "GET %s HTTP/1.1\r\n\r\n", p)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", e.base+"/batch/gmail/v1", &body)
	req.Header.Set("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("batch: %d %v", resp.StatusCode, err)
	}
	mr := multipart.NewReader(resp.Body, params["boundary"])
	var out []*http.Response
	for i := 0; ; i++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := part.Header.Get("Content-ID"); got != fmt.Sprintf("<response-item%d>", i) {
			t.Errorf("Content-ID %q", got)
		}
		raw, _ := io.ReadAll(part)
		r, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestBatchRunsEachCallLikeADirectOne(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.signIn("ada@example.com")
	list, err := e.gmail(tok).Users.Threads.List("me").MaxResults(3).Do()
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, th := range list.Threads {
		paths = append(paths, "/gmail/v1/users/me/threads/"+th.Id+"?format=metadata&metadataHeaders=Subject")
	}
	paths = append(paths, "/gmail/v1/users/me/threads/0123456789abcdef")
	e.srv.ResetStats()
	resps := batch(t, e, tok.AccessToken, paths...)
	if len(resps) != 4 {
		t.Fatalf("%d responses", len(resps))
	}
	for i, r := range resps[:3] {
		var th gmail.Thread
		if err := json.NewDecoder(r.Body).Decode(&th); err != nil || r.StatusCode != 200 || th.Id != list.Threads[i].Id {
			t.Errorf("inner %d: %d %v %s", i, r.StatusCode, err, th.Id)
		}
	}
	if resps[3].StatusCode != 404 {
		t.Errorf("unknown thread in batch: %d", resps[3].StatusCode)
	}
	if n := e.srv.Stats()["gmail.threads.get"]; n != 4 {
		t.Errorf("gmail.threads.get = %d, want 4", n)
	}

	fail := []string{"gmail.threads.get=429:1"}
	_ = e.srv.SetFaults(Faults{Fail: &fail})
	resps = batch(t, e, tok.AccessToken, paths[0])
	if resps[0].StatusCode != 429 || resps[0].Header.Get("Retry-After") != "1" {
		t.Errorf("fault in batch: %d", resps[0].StatusCode)
	}
	resps = batch(t, e, "ya29.forged", "/gmail/v1/users/me/profile")
	if resps[0].StatusCode != 401 {
		t.Errorf("bad token in batch: %d", resps[0].StatusCode)
	}
}
