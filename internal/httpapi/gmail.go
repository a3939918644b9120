package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// Limits of the Gmail routes.
const (
	maxQueryLen     = 1024
	maxDraftBody    = 6 << 20 // body_text and body_html together are capped at 5 MB by the drafter
	maxAttachment   = 25 << 20
	idempotencyTTL  = 24 * time.Hour
	idempotencyKeyN = 255
	// maxPageToken bounds a page token: Gmail's, or Jarvis's own for a
	// listing of several accounts.
	maxPageToken = 4096
)

// google wraps a Google route: authenticated, and within the user's rate
// limit, which is shared by every replica.
func (s *Server) google(h authedHandler) http.Handler {
	return s.authed(func(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
		if s.Mail == nil || s.Calendar == nil {
			s.unavailable(w, r, jarvis.EUPSTREAM, "Google")
			return
		}
		if !s.allow(w, r, "google:"+u.ID, s.cfg.GoogleRateLimit) {
			return
		}
		h(w, r, u)
	})
}

// allow counts a request against a per-minute limit and answers 429 with
// Retry-After when it is exceeded. When the limit's store fails (Redis
// out of reach) the request goes ahead uncounted: the limits fail open,
// since they shield Google's quota and the LLM bill from one user's
// excess, which Google's own limits and the Gmail budget still bound.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, bucket string, limit int) bool {
	ok, retry, err := s.Limiter.Allow(r.Context(), bucket, limit, time.Minute)
	if err != nil {
		if r.Context().Err() != nil {
			s.Error(w, r, err)
			return false
		}
		kind, _, _ := strings.Cut(bucket, ":")
		s.log.WarnContext(r.Context(), "rate limit store unavailable: request not counted", "limit", kind, "err", err)
		return true
	}
	if !ok {
		s.Error(w, r, &jarvis.Error{Code: jarvis.ERATELIMITED, Message: "Too many requests: slow down and retry later.", RetryAfter: retry})
		return false
	}
	return true
}

func (s *Server) listLabels(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if s.Labels == nil {
		s.unavailable(w, r, jarvis.EUPSTREAM, "Gmail labels")
		return
	}
	account, err := accountParam(r, false)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	labels, err := s.Labels.ListLabels(r.Context(), u.ID, account)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, labels)
}

func (s *Server) listThreads(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	q := r.URL.Query()
	account, err := accountParam(r, true)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	max, err := intParam(q.Get("max_results"), "max_results", 25, 1, 100)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	query := jarvis.ThreadQuery{Q: q.Get("q"), Label: q.Get("label"), PageToken: q.Get("page_token"), MaxResults: max}
	switch {
	case len(query.Q) > maxQueryLen || strings.ContainsAny(query.Q, "\x00\r\n"):
		s.Error(w, r, jarvis.Invalid("q", "q must be one line of at most %d bytes.", maxQueryLen))
		return
	case query.Label != "" && validID("label", query.Label) != nil:
		s.Error(w, r, jarvis.Invalid("label", "label must be a label id such as INBOX or Label_12."))
		return
	case len(query.PageToken) > maxPageToken || strings.ContainsAny(query.PageToken, "\x00\r\n/?#"):
		s.Error(w, r, jarvis.Invalid("page_token", "The page token is not valid."))
		return
	}
	page, err := s.Mail.ListThreads(r.Context(), u.ID, account, query)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) getThread(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id, account, ok := s.itemTarget(w, r, validThreadID)
	if !ok {
		return
	}
	t, err := s.Mail.GetThread(r.Context(), u.ID, account, id)
	s.reply(w, r, http.StatusOK, t, err)
}

// validThreadID checks the {id} of a thread route.
func validThreadID(id string) error { return validGmailID("id", id) }

// itemTarget reads the {id} of an item's route, checked by valid, and the
// account the request names (the primary when none), or answers the
// problem.
func (s *Server) itemTarget(w http.ResponseWriter, r *http.Request, valid func(id string) error) (id, account string, ok bool) {
	id = r.PathValue("id")
	err := valid(id)
	if err == nil {
		account, err = accountParam(r, false)
	}
	if err != nil {
		s.Error(w, r, err)
		return "", "", false
	}
	return id, account, true
}

// reply answers v with status, or err's problem.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

