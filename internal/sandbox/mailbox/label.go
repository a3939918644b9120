package mailbox

import (
	"slices"
	"strings"
)

// Label is a Gmail label: a system label (id = name, e.g. INBOX) or a user
// label (id Label_N).
type Label struct {
	ID   string
	Name string
	Type string // "system" or "user"
}

// System label ids.
const (
	Inbox     = "INBOX"
	Sent      = "SENT"
	Draft     = "DRAFT"
	Spam      = "SPAM"
	Trash     = "TRASH"
	Unread    = "UNREAD"
	Starred   = "STARRED"
	Important = "IMPORTANT"
)

// systemLabels are Gmail's system labels, in the order labels.list gives them.
var systemLabels = []string{
	"CHAT", Sent, Inbox, Important, Trash, Draft, Spam,
	"CATEGORY_FORUMS", "CATEGORY_UPDATES", "CATEGORY_PERSONAL", "CATEGORY_PROMOTIONS", "CATEGORY_SOCIAL",
	Starred, Unread,
}

func isSystemLabel(id string) bool {
	for _, l := range systemLabels {
		if l == id {
			return true
		}
	}
	return false
}

// takeoutNames maps the label names of a Google Takeout mbox
// (X-Gmail-Labels) to system label ids. "Opened" marks a read message and
// "Archived" one outside the inbox: neither is a label.
var takeoutNames = map[string]string{
	"inbox":               Inbox,
	"sent":                Sent,
	"sent mail":           Sent,
	"draft":               Draft,
	"drafts":              Draft,
	"spam":                Spam,
	"trash":               Trash,
	"unread":              Unread,
	"starred":             Starred,
	"important":           Important,
	"chat":                "CHAT",
	"chats":               "CHAT",
	"category forums":     "CATEGORY_FORUMS",
	"category updates":    "CATEGORY_UPDATES",
	"category personal":   "CATEGORY_PERSONAL",
	"category promotions": "CATEGORY_PROMOTIONS",
	"category social":     "CATEGORY_SOCIAL",
	"opened":              "",
	"archived":            "",
}

// splitLabels splits an X-Gmail-Labels value on commas outside quotes.
func splitLabels(v string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	for _, r := range v {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ',' && !quoted:
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}

// initialLabels decides the labels of a loaded message. With X-Gmail-Labels
// the listed labels are used as Takeout means them; without it the message
// is in the inbox. Either way it is UNREAD unless a label says Opened, the
// mbox Status says read, or it is the account's own sent mail or a draft.
// userLabel turns a user label name into its id.
func (m *Message) initialLabels(userLabel func(name string) string) []string {
	set := map[string]bool{}
	opened, unread := m.seen, false
	if m.labelNames == nil {
		set[Inbox] = true
	}
	for _, name := range m.labelNames {
		id, known := takeoutNames[strings.ToLower(name)]
		switch {
		case strings.EqualFold(name, "opened"):
			opened = true
		case id == Unread:
			unread = true
		case known && id != "":
			set[id] = true
		case !known:
			set[userLabel(name)] = true
		}
	}
	if unread || !opened && !set[Sent] && !set[Draft] {
		set[Unread] = true
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sortLabels(out)
	return out
}

// sortLabels orders label ids: user labels first, then system ones, as
// Gmail tends to list them; the order is stable for tests.
func sortLabels(ids []string) {
	rank := func(id string) string {
		if isSystemLabel(id) {
			return "1" + id
		}
		return "0" + id
	}
	slices.SortFunc(ids, func(a, b string) int { return strings.Compare(rank(a), rank(b)) })
}
