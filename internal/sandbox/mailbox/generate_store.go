package mailbox

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Generate adds a synthetic mailbox of opt.Count messages (see
// GenerateOptions): threads of varied depth between the owner and a few
// hundred correspondents, newsletters, notifications, mailing lists and
// spam; system, category and user labels; unread mail, attachments, HTML,
// and text in UTF-8, ISO-8859-1, ISO-2022-JP, Shift_JIS, KOI8-R and GB2312
// written quoted-printable, base64 or 7bit. The same options give the same
// messages, ids and labels, provided the store held the same messages
// before. Like Load it records no history. The store keeps what listing and
// search need, not the bytes: those are rendered again when asked for.
func (s *Store) Generate(opt GenerateOptions) {
	if opt.Count <= 0 {
		return
	}
	opt.Count = min(opt.Count, maxGenerate)
	g := newGenerator(opt)
	msgs := make([]*Message, len(g.msgs))
	var next atomic.Int64
	var wg sync.WaitGroup
	const chunk = 256
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				start := int(next.Add(chunk)) - chunk
				if start >= len(msgs) {
					return
				}
				for i := start; i < min(start+chunk, len(msgs)); i++ {
					msgs[i] = g.message(i)
				}
			}
		})
	}
	wg.Wait()

	s.mu.Lock()
	defer s.mu.Unlock()
	threads := make([]*thread, len(g.threads))
	added := make([]*entry, len(msgs))
	for i, m := range msgs {
		system, user := g.labels(i)
		labels := system
		if user != "" {
			labels = append(labels, s.userLabel(user))
		}
		sortLabels(labels)
		m.ID = s.newID(m.Date)
		e := &entry{m: m, labels: labels}
		t := threads[g.msgs[i].thread]
		if t == nil {
			t = &thread{id: m.ID, key: m.subjectKey}
			s.threads[t.id] = t
			threads[g.msgs[i].thread] = t
		}
		m.ThreadID = t.id
		m.subjectKey = t.key
		t.msgs = append(t.msgs, e)
		s.msgs[m.ID] = e
		if m.messageID != "" && s.byMessageID[m.messageID] == nil {
			s.byMessageID[m.messageID] = e
		}
		e.historyID = s.nextHistory()
		added[len(msgs)-1-i] = e // newest first
	}
	s.byDate = mergeNewest(s.byDate, added)
	s.oldest = s.historyID
}

// message renders message i and indexes it as Parse would, from what the
// rendering knows rather than by parsing; it keeps no bytes.
func (g *generator) message(i int) *Message {
	b := g.build(i, true)
	m := &Message{Size: b.size, Date: time.Unix(g.msgs[i].date/1000, 0), gen: g, gi: int32(i)}
	m.messageID = strings.Trim(g.messageID(i), "<>")
	m.subject = strings.ToLower(b.subject)
	m.subjectKey = NormalizeSubject(b.subject)
	m.from = strings.ToLower(b.from + " ")
	m.to = strings.ToLower(b.to)
	m.cc = strings.ToLower(b.cc)
	m.indexBody(b.root)
	return m
}

// mergeNewest merges two lists ordered newest first.
func mergeNewest(a, b []*entry) []*entry {
	out := make([]*entry, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if newer(b[0], a[0]) {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	out = append(out, a...)
	return append(out, b...)
}
