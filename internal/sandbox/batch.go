package sandbox

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"sync"

	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// Batch limits: Google takes at most 100 calls in one batch.
const (
	maxBatchCalls = 100
	maxBatchBytes = 8 << 20
)

// batchCall is one inner request of a batch and, once run, its answer.
type batchCall struct {
	contentID string
	req       *http.Request
	resp      *recorder
}

// recorder is a minimal in-memory ResponseWriter for inner batch calls.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// handleBatch serves POST /batch/gmail/v1: a multipart/mixed body of
// application/http parts, each a Gmail request, answered by a
// multipart/mixed body of their responses in order. Inner calls run
// concurrently and each is counted, delayed and faulted like a direct call;
// an inner request without Authorization uses the batch's.
func (s *Server) handleBatch(w http.ResponseWriter, r *http.Request) {
	s.count("gmail.batch")
	typ, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || typ != "multipart/mixed" || params["boundary"] == "" {
		wire.BadRequest(w, "Content-Type", "A batch request must be multipart/mixed with a boundary.")
		return
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, maxBatchBytes), params["boundary"])
	var calls []*batchCall
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			wire.BadRequest(w, "body", "Malformed batch body: "+err.Error())
			return
		}
		if len(calls) == maxBatchCalls {
			wire.BadRequest(w, "body", fmt.Sprintf("A batch may hold at most %d calls.", maxBatchCalls))
			return
		}
		c := &batchCall{contentID: strings.Trim(part.Header.Get("Content-ID"), "<>"), resp: &recorder{header: http.Header{}}}
		inner, err := http.ReadRequest(bufio.NewReader(part))
		if err == nil {
			inner.RequestURI = ""
			inner = inner.WithContext(r.Context())
			if inner.Header.Get("Authorization") == "" {
				inner.Header.Set("Authorization", r.Header.Get("Authorization"))
			}
			c.req = inner
		}
		calls = append(calls, c)
	}
	var wg sync.WaitGroup
	for _, c := range calls {
		switch {
		case c.req == nil:
			wire.BadRequest(c.resp, "body", "Malformed inner HTTP request.")
		case !strings.HasPrefix(c.req.URL.Path, "/gmail/v1/"):
			wire.NotFound(c.resp)
		default:
			wg.Go(func() { s.handleGmail(c.resp, c.req) })
		}
	}
	wg.Wait()
	s.writeBatch(w, calls)
}

func (s *Server) writeBatch(w http.ResponseWriter, calls []*batchCall) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	boundary := "batch_" + randomToken(12)
	_ = mw.SetBoundary(boundary)
	for _, c := range calls {
		h := textproto.MIMEHeader{"Content-Type": {"application/http"}}
		if c.contentID != "" {
			h.Set("Content-ID", "<response-"+c.contentID+">")
		}
		pw, _ := mw.CreatePart(h)
		fmt.Fprintf(pw, "HTTP/1.1 %d %s\r\n", c.resp.status, http.StatusText(c.resp.status))
		_ = c.resp.header.Write(pw)
		fmt.Fprintf(pw, "\r\n")
		_, _ = pw.Write(c.resp.body.Bytes())
	}
	_ = mw.Close()
	w.Header().Set("Content-Type", "multipart/mixed; boundary="+boundary)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}
