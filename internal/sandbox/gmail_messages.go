package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	"github.com/jarvis-hq/jarvis/internal/sandbox/mailbox"
	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

func (s *Server) getProfile(c *gmailCall) {
	msgs, threads, hid := c.acct.mail.Profile()
	wire.WriteJSON(c.w, http.StatusOK, map[string]any{
		"emailAddress":  c.acct.email,
		"messagesTotal": msgs,
		"threadsTotal":  threads,
		"historyId":     u64(hid),
	})
}

type labelJSON struct {
	ID                    string          `json:"id"`
	Name                  string          `json:"name"`
	Type                  string          `json:"type"`
	MessageListVisibility string          `json:"messageListVisibility,omitempty"`
	LabelListVisibility   string          `json:"labelListVisibility,omitempty"`
	MessagesTotal         *int            `json:"messagesTotal,omitempty"`
	MessagesUnread        *int            `json:"messagesUnread,omitempty"`
	ThreadsTotal          *int            `json:"threadsTotal,omitempty"`
	ThreadsUnread         *int            `json:"threadsUnread,omitempty"`
	Color                 *labelColorJSON `json:"color,omitempty"`
}

type labelColorJSON struct {
	TextColor       string `json:"textColor"`
	BackgroundColor string `json:"backgroundColor"`
}

func labelOut(l mailbox.Label) labelJSON {
	j := labelJSON{ID: l.ID, Name: l.Name, Type: l.Type, MessageListVisibility: l.MessageListVisibility, LabelListVisibility: l.LabelListVisibility}
	if l.TextColor != "" {
		j.Color = &labelColorJSON{TextColor: l.TextColor, BackgroundColor: l.BackgroundColor}
	}
	return j
}

func (s *Server) listLabels(c *gmailCall) {
	var out []labelJSON
	for _, l := range c.acct.mail.Labels() {
		out = append(out, labelOut(l))
	}
	wire.WriteJSON(c.w, http.StatusOK, map[string]any{"labels": out})
}

func (s *Server) getLabel(c *gmailCall) {
	info, err := c.acct.mail.Label(c.args[1])
	if err != nil {
		c.fail(err)
		return
	}
	j := labelOut(info.Label)
	j.MessagesTotal, j.MessagesUnread = &info.MessagesTotal, &info.MessagesUnread
	j.ThreadsTotal, j.ThreadsUnread = &info.ThreadsTotal, &info.ThreadsUnread
	wire.WriteJSON(c.w, http.StatusOK, j)
}

func (s *Server) listThreads(c *gmailCall) {
	opt, ok := c.listOptions()
	if !ok {
		return
	}
	page, err := c.acct.mail.ListThreads(opt)
	if err != nil {
		c.fail(err)
		return
	}
	out := struct {
		Threads            []threadJSON `json:"threads,omitempty"`
		NextPageToken      string       `json:"nextPageToken,omitempty"`
		ResultSizeEstimate int          `json:"resultSizeEstimate"`
	}{NextPageToken: page.NextPageToken, ResultSizeEstimate: page.Total}
	for _, t := range page.Items {
		out.Threads = append(out.Threads, threadJSON{ID: t.ID, Snippet: t.Snippet, HistoryID: u64(t.HistoryID)})
	}
	wire.WriteJSON(c.w, http.StatusOK, out)
}

func (s *Server) getThread(c *gmailCall) {
	id, ok := c.id(1)
	if !ok {
		return
	}
	format, ok := c.format(false)
	if !ok {
		return
	}
	t, err := c.acct.mail.Thread(id)
	if err != nil {
		c.fail(err)
		return
	}
	wire.WriteJSON(c.w, http.StatusOK, renderThread(t, format, c.r.URL.Query()["metadataHeaders"]))
}

func (s *Server) listMessages(c *gmailCall) {
	opt, ok := c.listOptions()
	if !ok {
		return
	}
	page, err := c.acct.mail.ListMessages(opt)
	if err != nil {
		c.fail(err)
		return
	}
	out := struct {
		Messages           []refJSON `json:"messages,omitempty"`
		NextPageToken      string    `json:"nextPageToken,omitempty"`
		ResultSizeEstimate int       `json:"resultSizeEstimate"`
	}{NextPageToken: page.NextPageToken, ResultSizeEstimate: page.Total}
	for _, m := range page.Items {
		out.Messages = append(out.Messages, ref(m))
	}
	wire.WriteJSON(c.w, http.StatusOK, out)
}

