package mailbox

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jarvis-hq/jarvis/internal/searchtext"
)

// Generate adds a synthetic mailbox of opt.Count messages (see
// GenerateOptions): threads of varied depth between the owner and a few
// hundred correspondents, newsletters, notifications, mailing lists and
// spam; system, category and user labels; unread mail, attachments, HTML,
// and text in UTF-8, ISO-8859-1, ISO-2022-JP, Shift_JIS, KOI8-R and GB2312
// written quoted-printable, base64 or 7bit. The same options give the same
// messages, ids and labels, provided the store held the same messages
// before. Like Load it records no history.
//
// The store keeps what listing and search need, not the bytes: those are
// rendered again when asked for. Generate returns once the messages are
// listed and their headers searchable; their bodies are indexed (snippet,
// size, text, attachments) in the background, and until then a search
// that needs them waits, and a message read early has its snippet made
// on the spot.
func (s *Store) Generate(opt GenerateOptions) {
	if opt.Count <= 0 {
		return
	}
	opt.Count = min(opt.Count, maxGenerate)
	g := newGenerator(opt)
	msgs := make([]*Message, len(g.msgs))
	parallel(len(msgs), func(i int) { msgs[i] = g.headMessage(i) })

	s.mu.Lock()
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
	s.mu.Unlock()
	s.indexLater(msgs)
}

// parallel calls fn(0) … fn(n-1) on every processor.
func parallel(n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	const chunk = 256
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				start := int(next.Add(chunk)) - chunk
				if start >= n {
					return
				}
				for i := start; i < min(start+chunk, n); i++ {
					fn(i)
				}
			}
		})
	}
	wg.Wait()
}

// headMessage is generated message i with what its headers give: enough
// to list, thread and search it by sender, recipient, subject and date.
// Its body is indexed later (bodyPending).
func (g *generator) headMessage(i int) *Message {
	b := g.build(i, buildHead)
	m := &Message{Date: time.Unix(g.msgs[i].date/1000, 0), gen: g, gi: int32(i), bodyPending: true}
	m.messageID = strings.Trim(g.messageID(i), "<>")
	m.subject = searchtext.Normalize(b.subject)
	m.subjectKey = NormalizeSubject(b.subject)
	m.from = searchtext.Normalize(b.from)
	m.to = searchtext.Normalize(b.to)
	m.cc = searchtext.Normalize(b.cc)
	return m
}

// body is what generated message i's body gives the index.
type body struct {
	snippet, text string
	filenames     []string
	attachment    bool
	size          int
}

func (g *generator) body(i int) body {
	b := g.build(i, buildSkeleton)
	var m Message
	m.indexBody(b.root)
	return body{snippet: m.Snippet, text: m.text, filenames: m.filenames, attachment: m.hasAttachment, size: b.size}
}

func (m *Message) setBody(b body) {
	m.Snippet, m.text, m.filenames, m.hasAttachment, m.Size = b.snippet, b.text, b.filenames, b.attachment, b.size
	m.bodyPending = false
}

// message is generated message i fully indexed, as Parse would index its
// bytes, without parsing.
func (g *generator) message(i int) *Message {
	m := g.headMessage(i)
	m.setBody(g.body(i))
	return m
}

// indexLater indexes the bodies of generated messages in the background,
// a chunk at a time, each chunk filled in under the write lock. A second
// call's work starts after the first's.
func (s *Store) indexLater(msgs []*Message) {
	done := make(chan struct{})
	s.bodyMu.Lock()
	prev := s.bodyDone
	s.bodyDone = done
	s.bodyMu.Unlock()
	go func() {
		defer close(done)
		if prev != nil {
			<-prev
		}
		const chunk = 512
		bodies := make([]body, chunk)
		for start := 0; start < len(msgs); start += chunk {
			part := msgs[start:min(start+chunk, len(msgs))]
			parallel(len(part), func(i int) { bodies[i] = part[i].gen.body(int(part[i].gi)) })
			s.mu.Lock()
			for i, m := range part {
				if m.bodyPending {
					m.setBody(bodies[i])
				}
			}
			s.mu.Unlock()
		}
	}()
}

// WaitIndexed waits until every generated message's body is indexed.
func (s *Store) WaitIndexed() {
	s.bodyMu.Lock()
	ch := s.bodyDone
	s.bodyMu.Unlock()
	if ch != nil {
		<-ch
	}
}

// snippetNow is a message's snippet and size, made on the spot when its
// body is not indexed yet. The caller holds a lock.
func (m *Message) snippetNow() (snippet string, size int) {
	if m.bodyPending {
		b := m.gen.body(int(m.gi))
		return b.snippet, b.size
	}
	return m.Snippet, m.Size
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
