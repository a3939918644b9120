package mailbox

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"mime"
	"mime/quotedprintable"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// GenerateEnd is when a generated mailbox's newest message is dated unless
// GenerateOptions.End says otherwise. It is fixed, not the clock, so that
// a seed gives the same mailbox (ids included) on every run.
var GenerateEnd = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// maxGenerate bounds a generated mailbox, so that a state file cannot ask
// for an absurd one.
const maxGenerate = 10_000_000

// GenerateOptions describe a synthetic mailbox.
type GenerateOptions struct {
	Owner string    `json:"owner"`          // the account's address
	Name  string    `json:"name,omitempty"` // its display name
	Count int       `json:"count"`          // how many messages
	Seed  uint64    `json:"seed"`           // the same seed (and owner) gives the same mailbox
	End   time.Time `json:"end"`            // the newest message's date; zero means GenerateEnd
}

// threadKind is what a thread is about, which decides its senders,
// category, depth and body style.
type threadKind uint8

const (
	kindConv    threadKind = iota // people writing to each other
	kindNews                      // newsletters and offers
	kindNotify                    // bank, travel, code review, calendar
	kindReceipt                   // orders and tickets, with a PDF
	kindForum                     // mailing lists
	kindSocial                    // social network notifications
	kindSpam
)

var kindCategory = [...]string{
	kindConv: "CATEGORY_PERSONAL", kindNews: "CATEGORY_PROMOTIONS", kindNotify: "CATEGORY_UPDATES",
	kindReceipt: "CATEGORY_UPDATES", kindForum: "CATEGORY_FORUMS", kindSocial: "CATEGORY_SOCIAL", kindSpam: "",
}

// userLabelNames are the user labels generated threads may carry.
var userLabelNames = []string{"Work", "Family", "Travel", "Receipts", "Newsletters", "Projects/Apollo", "Projects/Zephyr", "Clients/Acme", "Later"}

// contact is a correspondent of the owner.
type contact struct {
	name, first, email string
	loc                locale
}

// genThread is the plan of one thread.
type genThread struct {
	kind       threadKind
	loc        locale
	subject    string
	people     []int16 // contacts taking part; -1 is the owner
	sender     int16   // bulk mail: index into senders
	userLabel  int8    // index into userLabelNames, or -1
	archived   bool
	trashed    bool
	important  bool
	listHeader bool
}

// genMsg is the plan of one message; messages are kept oldest first.
type genMsg struct {
	date   int64 // Unix milliseconds
	thread int32
	parent int32 // the message it replies to, or -1
	from   int16 // contact index, -1 the owner, -2 the thread's bulk sender
	pos    int16 // position in its thread
}

// generator plans a synthetic mailbox once and renders any of its messages
// again on demand, so a store keeps no bytes for them.
type generator struct {
	opt      GenerateOptions
	key      uint64
	end      time.Time
	owner    contact
	contacts []contact
	threads  []genThread
	msgs     []genMsg
	blobs    []blob
}

