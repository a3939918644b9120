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
	// A user label's visibility ("show"/"hide", "labelShow",
	// "labelShowIfUnread"/"labelHide") and colours (#rrggbb from Gmail's
	// palette, both or neither).
	MessageListVisibility, LabelListVisibility string
	TextColor, BackgroundColor                 string
}

// palette is the set of colours Gmail accepts for a label's text and
// background, as the Gmail API reference lists it.
var palette = map[string]bool{}

func init() {
	for _, c := range strings.Fields(`#000000 #434343 #666666 #999999 #cccccc #efefef #f3f3f3 #ffffff
		#fb4c2f #ffad47 #fad165 #16a766 #43d692 #4a86e8 #a479e2 #f691b3 #f6c5be #ffe6c7 #fef1d1 #b9e4d0
		#c6f3de #c9daf8 #e4d7f5 #fcdee8 #efa093 #ffd6a2 #fce8b3 #89d3b2 #a0eac9 #a4c2f4 #d0bcf1 #fbc8d9
		#e66550 #ffbc6b #fcda83 #44b984 #68dfa9 #6d9eeb #b694e8 #f7a7c0 #cc3a21 #eaa041 #f2c960 #149e60
		#3dc789 #3c78d8 #8e63ce #e07798 #ac2b16 #cf8933 #d5ae49 #0b804b #2a9c68 #285bac #653e9b #b65775
		#822111 #a46a21 #aa8831 #076239 #1a764d #1c4587 #41236d #83334c #464646 #e7e7e7 #0d3472 #b6cff5
		#0d3b44 #98d7e4 #3d188e #e3d7ff #711a36 #fbd3e0 #8a1c0a #f2b2a8 #7a2e0b #ffc8af #7a4706 #ffdeb5
		#594c05 #fbe983 #684e07 #fdedc1 #0b4f30 #b3efd3 #04502e #a2dcc1 #c2c2c2 #4986e7 #2da2bb #b99aff
		#994a64 #f691b2 #ff7537 #ffad46 #662e37 #ebdbde #cca6ac #094228 #42d692 #16a765`) {
		palette[c] = true
	}
}

// InPalette reports a colour Gmail accepts for labels.
func InPalette(c string) bool { return palette[strings.ToLower(c)] }

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