// getAttachment sends an attachment as a download, never rendered inline.
func (s *Server) getAttachment(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	mid, aid := r.PathValue("message_id"), r.PathValue("attachment_id")
	if err := validGmailID("message_id", mid); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := validID("attachment_id", aid); err != nil {
		s.Error(w, r, err)
		return
	}
	account, err := accountParam(r, false)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	a, err := s.Mail.GetAttachment(r.Context(), u.ID, account, mid, aid)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if len(a.Data) > maxAttachment {
		s.Error(w, r, &jarvis.Error{Code: jarvis.ETOOLARGE, Field: "attachment_id", Message: "The attachment is too large to download through Jarvis."})
		return
	}
	ct := a.MimeType
	if _, _, err := mime.ParseMediaType(ct); err != nil || ct == "" {
		ct = "application/octet-stream"
	}
	name := a.Filename
	if name == "" {
		name = "attachment"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", fmt.Sprint(len(a.Data)))
	_, _ = w.Write(a.Data)
}

// createDraft drafts a message in the Gmail of one of the user's accounts,
// from JSON or from multipart/form-data with files (see readDraft). With an
// Idempotency-Key, a repeat of the same request (to the same account)
// returns the first answer and drafts nothing.
func (s *Server) createDraft(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	ref, err := accountParam(r, false)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	in, body, err := readDraft(w, r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := validDraftIDs(in); err != nil {
		s.Error(w, r, err)
		return
	}
	account, err := s.findAccount(r, u.ID, ref)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.idempotent(w, r, u, jarvis.DraftIdempotencyScope(account.ID), body, func() (int, any, error) {
		d, err := s.Mail.CreateDraft(r.Context(), u.ID, account.ID, in)
		return http.StatusCreated, d, err
	})
}

// idempotent runs fn once per Idempotency-Key (if the request has one) and
// replays its answer to repeats of the same request.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, u *jarvis.User, scope string, body []byte, fn func() (int, any, error)) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		status, v, err := fn()
		if err != nil {
			s.Error(w, r, err)
			return
		}
		writeJSON(w, status, v)
		return
	}
	if len(key) > idempotencyKeyN || strings.ContainsFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		s.Error(w, r, jarvis.Invalid("Idempotency-Key", "The Idempotency-Key header must be at most %d visible ASCII characters.", idempotencyKeyN))
		return
	}
	sum := sha256.Sum256(canonicalJSON(body))
	hash := hex.EncodeToString(sum[:])
	prev, err := s.Idempotency.ClaimIdempotencyKey(r.Context(), u.ID, scope, key, hash, idempotencyTTL)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if prev != nil {
		w.Header().Set("Idempotent-Replayed", "true")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(prev.StatusCode)
		_, _ = w.Write(prev.Body)
		return
	}
	status, v, err := fn()
	// The outcome must be stored even if the client has gone away.
	ctx := r.Context()
	if err != nil {
		if rerr := s.Idempotency.ReleaseIdempotencyKey(contextWithoutCancel(ctx), u.ID, scope, key); rerr != nil {
			s.log.ErrorContext(ctx, "release idempotency key", "err", rerr)
		}
		s.Error(w, r, err)
		return
	}
	out, _ := json.Marshal(v)
	out = append(out, '\n')
	if err := s.Idempotency.CompleteIdempotencyKey(contextWithoutCancel(ctx), u.ID, scope, key, jarvis.IdempotentResponse{StatusCode: status, Body: out}); err != nil {
		s.log.ErrorContext(ctx, "store idempotent response", "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// canonicalJSON re-encodes a JSON document so that whitespace and key order
// do not make the same request look different.
func canonicalJSON(b []byte) []byte {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return b
	}
	out, err := json.Marshal(v)
	if err != nil {
		return b
	}
	return out
}

func (s *Server) upcoming(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	q := r.URL.Query()
	days, err := intParam(q.Get("days"), "days", 7, 1, 90)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	max, err := intParam(q.Get("max_results"), "max_results", 50, 1, 250)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	account, err := accountParam(r, true)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	list, err := s.Calendar.Upcoming(r.Context(), u.ID, account, days, max)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	resp := eventsResponse{Events: list.Events, Source: list.Source}
	if resp.Source == "" {
		resp.Source = jarvis.SourceGoogle
	}
	if account == jarvis.AllAccounts {
		resp.Accounts = list.Accounts
	} else if len(list.Accounts) > 0 {
		resp.Account = &list.Accounts[0]
	}
	writeJSON(w, http.StatusOK, resp)
}
