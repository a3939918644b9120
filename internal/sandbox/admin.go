package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/jarvis-hq/jarvis/internal/sandbox/mailbox"
	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// adminGuard keeps the admin routes to the developer's own tools, so that a
// page open in their browser cannot drive them: the Host must be a loopback
// name or the sandbox's own base host (403 otherwise, which defeats DNS
// rebinding), and a write must be application/json or message/rfc822 (415
// otherwise) — types another origin cannot send without a CORS preflight,
// which the sandbox never grants.
func (s *Server) adminGuard(next http.Handler) http.Handler {
	own := ""
	if u, err := url.Parse(s.base); err == nil {
		own = strings.ToLower(u.Hostname())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := strings.ToLower(r.Host)
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		ip := net.ParseIP(host)
		if !(host == "localhost" || host == own || ip != nil && ip.IsLoopback()) {
			wire.WriteError(w, http.StatusForbidden, wire.ErrorItem{Domain: "global", Reason: "forbidden",
				Message: "The sandbox's admin routes answer only on a loopback host (127.0.0.1, localhost)."})
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if mt != "application/json" && mt != "message/rfc822" {
				wire.WriteError(w, http.StatusUnsupportedMediaType, wire.ErrorItem{Domain: "global", Reason: "unsupportedMediaType",
					Message: "Send the admin routes application/json (or message/rfc822 for a message)."})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// adminRoutes are the sandbox's own controls under /sandbox/. They are not
// Google's and take no credentials: the sandbox is a local test bed, and
// adminGuard keeps them to local tools.
func (s *Server) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		wire.WriteJSON(w, http.StatusOK, s.CurrentFaults())
	})
	mux.HandleFunc("POST /sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBytes))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil && err != io.EOF {
			wire.BadRequest(w, "body", "Invalid faults: "+err.Error())
			return
		}
		if err := s.SetFaults(f); err != nil {
			wire.BadRequest(w, "body", err.Error())
			return
		}
		wire.WriteJSON(w, http.StatusOK, s.CurrentFaults())
	})
	mux.HandleFunc("GET /sandbox/stats", func(w http.ResponseWriter, r *http.Request) {
		wire.WriteJSON(w, http.StatusOK, map[string]any{"calls": s.Stats(), "pushes_pending": s.push.Pending()})
	})
	mux.HandleFunc("POST /sandbox/stats/reset", func(w http.ResponseWriter, r *http.Request) {
		s.ResetStats()
		wire.WriteJSON(w, http.StatusOK, map[string]any{"calls": map[string]int64{}})
	})
	s.pushAdminRoutes(mux)
	mux.HandleFunc("GET /sandbox/accounts", func(w http.ResponseWriter, r *http.Request) {
		type acct struct {
			Email string `json:"email"`
			Name  string `json:"name"`
			Sub   string `json:"sub"`
			HD    string `json:"hd,omitempty"`
		}
		out := []acct{}
		for _, a := range s.accounts {
			out = append(out, acct{a.email, a.name, a.subject(), a.hd})
		}
		wire.WriteJSON(w, http.StatusOK, map[string]any{"accounts": out, "load_report": s.LoadReport()})
	})
	mux.HandleFunc("POST /sandbox/accounts/{email}/revoke", func(w http.ResponseWriter, r *http.Request) {
		n, err := s.RevokeAccount(r.PathValue("email"))
		if err != nil {
			wire.NotFound(w)
			return
		}
		wire.WriteJSON(w, http.StatusOK, map[string]int{"revoked": n})
	})
	mux.HandleFunc("POST /sandbox/accounts/{email}/recycle", func(w http.ResponseWriter, r *http.Request) {
		sub, err := s.RecycleAccount(r.PathValue("email"))
		if err != nil {
			wire.NotFound(w)
			return
		}
		wire.WriteJSON(w, http.StatusOK, map[string]string{"sub": sub})
	})
	mux.HandleFunc("POST /sandbox/accounts/{email}/expire", func(w http.ResponseWriter, r *http.Request) {
		n, err := s.ExpireAccount(r.PathValue("email"))
		if err != nil {
			wire.NotFound(w)
			return
		}
		wire.WriteJSON(w, http.StatusOK, map[string]int{"expired": n})
	})
	s.adminGmailRoutes(mux)
	s.adminSendAsRoutes(mux)
	s.adminCalendarRoutes(mux)
	mux.HandleFunc("POST /sandbox/accounts/{email}/messages", func(w http.ResponseWriter, r *http.Request) {
		s.count("sandbox.deliver")
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxMessageBytes))
		if err != nil || len(strings.TrimSpace(string(raw))) == 0 {
			wire.BadRequest(w, "body", "Post the message as RFC 5322 bytes (message/rfc822) or as JSON {from, to, subject, text, html, attachments}.")
			return
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
			var in incomingJSON
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&in); err != nil {
				wire.BadRequest(w, "body", "Invalid message: "+err.Error())
				return
			}
			if raw, err = buildMessage(in, r.PathValue("email"), s.now()); err != nil {
				wire.BadRequest(w, "body", "Invalid message: "+err.Error())
				return
			}
		}
		verdict := mailbox.VerdictPass
		switch r.URL.Query().Get("spoofed") {
		case "", "false":
		case "true":
			verdict = mailbox.VerdictSpoofed
		default:
			wire.BadRequest(w, "spoofed", "spoofed must be true or false.")
			return
		}
		id, threadID, err := s.deliver(r.PathValue("email"), raw, verdict)
		if err != nil {
			wire.NotFound(w)
			return
		}
		wire.WriteJSON(w, http.StatusOK, refJSON{ID: id, ThreadID: threadID})
	})
}