// blob is an attachment, kept once base64-encoded.
type blob struct {
	name, mimeType string
	b64            string // line-wrapped
	typeParam      string // name= of Content-Type
	dispParam      string // filename= of Content-Disposition
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// weighted picks an index with probability proportional to its weight.
func weighted(r *rand.Rand, weights ...int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

// newGenerator plans the mailbox: contacts, threads and every message's
// date, sender and place in its thread.
func newGenerator(opt GenerateOptions) *generator {
	if opt.End.IsZero() {
		opt.End = GenerateEnd
	}
	g := &generator{opt: opt, end: opt.End}
	g.key = splitmix(opt.Seed ^ splitmix(hashString(strings.ToLower(opt.Owner))))
	r := rand.New(rand.NewPCG(g.key, 1))
	name := opt.Name
	if name == "" {
		name = opt.Owner
	}
	first, _, _ := strings.Cut(name, " ")
	g.owner = contact{name: name, first: first, email: opt.Owner}
	g.planContacts(r)
	g.blobs = makeBlobs(r)
	g.planThreads(r)
	return g
}

func (g *generator) planContacts(r *rand.Rand) {
	n := min(40+g.opt.Count/400, 400)
	seen := map[string]bool{strings.ToLower(g.opt.Owner): true}
	for len(g.contacts) < n {
		loc := locale(weighted(r, 55, 12, 10, 10, 6, 7))
		f, l := pick(r, firstNames[loc]), pick(r, lastNames[loc])
		email := f.ascii + "." + l.ascii + "@" + pick(r, domains[loc])
		for i := 2; seen[email]; i++ {
			local, domain, _ := strings.Cut(email, "@")
			email = strings.TrimRight(local, "0123456789") + strconv.Itoa(i) + "@" + domain
		}
		seen[email] = true
		full := f.text + " " + l.text
		if loc == locJA || loc == locZH {
			full = l.text + f.text // family name first, no space
			if loc == locJA {
				full = l.text + " " + f.text
			}
		}
		g.contacts = append(g.contacts, contact{name: full, first: f.text, email: email, loc: loc})
	}
}

// planThreads lays out threads until the mailbox holds Count messages,
// spread over about a message every 48 minutes up to the end date.
func (g *generator) planThreads(r *rand.Rand) {
	count := g.opt.Count
	span := max(time.Duration(count)*48*time.Minute, 30*24*time.Hour)
	type draft struct {
		genMsg
		order int
	}
	var all []draft
	for total := 0; total < count; {
		kind := threadKind(weighted(r, 50, 16, 14, 4, 8, 6, 2))
		t := genThread{kind: kind, userLabel: -1}
		depth := 1
		switch kind {
		case kindConv:
			depth = [...]int{1, 2, 3, 4, 6, 9, 14, 25, 45}[weighted(r, 30, 20, 14, 10, 10, 7, 5, 3, 1)]
			depth += r.IntN(depth/2 + 1)
		case kindForum:
			depth = 1 + r.IntN(4) + r.IntN(2)*r.IntN(20)
		case kindNotify:
			if r.IntN(5) == 0 {
				depth = 2 + r.IntN(6) // a pull request's comments
			}
		}
		depth = max(1, min(depth, count-total, 100))
		gap := time.Duration(float64(6*time.Hour) * (0.2 + r.Float64()))
		switch kind {
		case kindConv:
			c := int16(r.IntN(len(g.contacts)))
			t.loc = g.contacts[c].loc
			t.people = []int16{c}
			for range weighted(r, 60, 25, 10, 5) {
				t.people = append(t.people, int16(r.IntN(len(g.contacts))))
			}
			t.people = append(t.people, -1)
			t.subject = g.fill(r, pick(r, subjects[t.loc]), t.loc)
			t.important = r.IntN(3) == 0
			if r.IntN(3) == 0 {
				t.userLabel = int8(pick(r, []int{0, 0, 1, 2, 5, 6, 7, 8}))
			}
		default:
			var pool []int
			for i, s := range senders {
				if s.kind == kind {
					pool = append(pool, i)
				}
			}
			t.sender = int16(pick(r, pool))
			s := senders[t.sender]
			t.loc = s.loc
			t.subject = g.fill(r, pick(r, s.topics), s.loc)
			t.listHeader = kind == kindNews || kind == kindForum
			gap = time.Duration(float64(3*time.Hour) * (0.2 + r.Float64()))
			switch {
			case kind == kindReceipt:
				t.userLabel = 3
			case kind == kindNews && r.IntN(4) == 0:
				t.userLabel = 4
			case kind == kindForum:
				t.people = []int16{int16(r.IntN(len(g.contacts))), int16(r.IntN(len(g.contacts))), int16(r.IntN(len(g.contacts))), -1}
			}
		}
		gaps := make([]time.Duration, depth)
		var dur time.Duration
		for i := 1; i < depth; i++ {
			gaps[i] = time.Minute + time.Duration(r.ExpFloat64()*float64(gap))
			dur += gaps[i]
		}
		start := g.end.Add(-span)
		if dur < span {
			start = start.Add(time.Duration(r.Float64() * float64(span-dur)))
		}
		age := g.end.Sub(start.Add(dur))
		t.archived = age > 14*24*time.Hour && r.IntN(10) < 7 || kind == kindNews && r.IntN(2) == 0
		t.trashed = r.IntN(70) == 0
		ti := int32(len(g.threads))
		g.threads = append(g.threads, t)
		at := start
		var last int16 = -3
		for i := range depth {
			at = at.Add(gaps[i])
			m := genMsg{date: at.Unix() * 1000, thread: ti, parent: -1, pos: int16(i), from: -2}
			if i > 0 {
				m.parent = int32(len(all) - 1)
			}
			switch {
			case kind == kindConv || kind == kindForum:
				// The owner (last in people) answers about a third of a
				// conversation and seldom writes to a list.
				others := t.people[:len(t.people)-1]
				from := others[r.IntN(len(others))]
				switch {
				case kind == kindConv && i == 0 && r.IntN(10) < 3,
					kind == kindConv && i > 0 && last != -1 && r.IntN(100) < 55,
					kind == kindForum && r.IntN(100) < 4:
					from = -1
				}
				for k := 0; from == last && k < 4; k++ {
					from = others[r.IntN(len(others))]
				}
				m.from, last = from, from
			}
			all = append(all, draft{genMsg: m, order: len(all)})
		}
		total += depth
	}
	perm := make([]int, len(all))
	for i := range perm {
		perm[i] = i
	}
	slices.SortStableFunc(perm, func(a, b int) int {
		if all[a].date != all[b].date {
			return int(all[a].date - all[b].date)
		}
		return a - b
	})
	where := make([]int32, len(all))
	for to, from := range perm {
		where[from] = int32(to)
	}
	g.msgs = make([]genMsg, len(all))
	for to, from := range perm {
		m := all[from].genMsg
		if m.parent >= 0 {
			m.parent = where[m.parent]
		}
		g.msgs[to] = m
	}
}

// fill replaces a template's %P (project), %L (place), %N (number), %D
// (weekday) and %F (a first name).
func (g *generator) fill(r *rand.Rand, s string, loc locale) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'P':
			b.WriteString(pick(r, projects))
		case 'L':
			b.WriteString(pick(r, places))
		case 'N':
			b.WriteString(strconv.Itoa(100 + r.IntN(9900)))
		case 'D':
			b.WriteString(pick(r, weekdays[loc]))
		case 'F':
			b.WriteString(pick(r, g.contacts).first)
		default:
			b.WriteByte('%')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// rand returns message i's own random stream; stream tells apart the
// uses, so that one does not shift another.
func (g *generator) rand(i int, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(g.key^stream<<56, uint64(i)))
}

func (g *generator) person(from int16, t *genThread) contact {
	switch {
	case from == -1:
		return g.owner
	case from == -2:
		s := senders[t.sender]
		return contact{name: strings.ReplaceAll(s.name, "%P", "Apollo"), email: s.email, loc: s.loc}
	default:
		return g.contacts[from]
	}
}

// labels are message i's labels at load: user labels by name, system ones
// by id.
func (g *generator) labels(i int) (system []string, user string) {
	m := &g.msgs[i]
	t := &g.threads[m.thread]
	r := g.rand(i, 3)
	age := g.end.Sub(time.UnixMilli(m.date))
	if t.userLabel >= 0 {
		user = userLabelNames[t.userLabel]
	}
	if m.from == -1 {
		system = append(system, Sent)
		if t.trashed {
			system = append(system, Trash)
		}
		return system, user
	}
	switch {
	case t.kind == kindSpam:
		system = append(system, Spam)
	case t.trashed:
		system = append(system, Trash)
	case !t.archived:
		system = append(system, Inbox)
	}
	if c := kindCategory[t.kind]; c != "" {
		system = append(system, c)
	}
	unread := 2
	switch {
	case age < 3*24*time.Hour:
		unread = 50
	case age < 30*24*time.Hour:
		unread = 15
	}
	if t.kind == kindNews || t.kind == kindSocial || t.kind == kindSpam {
		unread += 20
	}
	if r.IntN(100) < unread {
		system = append(system, Unread)
	}
	if t.important && t.kind != kindSpam {
		system = append(system, Important)
	}
	if r.IntN(40) == 0 && t.kind == kindConv {
		system = append(system, Starred)
	}
	return system, user
}

// Time zones senders write their Date headers in.
var zones = [numLocales][]*time.Location{
	locEN: {time.FixedZone("", -5*3600), time.FixedZone("", -8*3600), time.UTC, time.FixedZone("", 3600)},
	locDE: {time.FixedZone("", 3600)},
	locFR: {time.FixedZone("", 3600)},
	locJA: {time.FixedZone("", 9*3600)},
	locRU: {time.FixedZone("", 3*3600)},
	locZH: {time.FixedZone("", 8*3600)},
}

func (g *generator) messageID(i int) string {
	m := &g.msgs[i]
	p := g.person(m.from, &g.threads[m.thread])
	_, domain, _ := strings.Cut(p.email, "@")
	h := splitmix(g.key ^ uint64(i)*0x9e3779b97f4a7c15)
	b := make([]byte, 0, 64)
	if m.from == -1 {
		b = append(b, "<CAG"...)
		b = appendHex(b, h, 16)
		b = appendHex(b, uint64(i&0xffff), 4)
		return string(append(b, "@mail.gmail.com>"...))
	}
	b = append(b, '<')
	b = appendHex(b, h, 16)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, '@')
	b = append(b, domain...)
	return string(append(b, '>'))
}

