package pubsub

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// pullWait is how long a pull without returnImmediately waits for a
// message before it answers empty.
const pullWait = 10 * time.Second

// PathPrefix is where the REST API v1 lives: https://pubsub.googleapis.com/v1/….
const PathPrefix = "/v1/projects/"

// MethodName names the REST method r calls ("pubsub.projects.topics.create"),
// "" for a path the sandbox's Pub/Sub does not have.
func MethodName(r *http.Request) string {
	rt, ok := parse(r)
	if !ok {
		return ""
	}
	return rt.method
}

type route struct {
	method string
	name   string // the topic or subscription, or the project for lists
	verb   string // publish, pull, acknowledge, modifyAckDeadline
}

// parse maps a request: /v1/projects/P/topics/T[:publish],
// /v1/projects/P/subscriptions/S[:verb], /v1/projects/P/topics,
// /v1/projects/P/subscriptions, /v1/projects/P/topics/T/subscriptions.
func parse(r *http.Request) (route, bool) {
	p, err := url.PathUnescape(r.URL.EscapedPath())
	if err != nil || !strings.HasPrefix(p, PathPrefix) {
		return route{}, false
	}
	p = strings.TrimPrefix(p, "/v1/")
	segs := strings.Split(p, "/")
	m := r.Method
	switch {
	case len(segs) == 3 && segs[2] == "topics" && m == http.MethodGet:
		return route{method: "pubsub.projects.topics.list", name: segs[1]}, true
	case len(segs) == 3 && segs[2] == "subscriptions" && m == http.MethodGet:
		return route{method: "pubsub.projects.subscriptions.list", name: segs[1]}, true
	case len(segs) == 5 && segs[2] == "topics" && segs[4] == "subscriptions" && m == http.MethodGet:
		return route{method: "pubsub.projects.topics.subscriptions.list", name: strings.Join(segs[:4], "/")}, true
	case len(segs) != 4:
		return route{}, false
	}
	name, verb, _ := strings.Cut(strings.Join(segs, "/"), ":")
	switch segs[2] {
	case "topics":
		switch {
		case verb == "" && m == http.MethodPut:
			return route{"pubsub.projects.topics.create", name, ""}, true
		case verb == "" && m == http.MethodGet:
			return route{"pubsub.projects.topics.get", name, ""}, true
		case verb == "" && m == http.MethodDelete:
			return route{"pubsub.projects.topics.delete", name, ""}, true
		case verb == "publish" && m == http.MethodPost:
			return route{"pubsub.projects.topics.publish", name, verb}, true
		}
	case "subscriptions":
		switch {
		case verb == "" && m == http.MethodPut:
			return route{"pubsub.projects.subscriptions.create", name, ""}, true
		case verb == "" && m == http.MethodGet:
			return route{"pubsub.projects.subscriptions.get", name, ""}, true
		case verb == "" && m == http.MethodDelete:
			return route{"pubsub.projects.subscriptions.delete", name, ""}, true
		case (verb == "pull" || verb == "acknowledge" || verb == "modifyAckDeadline") && m == http.MethodPost:
			return route{"pubsub.projects.subscriptions." + verb, name, verb}, true
		}
	}
	return route{}, false
}

// writeErr answers in Pub/Sub's error shape.
func writeErr(w http.ResponseWriter, err error) {
	code, status := http.StatusInternalServerError, "INTERNAL"
	switch {
	case errors.Is(err, ErrNotFound):
		code, status = http.StatusNotFound, "NOT_FOUND"
	case errors.Is(err, ErrExists):
		code, status = http.StatusConflict, "ALREADY_EXISTS"
	case errors.Is(err, ErrInvalid):
		code, status = http.StatusBadRequest, "INVALID_ARGUMENT"
	}
	msg := err.Error()
	var ae *apiError
	if errors.As(err, &ae) {
		msg = ae.msg
	}
	writeJSON(w, code, map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	err := json.NewDecoder(io.LimitReader(r.Body, 10<<20)).Decode(v)
	if err != nil && err != io.EOF {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{
			"code": 400, "message": "Invalid JSON payload received. " + err.Error(), "status": "INVALID_ARGUMENT"}})
		return false
	}
	return true
}

type wireMessage struct {
	Data        string            `json:"data,omitempty"`
	Attributes  map[string]string `json:"attributes,omitempty"`
	MessageID   string            `json:"messageId,omitempty"`
	PublishTime string            `json:"publishTime,omitempty"`
}

