package mailbox

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime/quotedprintable"
	"strconv"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// maxDepth bounds the nesting of multiparts and attached messages.
const maxDepth = 40

// Part is one MIME entity of a message, shaped as Gmail's MessagePart.
// A container (multipart/*, message/rfc822) has Parts and no Data; a leaf
// has Data: its bytes with the transfer encoding undone, still in the
// part's own charset.
type Part struct {
	PartID   string
	MimeType string // lower-cased; text/plain when the message has none
	Filename string // from Content-Disposition filename, else Content-Type name
	Headers  Headers
	Data     []byte
	Parts    []*Part

	charset     string
	disposition string
	params      map[string]string // Content-Type parameters, while parsing
}

// IsContainer reports whether p is a multipart or an attached message.
func (p *Part) IsContainer() bool { return p.Parts != nil }

// Attachment reports whether Gmail serves the part's body by attachmentId:
// every non-text leaf and every named text leaf.
func (p *Part) Attachment() bool {
	if p.IsContainer() {
		return false
	}
	return !strings.HasPrefix(p.MimeType, "text/") || p.Filename != ""
}

// Walk calls fn for p and every part below it, depth first, in order.
func (p *Part) Walk(fn func(*Part)) {
	fn(p)
	for _, c := range p.Parts {
		c.Walk(fn)
	}
}

// Find returns the part with the given partId, or nil.
func (p *Part) Find(id string) *Part {
	var found *Part
	p.Walk(func(q *Part) {
		if found == nil && q.PartID == id {
			found = q
		}
	})
	return found
}

// ParseEntity parses raw RFC 5322 bytes into a part tree rooted at partId
// "". It never fails: whatever cannot be parsed is kept as a text/plain leaf
// or dropped, as a lenient mail store does.
func ParseEntity(raw []byte) *Part {
	return parseEntity(raw, "", 0)
}

// parseHead parses only the header block of raw into a root part with no
// body: what format=metadata shows.
func parseHead(raw []byte) *Part {
	p, _ := parseHeader(raw, "")
	p.params = nil
	return p
}

// parseHeader reads an entity's header into a part (type, charset,
// disposition, filename) and returns the part and a reader at the body.
func parseHeader(raw []byte, id string) (*Part, *bufio.Reader) {
	br := bufio.NewReader(bytes.NewReader(raw))
	hs := readHeader(br)
	p := &Part{PartID: id, Headers: hs}
	if hs == nil {
		p.Headers = Headers{}
	}
	p.MimeType, p.params = "text/plain", map[string]string{}
	if ct := hs.Get("Content-Type"); ct != "" {
		typ, params := mediaParams(ct)
		if strings.Contains(typ, "/") {
			p.MimeType, p.params = strings.ToLower(typ), params
		}
	}
	p.charset = strings.ToLower(p.params["charset"])
	if cd := hs.Get("Content-Disposition"); cd != "" {
		disp, dparams := mediaParams(cd)
		p.disposition = strings.ToLower(disp)
		p.Filename = dparams["filename"]
	}
	if p.Filename == "" {
		p.Filename = p.params["name"]
	}
	p.Filename = DecodeWords(p.Filename)
	return p, br
}

func parseEntity(raw []byte, id string, depth int) *Part {
	p, br := parseHeader(raw, id)
	hs := p.Headers
	body, _ := io.ReadAll(br)
	params := p.params
	p.params = nil

	childID := func(i int) string {
		if id == "" {
			return strconv.Itoa(i)
		}
		return id + "." + strconv.Itoa(i)
	}

	switch {
	case depth < maxDepth && strings.HasPrefix(p.MimeType, "multipart/") && params["boundary"] != "":
		p.Parts = []*Part{}
		mr := textproto.NewMultipartReader(bytes.NewReader(body), params["boundary"])
		for i := 0; ; i++ {
			part, err := mr.NextPart()
			if err != nil {
				break // io.EOF, or a truncated multipart: keep what was read
			}
			b, err := io.ReadAll(part)
			if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			p.Parts = append(p.Parts, parseEntity(rebuild(part.Header, b), childID(i), depth+1))
		}
	case depth < maxDepth && p.MimeType == "message/rfc822":
		inner := transferDecode(hs.Get("Content-Transfer-Encoding"), body)
		p.Parts = []*Part{parseEntity(inner, childID(0), depth+1)}
	default:
		p.Data = transferDecode(hs.Get("Content-Transfer-Encoding"), body)
	}
	return p
}

// rebuild writes a multipart body part's header back in front of its body,
// so that every entity goes through one parser.
func rebuild(h textproto.Header, body []byte) []byte {
	var b bytes.Buffer
	fields := h.Fields()
	for fields.Next() {
		if raw, err := fields.Raw(); err == nil {
			b.Write(raw)
		}
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// transferDecode undoes a Content-Transfer-Encoding leniently: broken
// base64 decodes as far as it can, broken quoted-printable keeps its bytes.
func transferDecode(enc string, body []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "base64":
		return decodeBase64(body)
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err != nil {
			return body
		}
		return out
	default:
		return body
	}
}

func decodeBase64(body []byte) []byte {
	clean := make([]byte, 0, len(body))
	for _, c := range body {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, _ := base64.RawStdEncoding.Decode(out, clean)
	return out[:n]
}
