package sandbox

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/jarvis-hq/jarvis/internal/sandbox/mailbox"
	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// gmailCall is one authenticated Gmail request.
type gmailCall struct {
	w    http.ResponseWriter
	r    *http.Request
	acct *account
	fam  *family
	args []string // the unescaped path segments after users/{userId}/
}

// gmailRoute is a Gmail method: its stable name, the scopes that open it,
// and its handler.
type gmailRoute struct {
	method string
	scopes []string
	handle func(*Server, *gmailCall)
}

// gmailPath splits a Gmail path on its escaped form, unescaping each
// segment, so that "user%40example.com" and ids holding %2F stay whole.
func gmailPath(r *http.Request) (userID string, args []string, upload, ok bool) {
	p := r.URL.EscapedPath()
	switch {
	case strings.HasPrefix(p, "/gmail/v1/users/"):
		p = strings.TrimPrefix(p, "/gmail/v1/users/")
	case strings.HasPrefix(p, "/upload/gmail/v1/users/"):
		p, upload = strings.TrimPrefix(p, "/upload/gmail/v1/users/"), true
	default:
		return "", nil, false, false
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return "", nil, false, false
		}
		segs[i] = u
	}
	if len(segs) < 2 || segs[0] == "" {
		return "", nil, false, false
	}
	return segs[0], segs[1:], upload, true
}

// routeGmail maps a request to its method; ok is false for a path Gmail
// does not have.
func routeGmail(method string, args []string, upload bool) (gmailRoute, bool) {
	if r, ok := routeGmailWrite(method, args, upload); ok {
		return r, true
	}
	n := len(args)
	if upload {
		if method == http.MethodPost && n == 1 && args[0] == "drafts" {
			return gmailRoute{"gmail.drafts.create", gmailCompose, (*Server).createDraft}, true
		}
		return gmailRoute{}, false
	}
	get := method == http.MethodGet
	switch {
	case method == http.MethodPost && n == 1 && args[0] == "watch":
		return gmailRoute{"gmail.watch", gmailMetadata, (*Server).watchGmail}, true
	case method == http.MethodPost && n == 1 && args[0] == "stop":
		return gmailRoute{"gmail.stop", gmailMetadata, (*Server).stopGmail}, true
	case get && n == 1 && args[0] == "profile":
		return gmailRoute{"gmail.getProfile", gmailAny, (*Server).getProfile}, true
	case get && n == 1 && args[0] == "labels":
		return gmailRoute{"gmail.labels.list", gmailLabels, (*Server).listLabels}, true
	case get && n == 2 && args[0] == "labels":
		return gmailRoute{"gmail.labels.get", gmailLabels, (*Server).getLabel}, true
	case get && n == 1 && args[0] == "threads":
		return gmailRoute{"gmail.threads.list", gmailMetadata, (*Server).listThreads}, true
	case get && n == 2 && args[0] == "threads":
		return gmailRoute{"gmail.threads.get", gmailMetadata, (*Server).getThread}, true
	case get && n == 1 && args[0] == "messages":
		return gmailRoute{"gmail.messages.list", gmailMetadata, (*Server).listMessages}, true
	case get && n == 2 && args[0] == "messages":
		return gmailRoute{"gmail.messages.get", gmailMetadata, (*Server).getMessage}, true
	case method == http.MethodPost && n == 3 && args[0] == "messages" && args[2] == "modify":
		return gmailRoute{"gmail.messages.modify", gmailModify, (*Server).modifyMessage}, true
	case get && n == 4 && args[0] == "messages" && args[2] == "attachments":
		return gmailRoute{"gmail.messages.attachments.get", gmailRead, (*Server).getAttachment}, true
	case get && n == 1 && args[0] == "drafts":
		return gmailRoute{"gmail.drafts.list", gmailDrafts, (*Server).listDrafts}, true
	case get && n == 2 && args[0] == "drafts":
		return gmailRoute{"gmail.drafts.get", gmailDrafts, (*Server).getDraft}, true
	case method == http.MethodPost && n == 1 && args[0] == "drafts":
		return gmailRoute{"gmail.drafts.create", gmailCompose, (*Server).createDraft}, true
	case get && n == 2 && args[0] == "settings" && args[1] == "sendAs":
		return gmailRoute{"gmail.settings.sendAs.list", gmailSettingsRead, (*Server).listSendAs}, true
	case get && n == 3 && args[0] == "settings" && args[1] == "sendAs":
		return gmailRoute{"gmail.settings.sendAs.get", gmailSettingsRead, (*Server).getSendAs}, true
	case get && n == 1 && args[0] == "history":
		return gmailRoute{"gmail.history.list", gmailMetadata, (*Server).listHistory}, true
	}
	return gmailRoute{}, false
}