// appendHex appends v as exactly n lower-case hex digits.
func appendHex(b []byte, v uint64, n int) []byte {
	for k := n - 1; k >= 0; k-- {
		b = append(b, "0123456789abcdef"[v>>(4*uint(k))&0xf])
	}
	return b
}

// render writes message i's bytes. It is a pure function of the plan and
// i, so a store can drop the bytes and ask again.
func (g *generator) render(i int) []byte { return g.build(i, buildRaw).raw }

// built is a rendered message with what parsing it would index: the
// decoded From, To, Cc and Subject, and the payload's skeleton.
type built struct {
	raw                   []byte   // buildRaw only
	headers               []Header // buildHeaders only
	size                  int
	from, to, cc, subject string
	root                  *Part
}

// node is a MIME entity being written: a multipart with kids, a text leaf
// with its bytes in its charset, or an attachment.
type node struct {
	sub  string // multipart subtype, or text subtype of a leaf
	cs   string
	data []byte
	qp   bool
	blob *blob
	kids []*node
}

// What build makes.
type buildMode uint8

const (
	buildRaw      buildMode = iota // the bytes
	buildSkeleton                  // the size and the payload's skeleton
	buildHead                      // the decoded From, To, Cc and Subject only
	buildHeaders                   // the top-level part with its headers, as parseHead reads them
)

