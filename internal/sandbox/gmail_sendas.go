package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/mail"
	"slices"
	"strings"

	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// sendAsFile, in an account's data folder, lists the account's send-as
// aliases, one address a line ("Ada Work <ada@work.example>"); blank lines
// and lines starting with # are skipped.
const sendAsFile = "send-as.txt"

// maxSendAs bounds an account's aliases (Gmail allows 99 custom ones).
const maxSendAs = 99

// SendAs is a send-as alias of an account, as Gmail's settings keep one:
// an address the account may send from, verified.
type SendAs struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
	// ReplyTo is the alias's reply-to address, if it has one.
	ReplyTo string `json:"reply_to,omitempty"`
}

// sendAsJSON is Gmail's SendAs resource.
type sendAsJSON struct {
	SendAsEmail        string `json:"sendAsEmail"`
	DisplayName        string `json:"displayName,omitempty"`
	ReplyToAddress     string `json:"replyToAddress,omitempty"`
	Signature          string `json:"signature,omitempty"`
	IsPrimary          bool   `json:"isPrimary,omitempty"`
	IsDefault          bool   `json:"isDefault,omitempty"`
	TreatAsAlias       bool   `json:"treatAsAlias,omitempty"`
	VerificationStatus string `json:"verificationStatus,omitempty"`
}

// gmailSettingsRead are the scopes of settings.sendAs.list and .get.
var gmailSettingsRead = append(slices.Clone(gmailRead), googleAuth+"gmail.settings.basic", googleAuth+"gmail.settings.sharing")

// aliases returns the account's custom send-as aliases.
func (a *account) aliases() []SendAs {
	a.subMu.Lock()
	defer a.subMu.Unlock()
	return slices.Clone(a.sendAs)
}

// sendsAs reports whether addr is the account's address or one of its
// aliases (case-insensitively).
func (a *account) sendsAs(addr string) bool {
	if strings.EqualFold(addr, a.email) {
		return true
	}
	return slices.ContainsFunc(a.aliases(), func(s SendAs) bool { return strings.EqualFold(s.Email, addr) })
}

// resources lists the account's send-as addresses as settings.sendAs.list
// does: the primary address first, then the aliases.
func (a *account) sendAsResources() []sendAsJSON {
	out := []sendAsJSON{{SendAsEmail: a.email, DisplayName: a.name, IsPrimary: true, IsDefault: true}}
	for _, s := range a.aliases() {
		out = append(out, sendAsJSON{SendAsEmail: s.Email, DisplayName: s.Name, ReplyToAddress: s.ReplyTo, TreatAsAlias: true, VerificationStatus: "accepted"})
	}
	return out
}

// normaliseSendAs checks aliases and lower-cases their addresses: each a
// valid address, not the account's own, once each.
func normaliseSendAs(own string, list []SendAs) ([]SendAs, error) {
	if len(list) > maxSendAs {
		return nil, fmt.Errorf("at most %d send-as aliases", maxSendAs)
	}
	out := make([]SendAs, 0, len(list))
	for _, s := range list {
		a, err := mail.ParseAddress(strings.TrimSpace(s.Email))
		if err != nil || a.Name != "" {
			return nil, fmt.Errorf("invalid send-as address %q", s.Email)
		}
		addr := strings.ToLower(a.Address)
		if addr == own || slices.ContainsFunc(out, func(o SendAs) bool { return o.Email == addr }) {
			return nil, fmt.Errorf("send-as address %q is the account's own or given twice", s.Email)
		}
		if s.ReplyTo != "" {
			if _, err := mail.ParseAddress(s.ReplyTo); err != nil {
				return nil, fmt.Errorf("invalid reply-to address %q", s.ReplyTo)
			}
		}
		out = append(out, SendAs{Email: addr, Name: strings.TrimSpace(s.Name), ReplyTo: s.ReplyTo})
	}
	return out, nil
}

// SetSendAs replaces an account's send-as aliases, as adding and verifying
// them in Gmail's settings does. An error for an unknown account or an
// invalid alias.
func (s *Server) SetSendAs(email string, aliases []SendAs) error {
	defer s.changed()
	a, err := s.account(email)
	if err != nil {
		return err
	}
	list, err := normaliseSendAs(a.email, aliases)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	a.subMu.Lock()
	a.sendAs = list
	a.subMu.Unlock()
	return nil
}

// parseSendAsFile reads the aliases of a send-as.txt.
func parseSendAsFile(data []byte) ([]SendAs, error) {
	var out []SendAs
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		a, err := mail.ParseAddress(line)
		if err != nil {
			return nil, fmt.Errorf("invalid address %q", line)
		}
		out = append(out, SendAs{Email: a.Address, Name: a.Name})
	}
	return out, nil
}

// listSendAs serves settings.sendAs.list.
func (s *Server) listSendAs(c *gmailCall) {
	wire.WriteJSON(c.w, http.StatusOK, map[string]any{"sendAs": c.acct.sendAsResources()})
}

// getSendAs serves settings.sendAs.get.
func (s *Server) getSendAs(c *gmailCall) {
	for _, r := range c.acct.sendAsResources() {
		if strings.EqualFold(r.SendAsEmail, c.args[2]) {
			wire.WriteJSON(c.w, http.StatusOK, r)
			return
		}
	}
	wire.NotFound(c.w)
}

// adminSendAsRoutes: GET and PUT /sandbox/accounts/{email}/send-as, the
// aliases as {"aliases": [{"email", "name", "reply_to"}]}.
func (s *Server) adminSendAsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sandbox/accounts/{email}/send-as", func(w http.ResponseWriter, r *http.Request) {
		a, err := s.account(r.PathValue("email"))
		if err != nil {
			wire.NotFound(w)
			return
		}
		wire.WriteJSON(w, http.StatusOK, map[string]any{"aliases": nonNil(a.aliases())})
	})
	mux.HandleFunc("PUT /sandbox/accounts/{email}/send-as", func(w http.ResponseWriter, r *http.Request) {
		s.count("sandbox.send_as")
		var req struct {
			Aliases []SendAs `json:"aliases"`
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
		if err := s.SetSendAs(a.email, req.Aliases); err != nil {
			wire.BadRequest(w, "aliases", err.Error())
			return
		}
		wire.WriteJSON(w, http.StatusOK, map[string]any{"aliases": nonNil(a.aliases())})
	})
}

func nonNil(l []SendAs) []SendAs {
	if l == nil {
		return []SendAs{}
	}
	return l
}
