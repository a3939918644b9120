package sandbox

import (
	"strings"
	"testing"

	"github.com/jarvis-hq/jarvis/internal/quota"
)

// TestQuotaCostsMatchJarvis keeps the sandbox's model of Google's quota and
// Jarvis's own budget in agreement: the same cost per method, and the same
// method named for every Gmail route the sandbox serves.
func TestQuotaCostsMatchJarvis(t *testing.T) {
	jc := quota.Costs()
	for m, c := range quotaCost {
		if jc[m] != c {
			t.Errorf("%s: the sandbox charges %d, Jarvis %d", m, c, jc[m])
		}
	}
	for m, c := range jc {
		if quotaCost[m] != c {
			t.Errorf("%s: Jarvis charges %d, the sandbox %d", m, c, quotaCost[m])
		}
	}
	routes := []struct {
		verb, path string
		upload     bool
	}{
		{"GET", "profile", false}, {"POST", "watch", false}, {"POST", "stop", false}, {"GET", "history", false},
		{"GET", "labels", false}, {"GET", "labels/INBOX", false}, {"GET", "threads", false}, {"GET", "threads/t1", false},
		{"GET", "messages", false}, {"GET", "messages/m1", false}, {"POST", "messages/m1/modify", false},
		{"GET", "messages/m1/attachments/a1", false}, {"GET", "drafts", false}, {"GET", "drafts/d1", false},
		{"POST", "drafts", false}, {"POST", "drafts", true}, {"POST", "messages/send", false}, {"POST", "messages/send", true},
		{"POST", "messages/m1/trash", false}, {"POST", "messages/m1/untrash", false}, {"DELETE", "messages/m1", false},
		{"POST", "messages/batchModify", false}, {"POST", "threads/t1/modify", false}, {"POST", "drafts/send", false},
		{"PUT", "drafts/d1", false}, {"DELETE", "drafts/d1", false}, {"POST", "messages", false}, {"POST", "messages/import", false},
		{"POST", "labels", false}, {"PATCH", "labels/L1", false}, {"PUT", "labels/L1", false}, {"DELETE", "labels/L1", false},
	}
	for _, r := range routes {
		route, ok := routeGmail(r.verb, strings.Split(r.path, "/"), r.upload)
		if !ok {
			continue // a method the sandbox does not serve
		}
		path := "/gmail/v1/users/me/" + r.path
		if r.upload {
			path = "/upload" + path
		}
		m, ok := quota.Method(r.verb, path)
		if !ok || m != route.method {
			t.Errorf("%s %s: the sandbox serves %s, Jarvis charges %q", r.verb, path, route.method, m)
		}
	}
}