// build renders message i: its bytes, or instead what Parse would index
// (without parsing), or only the header values a store indexes at once.
func (g *generator) build(i int, mode buildMode) built {
	m := &g.msgs[i]
	t := &g.threads[m.thread]
	r := g.rand(i, 1)
	from := g.person(m.from, t)
	loc := t.loc
	var out built
	b := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(b)
	b.Reset()
	// hd writes a header field; decoded is its value as a reader decodes
	// and unfolds it.
	hd := func(k, v, decoded string) {
		if mode == buildHeaders {
			out.headers = append(out.headers, Header{Name: k, Value: decoded})
			return
		}
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteString("\r\n")
	}
	h := func(k, v string) { hd(k, v, v) }
	// The charset this message's text goes out in.
	cs := "utf-8"
	switch loc {
	case locDE, locFR:
		if r.IntN(10) < 7 {
			cs = "iso-8859-1"
		}
	case locJA:
		cs = [...]string{"iso-2022-jp", "iso-2022-jp", "shift_jis", "utf-8"}[r.IntN(4)]
	case locRU:
		if r.IntN(4) == 0 {
			cs = "koi8-r"
		}
	case locZH:
		if r.IntN(4) == 0 {
			cs = "gb2312"
		}
	}
	var to []contact
	switch {
	case m.from == -2 || len(t.people) == 0:
		to = []contact{g.owner}
	case t.kind == kindForum:
		s := senders[t.sender]
		to = []contact{{name: s.name, email: s.email}}
	default:
		for _, p := range t.people {
			if p != m.from {
				to = append(to, g.person(p, t))
			}
		}
	}
	var cc []contact
	if len(to) > 2 && r.IntN(2) == 0 {
		to, cc = to[:1], to[1:]
	}
	var v string
	if m.from != -1 && mode != buildHead {
		// Gmail's check of a received message's sender, on top of it:
		// spam fails DMARC, the rest passes.
		verdict := VerdictPass
		if t.kind == kindSpam {
			verdict = VerdictSpoofed
		}
		v = authResultsValue(from.email, verdict)
		hd("Authentication-Results", v, strings.ReplaceAll(v, "\r\n", ""))
	}
	v, out.from = addressList(cs, []contact{from})
	hd("From", v, out.from)
	v, out.to = addressList(cs, to)
	hd("To", v, out.to)
	if len(cc) > 0 {
		v, out.cc = addressList(cs, cc)
		hd("Cc", v, out.cc)
	}
	subject := t.subject
	if m.pos > 0 {
		prefix := "Re: "
		if loc == locDE && r.IntN(2) == 0 {
			prefix = "AW: "
		}
		subject = prefix + subject
	}
	v, out.subject = encodeText(cs, subject)
	if mode == buildHead {
		return out
	}
	hd("Subject", v, out.subject)
	date := time.UnixMilli(m.date).In(pick(r, zones[loc]))
	h("Date", date.Format(time.RFC1123Z))
	h("Message-ID", g.messageID(i))
	if m.parent >= 0 {
		var chain []int32 // nearest first
		for p := m.parent; p >= 0; p = g.msgs[p].parent {
			chain = append(chain, p)
		}
		if len(chain) > 10 { // the root and the nine nearest, as mailers trim
			chain = append(chain[:9], chain[len(chain)-1])
		}
		refs := make([]string, len(chain))
		for k, p := range chain {
			refs[len(chain)-1-k] = g.messageID(int(p))
		}
		h("In-Reply-To", refs[len(refs)-1])
		hd("References", strings.Join(refs, "\r\n "), strings.Join(refs, " "))
	}
	if t.listHeader {
		s := senders[t.sender]
		local, domain, _ := strings.Cut(s.email, "@")
		h("List-Id", "<"+local+"."+domain+">")
		h("List-Unsubscribe", "<mailto:unsubscribe@"+domain+">, <https://"+domain+"/unsubscribe/"+strconv.FormatUint(g.key%100000, 10)+">")
	}
	if t.kind == kindNews || t.kind == kindNotify || t.kind == kindSocial {
		h("Precedence", "bulk")
	}
	h("MIME-Version", "1.0")

	text := g.bodyText(i)
	leaf := func(sub, s string, qp bool) *node {
		data, ok := convert(cs, s)
		if !ok { // a quoted name, say, that the charset lacks: UTF-8 it is
			return &node{sub: sub, cs: "utf-8", data: []byte(s), qp: qp}
		}
		return &node{sub: sub, cs: cs, data: data, qp: qp}
	}
	plain := func() *node { return leaf("plain", strings.ReplaceAll(text, "\n", "\r\n"), r.IntN(2) == 0) }
	html := func() *node { return leaf("html", g.bodyHTML(i, text), true) }
	var parts []*node
	switch t.kind {
	case kindNews, kindSocial, kindSpam:
		if r.IntN(5) < 2 {
			parts = []*node{html()}
		} else {
			parts = []*node{plain(), html()}
		}
	case kindNotify, kindReceipt:
		switch r.IntN(3) {
		case 0:
			parts = []*node{plain()}
		case 1:
			parts = []*node{html()}
		default:
			parts = []*node{plain(), html()}
		}
	default:
		if r.IntN(5) < 2 {
			parts = []*node{plain(), html()}
		} else {
			parts = []*node{plain()}
		}
	}
	content := parts[0]
	if len(parts) > 1 {
		content = &node{sub: "alternative", kids: parts}
	}
	var files []int
	switch {
	case t.kind == kindReceipt && r.IntN(10) < 7:
		files = append(files, 0)
	case t.kind == kindConv && r.IntN(100) < 9:
		files = append(files, 1+r.IntN(len(g.blobs)-1))
		if r.IntN(4) == 0 {
			files = append(files, 1+r.IntN(len(g.blobs)-1))
		}
	}
	if len(files) > 0 {
		content = &node{sub: "mixed", kids: []*node{content}}
		for _, f := range files {
			content.kids = append(content.kids, &node{blob: &g.blobs[f]})
		}
	}
	bnd := fmt.Sprintf("%016x", splitmix(g.key^uint64(i)))
	if mode == buildHeaders {
		out.root = content.top(bnd, out.headers)
		return out
	}
	content.write(b, bnd)
	out.size = b.Len()
	if mode == buildSkeleton {
		out.root = content.skeleton("")
	} else {
		out.raw = bytes.Clone(b.Bytes())
	}
	return out
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// top is the top-level part as parseHead reads it from what write writes:
// hs and the entity's own header fields, no body.
func (n *node) top(bnd string, hs Headers) *Part {
	p := &Part{}
	switch {
	case n.kids != nil:
		p.MimeType = "multipart/" + n.sub
		hs = append(hs, Header{Name: "Content-Type", Value: "multipart/" + n.sub + `; boundary="` + bnd + `"`})
	default:
		p.MimeType, p.charset = "text/"+n.sub, n.cs
		hs = append(hs, Header{Name: "Content-Type", Value: "text/" + n.sub + `; charset="` + strings.ToUpper(n.cs) + `"`},
			Header{Name: "Content-Transfer-Encoding", Value: n.encoding()})
	}
	p.Headers = hs
	return p
}

// encoding is a text leaf's transfer encoding: 7bit when its bytes are
// ASCII (as ISO-2022-JP's are), else quoted-printable or base64.
func (n *node) encoding() string {
	switch {
	case isASCIIString(string(n.data)):
		return "7bit"
	case n.qp:
		return "quoted-printable"
	default:
		return "base64"
	}
}

func (n *node) write(b *bytes.Buffer, bnd string) {
	switch {
	case n.kids != nil:
		b.WriteString("Content-Type: multipart/" + n.sub + "; boundary=\"" + bnd + "\"\r\n\r\n")
		for i, k := range n.kids {
			b.WriteString("--" + bnd + "\r\n")
			k.write(b, bnd+strconv.Itoa(i))
			b.WriteString("\r\n")
		}
		b.WriteString("--" + bnd + "--\r\n")
	case n.blob != nil:
		f := n.blob
		b.WriteString("Content-Type: " + f.mimeType + "; " + f.typeParam + "\r\nContent-Disposition: attachment; " + f.dispParam + "\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		b.WriteString(f.b64)
	default:
		b.WriteString("Content-Type: text/" + n.sub + "; charset=\"" + strings.ToUpper(n.cs) + "\"\r\n")
		switch n.encoding() {
		case "7bit":
			b.WriteString("Content-Transfer-Encoding: 7bit\r\n\r\n")
			b.Write(n.data)
			b.WriteString("\r\n")
		case "quoted-printable":
			b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
			q := quotedprintable.NewWriter(b)
			_, _ = q.Write(n.data)
			_ = q.Close()
			b.WriteString("\r\n")
		default:
			b.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
			writeWrapped(b, base64.StdEncoding.EncodeToString(n.data))
		}
	}
}

// skeleton is the part tree Parse would make of what write wrote, as far
// as indexing looks: ids, types, names, charsets and text leaves' data.
// A text leaf written 7bit or quoted-printable ends in the line break
// that closed it; base64 gives back the bytes exactly.
func (n *node) skeleton(id string) *Part {
	child := func(i int) string {
		if id == "" {
			return strconv.Itoa(i)
		}
		return id + "." + strconv.Itoa(i)
	}
	switch {
	case n.kids != nil:
		p := &Part{PartID: id, MimeType: "multipart/" + n.sub, Parts: make([]*Part, len(n.kids))}
		for i, k := range n.kids {
			p.Parts[i] = k.skeleton(child(i))
		}
		return p
	case n.blob != nil:
		return &Part{PartID: id, MimeType: n.blob.mimeType, Filename: n.blob.name, disposition: "attachment", Data: []byte{}}
	default:
		data := n.data
		if isASCIIString(string(data)) || n.qp {
			data = append(data[:len(data):len(data)], '\r', '\n')
		}
		return &Part{PartID: id, MimeType: "text/" + n.sub, charset: n.cs, Data: data}
	}
}

var encodings = map[string]encoding.Encoding{
	"iso-8859-1":  charmap.ISO8859_1,
	"koi8-r":      charmap.KOI8R,
	"iso-2022-jp": japanese.ISO2022JP,
	"shift_jis":   japanese.ShiftJIS,
	"gb2312":      simplifiedchinese.GBK,
}

// convert encodes UTF-8 text into cs; ok is false when cs lacks one of its
// characters.
func convert(cs, s string) (b []byte, ok bool) {
	enc := encodings[cs]
	if enc == nil {
		return []byte(s), true
	}
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		return nil, false
	}
	return b, true
}

// encodeText writes header text as RFC 2047 words in cs when it is not
// ASCII: Q for ISO-8859-1, B otherwise, a word per few characters so that
// no word splits a multi-byte character or an ISO-2022-JP escape. It also
// returns the text a reader decodes.
func encodeText(cs, s string) (encoded, decoded string) {
	if isASCIIString(s) {
		return s, s
	}
	if _, ok := convert(cs, s); !ok {
		cs = "utf-8" // as mailers do with a name their charset lacks
	}
	if cs == "iso-8859-1" {
		b, _ := convert(cs, s)
		return mime.QEncoding.Encode("ISO-8859-1", string(b)), decodeCharset(cs, b)
	}
	runes := []rune(s)
	var words, plain []string
	for len(runes) > 0 {
		n := min(len(runes), 12)
		b, _ := convert(cs, string(runes[:n]))
		words = append(words, "=?"+strings.ToUpper(cs)+"?B?"+base64.StdEncoding.EncodeToString(b)+"?=")
		plain = append(plain, decodeCharset(cs, b))
		runes = runes[n:]
	}
	return strings.Join(words, "\r\n "), strings.Join(plain, "")
}

// decodeCharset reads bytes in one of the generator's charsets back.
func decodeCharset(cs string, b []byte) string {
	if enc := encodings[cs]; enc != nil {
		if d, err := enc.NewDecoder().Bytes(b); err == nil {
			return strings.ToValidUTF8(string(d), "\uFFFD")
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func isASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// addressList writes addresses with display names encoded in cs, and
// returns the list as a reader decodes it.
func addressList(cs string, list []contact) (encoded, decoded string) {
	enc := make([]string, len(list))
	dec := make([]string, len(list))
	for i, c := range list {
		switch {
		case c.name == "":
			enc[i], dec[i] = c.email, c.email
		case isASCIIString(c.name):
			n := c.name
			if strings.ContainsAny(n, `,.;:"()<>@[]\'&`) {
				n = `"` + strings.ReplaceAll(n, `"`, `\"`) + `"`
			}
			enc[i] = n + " <" + c.email + ">"
			dec[i] = enc[i]
		default:
			e, d := encodeText(cs, c.name)
			enc[i], dec[i] = e+" <"+c.email+">", d+" <"+c.email+">"
		}
	}
	return strings.Join(enc, ", "), strings.Join(dec, ", ")
}

func writeWrapped(b *bytes.Buffer, s string) {
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteString("\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}

// bodyText is message i's plain text: its own words, then for many replies
// the message it answers, quoted.
func (g *generator) bodyText(i int) string {
	own := g.ownText(i)
	m := &g.msgs[i]
	if m.parent < 0 || g.rand(i, 4).IntN(10) < 4 {
		return own
	}
	p := &g.msgs[m.parent]
	t := &g.threads[m.thread]
	by := g.person(p.from, t)
	when := time.UnixMilli(p.date).UTC().Format("Mon, Jan 2, 2006 at 3:04 PM")
	var b strings.Builder
	b.WriteString(own)
	b.WriteString("\n\nOn " + when + " " + by.name + " <" + by.email + "> wrote:\n")
	for line := range strings.SplitSeq(g.ownText(int(m.parent)), "\n") {
		b.WriteString(">")
		if line != "" {
			b.WriteString(" " + line)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// ownText is what message i's sender wrote, without quotes.
func (g *generator) ownText(i int) string {
	m := &g.msgs[i]
	t := &g.threads[m.thread]
	r := g.rand(i, 2)
	loc := t.loc
	var b strings.Builder
	switch t.kind {
	case kindConv, kindForum:
		to := "all"
		for _, p := range t.people {
			if p != m.from {
				to = g.person(p, t).first
				break
			}
		}
		b.WriteString(strings.ReplaceAll(pick(r, greetings[loc]), "%F", to))
		b.WriteString("\n\n")
		for p := range 1 + r.IntN(2) {
			if p > 0 {
				b.WriteString("\n\n")
			}
			for s := range 1 + r.IntN(3) {
				if s > 0 && loc != locJA && loc != locZH {
					b.WriteByte(' ')
				}
				b.WriteString(g.fill(r, pick(r, sentences[loc]), loc))
			}
		}
		b.WriteString("\n\n" + pick(r, signoffs[loc]) + "\n" + g.person(m.from, t).first)
	case kindNews:
		b.WriteString(t.subject + "\n\n")
		for range 2 + r.IntN(3) {
			b.WriteString(g.fill(r, pick(r, newsParagraphs), loc) + "\n\n")
		}
		b.WriteString("Unsubscribe: https://" + emailDomain(senders[t.sender].email) + "/unsubscribe")
	default:
		b.WriteString(t.subject + "\n\n")
		for range 1 + r.IntN(2) {
			b.WriteString(g.fill(r, pick(r, sentences[loc]), loc) + "\n")
		}
		if t.kind == kindSpam {
			b.WriteString("\nClick here to claim: http://" + emailDomain(senders[t.sender].email) + "/claim?id=" + strconv.Itoa(r.IntN(1e6)))
		}
	}
	return b.String()
}

func emailDomain(e string) string {
	_, d, _ := strings.Cut(e, "@")
	return d
}

// bodyHTML is message i's HTML: its text in Gmail's divs, or for bulk mail
// a table layout with a style sheet and images with alt text.
func (g *generator) bodyHTML(i int, text string) string {
	t := &g.threads[g.msgs[i].thread]
	r := g.rand(i, 5)
	var b strings.Builder
	esc := htmlEscaper.Replace
	if t.kind == kindConv || t.kind == kindForum {
		b.WriteString(`<div dir="ltr">`)
		quote := false
		for line := range strings.SplitSeq(text, "\n") {
			if strings.HasPrefix(line, ">") && !quote {
				quote = true
				b.WriteString(`<div class="gmail_quote"><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">`)
			}
			line = strings.TrimPrefix(strings.TrimPrefix(line, ">"), " ")
			if line == "" {
				b.WriteString("<div><br></div>")
			} else {
				b.WriteString("<div>" + esc(line) + "</div>")
			}
		}
		if quote {
			b.WriteString("</blockquote></div>")
		}
		b.WriteString("</div>\n")
		return b.String()
	}
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + esc(t.subject) + "</title>")
	b.WriteString("<style>body{font-family:Arial,sans-serif} .btn{background:#1a73e8;color:#fff}</style></head>\n<body><table width=\"600\" align=\"center\">")
	if r.IntN(2) == 0 {
		alt := g.fill(r, pick(r, imageAlts), t.loc)
		fmt.Fprintf(&b, "<tr><td><img src=\"https://%s/img/%d.png\" alt=\"%s\" width=\"600\"></td></tr>\n", emailDomain(senders[t.sender].email), r.IntN(1000), esc(alt))
	}
	for _, para := range strings.Split(text, "\n\n") {
		if para = strings.TrimSpace(para); para != "" {
			b.WriteString("<tr><td><p>" + strings.ReplaceAll(esc(para), "\n", "<br>") + "</p></td></tr>\n")
		}
	}
	b.WriteString("<tr><td><a class=\"btn\" href=\"https://" + emailDomain(senders[t.sender].email) + "/open\">Open</a></td></tr></table></body></html>\n")
	return b.String()
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// makeBlobs draws the attachments generated mail carries: a receipt PDF
// first, then documents, images, a spreadsheet and an invitation, some
// with non-ASCII names.
func makeBlobs(r *rand.Rand) []blob {
	type file struct {
		name, typ string
		data      []byte
	}
	files := []file{
		{"receipt.pdf", "application/pdf", pdfBytes(r, "Receipt", "Order total: 42.00 EUR", "Thank you for your order.")},
		{"report-q3.pdf", "application/pdf", pdfBytes(r, "Quarterly report", "Revenue grew 12%", "See appendix for details.")},
		{"Präsentation.pdf", "application/pdf", pdfBytes(r, "Praesentation", "Projektstand", "Naechste Schritte")},
		{"見積書.pdf", "application/pdf", pdfBytes(r, "Estimate", "Total 150,000 JPY")},
		{"chart.png", "image/png", pngBytes(r)},
		{"IMG_2024.png", "image/png", pngBytes(r)},
		{"budget.csv", "text/csv", []byte("item,amount\r\ntravel,1200\r\nhardware,3400\r\nsoftware,800\r\n")},
		{"invite.ics", "text/calendar", []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Sandbox//Generated//EN\r\nBEGIN:VEVENT\r\nUID:generated-1@example.com\r\nDTSTART:20251120T150000Z\r\nDTEND:20251120T160000Z\r\nSUMMARY:Project sync\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")},
	}
	out := make([]blob, len(files))
	for i, f := range files {
		var b bytes.Buffer
		writeWrapped(&b, base64.StdEncoding.EncodeToString(f.data))
		param, disp := `name="`+f.name+`"`, `filename="`+f.name+`"`
		if !isASCIIString(f.name) {
			// An encoded word in the name, RFC 2231 in the filename, as
			// common mailers write them.
			param = `name="` + mime.BEncoding.Encode("UTF-8", f.name) + `"`
			disp = `filename*=UTF-8''` + percentEncode(f.name)
		}
		out[i] = blob{name: f.name, mimeType: f.typ, b64: b.String(), typeParam: param, dispParam: disp}
	}
	return out
}

func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// pdfBytes writes a one-page PDF with lines of text, padded with a
// comment to a size between 1 and 6 KiB.
func pdfBytes(r *rand.Rand, lines ...string) []byte {
	var content bytes.Buffer
	content.WriteString("BT /F1 14 Tf 40 760 Td 18 TL\n")
	for _, l := range lines {
		fmt.Fprintf(&content, "(%s) Tj T*\n", l)
	}
	content.WriteString("ET")
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n")
	b.WriteString("3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >> endobj\n")
	fmt.Fprintf(&b, "4 0 obj << /Length %d >>\nstream\n%s\nendstream endobj\n", content.Len(), content.String())
	pad := 1024 + r.IntN(5*1024)
	for b.Len() < pad {
		fmt.Fprintf(&b, "%% %016x\n", r.Uint64())
	}
	b.WriteString("trailer << /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

// pngBytes draws a small real PNG: a few coloured bars.
func pngBytes(r *rand.Rand) []byte {
	const w, h = 48, 32
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.White)
		}
	}
	c := color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
	for bar := range 4 {
		top := h - 1 - int(math.Round(float64(h-4)*r.Float64()))
		for x := 4 + bar*11; x < 12+bar*11; x++ {
			for y := h - 1; y >= top; y-- {
				img.Set(x, y, c)
			}
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}