func (s *Server) account(email string) (*account, error) {
	a := s.byEmail[strings.ToLower(email)]
	if a == nil {
		return nil, fmt.Errorf("sandbox: no account %q", email)
	}
	return a, nil
}

// RevokeAccount revokes every token of an account, as removing the app's
// access in the Google account does: its refresh tokens then get
// invalid_grant, its access tokens 401. It returns the grants revoked, or an
// error for an unknown account.
func (s *Server) RevokeAccount(email string) (int, error) {
	defer s.changed()
	a, err := s.account(email)
	if err != nil {
		return 0, err
	}
	return s.tokens.revokeAccount(a.email), nil
}

// ExpireAccount makes an account's current access tokens expire now: API
// calls with them get 401 until the client refreshes. It returns how many
// tokens were live, or an error for an unknown account.
func (s *Server) ExpireAccount(email string) (int, error) {
	defer s.changed()
	a, err := s.account(email)
	if err != nil {
		return 0, err
	}
	return s.tokens.expireAccount(a.email), nil
}

// Deliver adds a message (RFC 5322 bytes) to an account's inbox as if it
// had just arrived (INBOX, UNREAD, a messagesAdded history record), with
// Gmail's Authentication-Results on top: SPF, DKIM and DMARC pass for its
// From. It returns the message and thread ids.
func (s *Server) Deliver(email string, raw []byte) (id, threadID string, err error) {
	return s.deliver(email, raw, mailbox.VerdictPass)
}

// DeliverSpoofed is Deliver for a message whose From is forged: Gmail's
// check finds SPF softfail, no DKIM signature and DMARC fail (the domain's
// policy p=none lets it into the inbox).
func (s *Server) DeliverSpoofed(email string, raw []byte) (id, threadID string, err error) {
	return s.deliver(email, raw, mailbox.VerdictSpoofed)
}

func (s *Server) deliver(email string, raw []byte, verdict mailbox.Verdict) (id, threadID string, err error) {
	a, err := s.account(email)
	if err != nil {
		return "", "", err
	}
	v := a.mail.Deliver(mailbox.Received(raw, verdict))
	return v.ID, v.ThreadID, nil
}