// handleGmail serves /gmail/v1/users/{userId}/… and the draft upload path:
// route, then latency and faults, then the bearer token, the user id and
// the scopes, then the method.
func (s *Server) handleGmail(w http.ResponseWriter, r *http.Request) {
	userID, args, upload, ok := gmailPath(r)
	var route gmailRoute
	if ok {
		route, ok = routeGmail(r.Method, args, upload)
	}
	if !ok {
		wire.NotFound(w)
		return
	}
	if !s.begin(w, r, route.method, false) {
		return
	}
	acct, fam, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	if userID != "me" && !strings.EqualFold(userID, acct.email) {
		wire.WriteError(w, http.StatusForbidden, wire.ErrorItem{Domain: "global", Reason: "forbidden", Message: "Delegation denied for " + acct.email})
		return
	}
	if !permitted(w, fam, route.scopes) {
		return
	}
	done, ok := s.admitGmail(w, acct.email, route.method)
	if !ok {
		return
	}
	defer done()
	if status := s.lostAnswer(route.method); status != 0 {
		route.handle(s, &gmailCall{w: &discardWriter{h: http.Header{}}, r: r, acct: acct, fam: fam, args: args})
		s.log.Info("sandbox: answer lost after the call was carried out", "method", route.method, "status", status)
		writeFault(w, status, false)
		return
	}
	route.handle(s, &gmailCall{w: w, r: r, acct: acct, fam: fam, args: args})
}

// metadataOnly reports a grant whose only Gmail read scope is
// gmail.metadata: no q, no bodies.
func (c *gmailCall) metadataOnly() bool {
	for _, sc := range c.fam.scopes {
		if slices.Contains(gmailRead, sc) {
			return false
		}
	}
	return true
}

func (c *gmailCall) query(name string) string { return c.r.URL.Query().Get(name) }

// fail writes a store error as Gmail does.
func (c *gmailCall) fail(err error) {
	switch {
	case errors.Is(err, mailbox.ErrNotFound), errors.Is(err, mailbox.ErrHistoryGone):
		wire.NotFound(c.w)
	case errors.Is(err, mailbox.ErrPageToken):
		wire.BadRequest(c.w, "pageToken", "Invalid pageToken")
	case errors.Is(err, mailbox.ErrInvalidLabel):
		msg := "Invalid label"
		if le := (*mailbox.InvalidLabelError)(nil); errors.As(err, &le) {
			msg = "Invalid label: " + le.ID
		}
		wire.BadRequest(c.w, "labelIds", msg)
	default:
		wire.Error(c.w, http.StatusInternalServerError, "backendError", "Backend Error")
	}
}

// maxResults reads maxResults: def when absent, clamped to limit as Google
// does; a non-number is a 400.
func (c *gmailCall) maxResults(def, limit int) (int, bool) {
	v := c.query("maxResults")
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		wire.BadRequest(c.w, "maxResults", "Invalid value for maxResults: "+v)
		return 0, false
	}
	if n == 0 {
		return def, true
	}
	return min(n, limit), true
}

// listOptions reads the parameters of messages.list and threads.list.
func (c *gmailCall) listOptions() (mailbox.ListOptions, bool) {
	max, ok := c.maxResults(100, 500)
	if !ok {
		return mailbox.ListOptions{}, false
	}
	q := c.r.URL.Query()
	opt := mailbox.ListOptions{
		Query:            q.Get("q"),
		LabelIDs:         q["labelIds"],
		IncludeSpamTrash: q.Get("includeSpamTrash") == "true",
		MaxResults:       max,
		PageToken:        q.Get("pageToken"),
	}
	if opt.Query != "" && c.metadataOnly() {
		wire.WriteError(c.w, http.StatusForbidden, wire.ErrorItem{Domain: "global", Reason: "forbidden", Message: "Metadata scope does not support 'q' parameter"})
		return opt, false
	}
	return opt, true
}

// format reads the format parameter (default full); raw only where
// allowed. A metadata-only grant may ask for metadata or minimal.
func (c *gmailCall) format(allowRaw bool) (string, bool) {
	f := strings.ToLower(c.query("format"))
	if f == "" {
		f = "full"
	}
	switch {
	case f == "full" || f == "metadata" || f == "minimal" || f == "raw" && allowRaw:
	default:
		wire.BadRequest(c.w, "format", "Invalid value at 'format' ("+c.query("format")+")")
		return "", false
	}
	if (f == "full" || f == "raw") && c.metadataOnly() {
		wire.WriteError(c.w, http.StatusForbidden, wire.ErrorItem{Domain: "global", Reason: "forbidden", Message: "Metadata scope doesn't allow format " + strings.ToUpper(f)})
		return "", false
	}
	return f, true
}

// validID reports a Gmail message or thread id: hex digits.
func validID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

func (c *gmailCall) id(i int) (string, bool) {
	id := c.args[i]
	if !validID(id) {
		wire.BadRequest(c.w, "id", "Invalid id value")
		return "", false
	}
	return id, true
}