func (s *Server) getMessage(c *gmailCall) {
	id, ok := c.id(1)
	if !ok {
		return
	}
	format, ok := c.format(true)
	if !ok {
		return
	}
	m, err := c.acct.mail.Message(id)
	if err != nil {
		c.fail(err)
		return
	}
	wire.WriteJSON(c.w, http.StatusOK, renderMessage(m, format, c.r.URL.Query()["metadataHeaders"]))
}

func (s *Server) modifyMessage(c *gmailCall) {
	id, ok := c.id(1)
	if !ok {
		return
	}
	var req struct {
		AddLabelIDs    []string `json:"addLabelIds"`
		RemoveLabelIDs []string `json:"removeLabelIds"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(c.w, c.r.Body, maxFormBytes)).Decode(&req); err != nil {
		wire.BadRequest(c.w, "body", "Invalid JSON payload received.")
		return
	}
	m, err := c.acct.mail.Modify(id, req.AddLabelIDs, req.RemoveLabelIDs)
	if err != nil {
		c.fail(err)
		return
	}
	wire.WriteJSON(c.w, http.StatusOK, renderMessage(m, "minimal", nil))
}

func (s *Server) getAttachment(c *gmailCall) {
	id, ok := c.id(1)
	if !ok {
		return
	}
	m, err := c.acct.mail.Message(id)
	if err != nil {
		c.fail(err)
		return
	}
	p := m.Attachment(c.args[3])
	if p == nil {
		wire.NotFound(c.w)
		return
	}
	wire.WriteJSON(c.w, http.StatusOK, map[string]any{
		"attachmentId": c.args[3],
		"size":         len(p.Data),
		"data":         encodeData(p.Data),
	})
}

type historyJSON struct {
	ID              string         `json:"id"`
	Messages        []refJSON      `json:"messages,omitempty"`
	MessagesAdded   []addedJSON    `json:"messagesAdded,omitempty"`
	MessagesDeleted []addedJSON    `json:"messagesDeleted,omitempty"`
	LabelsAdded     []labelChgJSON `json:"labelsAdded,omitempty"`
	LabelsRemoved   []labelChgJSON `json:"labelsRemoved,omitempty"`
}

type addedJSON struct {
	Message refJSON `json:"message"`
}

type labelChgJSON struct {
	Message  refJSON  `json:"message"`
	LabelIDs []string `json:"labelIds"`
}

func (s *Server) listHistory(c *gmailCall) {
	q := c.r.URL.Query()
	start, err := strconv.ParseUint(q.Get("startHistoryId"), 10, 64)
	if err != nil {
		wire.BadRequest(c.w, "startHistoryId", "Invalid startHistoryId")
		return
	}
	max, ok := c.maxResults(100, 500)
	if !ok {
		return
	}
	for _, t := range q["historyTypes"] {
		switch t {
		case "messageAdded", "messageDeleted", "labelAdded", "labelRemoved":
		default:
			wire.BadRequest(c.w, "historyTypes", "Invalid value at 'history_types' ("+t+")")
			return
		}
	}
	page, current, err := c.acct.mail.History(mailbox.HistoryOptions{
		StartHistoryID: start, LabelID: q.Get("labelId"), Types: q["historyTypes"],
		MaxResults: max, PageToken: q.Get("pageToken"),
	})
	if err != nil {
		c.fail(err)
		return
	}
	full := func(v mailbox.MessageView) refJSON {
		return refJSON{ID: v.ID, ThreadID: v.ThreadID, LabelIDs: slices.Clone(v.LabelIDs)}
	}
	changes := func(cs []mailbox.LabelChange) []labelChgJSON {
		var out []labelChgJSON
		for _, ch := range cs {
			out = append(out, labelChgJSON{Message: full(ch.Message), LabelIDs: ch.LabelIDs})
		}
		return out
	}
	out := struct {
		History       []historyJSON `json:"history,omitempty"`
		NextPageToken string        `json:"nextPageToken,omitempty"`
		HistoryID     string        `json:"historyId"`
	}{NextPageToken: page.NextPageToken, HistoryID: u64(current)}
	for _, h := range page.Items {
		j := historyJSON{ID: u64(h.ID), LabelsAdded: changes(h.LabelsAdded), LabelsRemoved: changes(h.LabelsRemoved)}
		for _, m := range h.Messages {
			j.Messages = append(j.Messages, ref(m))
		}
		for _, m := range h.MessagesAdded {
			j.MessagesAdded = append(j.MessagesAdded, addedJSON{Message: full(m)})
		}
		for _, m := range h.MessagesDeleted {
			j.MessagesDeleted = append(j.MessagesDeleted, addedJSON{Message: full(m)})
		}
		out.History = append(out.History, j)
	}
	wire.WriteJSON(c.w, http.StatusOK, out)
}