// ServeHTTP serves Pub/Sub's REST API v1 under /v1/projects/. The sandbox
// asks for no credentials here: a service account's token is not
// something it issues.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := parse(r)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{"code": 404, "message": "Method not found.", "status": "NOT_FOUND"}})
		return
	}
	s.cfg.Count(rt.method)
	switch rt.method {
	case "pubsub.projects.topics.create":
		if err := s.CreateTopic(rt.name); err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, Topic{Name: rt.name})
	case "pubsub.projects.topics.get":
		if !s.HasTopic(rt.name) {
			writeErr(w, notFound(rt.name))
			return
		}
		writeJSON(w, http.StatusOK, Topic{Name: rt.name})
	case "pubsub.projects.topics.delete":
		if err := s.DeleteTopic(rt.name); err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, struct{}{})
	case "pubsub.projects.topics.list":
		out := []Topic{}
		for _, t := range s.Topics(rt.name) {
			out = append(out, Topic{Name: t})
		}
		writeJSON(w, http.StatusOK, map[string]any{"topics": out})
	case "pubsub.projects.topics.subscriptions.list":
		if !s.HasTopic(rt.name) {
			writeErr(w, notFound(rt.name))
			return
		}
		project := strings.Split(rt.name, "/")[1]
		out := []string{}
		for _, sub := range s.Subscriptions(project) {
			if sub.Topic == rt.name {
				out = append(out, sub.Name)
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"subscriptions": out})
	case "pubsub.projects.topics.publish":
		var in struct {
			Messages []wireMessage `json:"messages"`
		}
		if !decode(w, r, &in) {
			return
		}
		if len(in.Messages) == 0 {
			writeErr(w, errInvalid("At least one message is required."))
			return
		}
		ids := []string{}
		for _, m := range in.Messages {
			data, err := base64.StdEncoding.DecodeString(m.Data)
			if err != nil {
				writeErr(w, errInvalid("Invalid data in publish message: not base64."))
				return
			}
			id, err := s.Publish(rt.name, data, m.Attributes)
			if err != nil {
				writeErr(w, err)
				return
			}
			ids = append(ids, id)
		}
		writeJSON(w, http.StatusOK, map[string]any{"messageIds": ids})
	case "pubsub.projects.subscriptions.create":
		var in Subscription
		if !decode(w, r, &in) {
			return
		}
		in.Name = rt.name
		out, err := s.CreateSubscription(in)
		if err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	case "pubsub.projects.subscriptions.get":
		out, err := s.Subscription(rt.name)
		if err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	case "pubsub.projects.subscriptions.delete":
		if err := s.DeleteSubscription(rt.name); err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, struct{}{})
	case "pubsub.projects.subscriptions.list":
		out := s.Subscriptions(rt.name)
		if out == nil {
			out = []Subscription{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"subscriptions": out})
	case "pubsub.projects.subscriptions.pull":
		s.servePull(w, r, rt.name)
	case "pubsub.projects.subscriptions.acknowledge":
		var in struct {
			AckIDs []string `json:"ackIds"`
		}
		if !decode(w, r, &in) {
			return
		}
		if err := s.Acknowledge(rt.name, in.AckIDs); err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, struct{}{})
	case "pubsub.projects.subscriptions.modifyAckDeadline":
		var in struct {
			AckIDs             []string `json:"ackIds"`
			AckDeadlineSeconds int      `json:"ackDeadlineSeconds"`
		}
		if !decode(w, r, &in) {
			return
		}
		if err := s.ModifyAckDeadline(rt.name, in.AckIDs, in.AckDeadlineSeconds); err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, struct{}{})
	}
}

func errInvalid(msg string) error { return &apiError{ErrInvalid, msg} }

// servePull answers subscriptions.pull: at once when messages wait or
// returnImmediately is set, otherwise when one is published, its lease
// ends, or pullWait passes.
func (s *Service) servePull(w http.ResponseWriter, r *http.Request, name string) {
	var in struct {
		MaxMessages       int  `json:"maxMessages"`
		ReturnImmediately bool `json:"returnImmediately"`
	}
	if !decode(w, r, &in) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), pullWait)
	defer cancel()
	for {
		wake := s.Wait()
		got, err := s.Pull(name, in.MaxMessages)
		if err != nil {
			writeErr(w, err)
			return
		}
		if len(got) > 0 || in.ReturnImmediately {
			out := make([]map[string]any, 0, len(got))
			for _, g := range got {
				out = append(out, map[string]any{"ackId": g.AckID, "message": wireMessage{
					Data:        base64.StdEncoding.EncodeToString(g.Message.Data),
					Attributes:  g.Message.Attributes,
					MessageID:   g.Message.ID,
					PublishTime: publishTime(g.Message.PublishTime),
				}})
			}
			if len(out) == 0 {
				writeJSON(w, http.StatusOK, struct{}{})
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"receivedMessages": out})
			return
		}
		t := time.NewTimer(250 * time.Millisecond) // leases end by the clock, which may be a test's
		select {
		case <-ctx.Done():
			t.Stop()
			writeJSON(w, http.StatusOK, struct{}{})
			return
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}
