package mailbox

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/textproto"
	"golang.org/x/text/encoding/charmap"
)

// Header is one header field as Gmail shows it: the name as written in the
// message, the value unfolded and with RFC 2047 encoded-words decoded.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Headers is a header block in the order of the message.
type Headers []Header

// Get returns the value of the first field named name (case-insensitive),
// or "" when there is none.
func (hs Headers) Get(name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// Values returns the values of every field named name (case-insensitive).
func (hs Headers) Values(name string) []string {
	var vs []string
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			vs = append(vs, h.Value)
		}
	}
	return vs
}

// readHeader reads a header block with go-message's reader. A malformed line
// (no colon, a leading space on the first line) ends go-message's read with
// an error after consuming that line; the sandbox skips such lines and reads
// on, as a lenient mail store does, rather than dropping the message.
func readHeader(br *bufio.Reader) Headers {
	var hs Headers
	for range 1000 {
		h, err := textproto.ReadHeader(br)
		fields := h.Fields()
		// Fields iterates in message order.
		for fields.Next() {
			raw, rerr := fields.Raw()
			if rerr != nil {
				continue
			}
			hs = append(hs, decodeField(raw))
		}
		if err == nil || errors.Is(err, io.EOF) || !strings.Contains(err.Error(), "malformed MIME header") {
			return hs
		}
	}
	return hs
}

// decodeField turns one raw "Name: value\r\n continued\r\n" field into a
// Header: the CRLFs are removed, a continuation line's leading TAB becomes a
// space, encoded-words are decoded and RFC 2231 parameters joined.
func decodeField(raw []byte) Header {
	i := bytes.IndexByte(raw, ':')
	name := string(bytes.TrimSpace(raw[:i]))
	v := raw[i+1:]
	v = bytes.ReplaceAll(v, []byte("\r\n\t"), []byte(" "))
	v = bytes.ReplaceAll(v, []byte("\n\t"), []byte(" "))
	v = bytes.ReplaceAll(v, []byte("\r\n"), nil)
	v = bytes.ReplaceAll(v, []byte("\n"), nil)
	value := strings.TrimSpace(toUTF8(v))
	lname := strings.ToLower(name)
	if (lname == "content-type" || lname == "content-disposition") && rfc2231.MatchString(value) {
		if joined, ok := join2231(value); ok {
			return Header{Name: name, Value: joined}
		}
	}
	return Header{Name: name, Value: DecodeWords(value)}
}

// toUTF8 returns raw header bytes as a string; 8-bit bytes that are not
// UTF-8 are read as Windows-1252, the usual culprit.
func toUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	s, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(s)
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// DecodeWords decodes the RFC 2047 encoded-words in s, wherever they stand
// (also inside quoted parameters); adjacent words are joined. A malformed
// word is left as it was.
func DecodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

// rfc2231 matches a parameter written as name*=, name*0= or name*0*=.
var rfc2231 = regexp.MustCompile(`(?i);\s*[a-z0-9_.-]+\*(\d+\*?)?\s*=`)

// join2231 rewrites a Content-Type or Content-Disposition value whose
// parameters use RFC 2231 continuations or extended values as one plain
// `type; name="value"` list, parameters in the order they first appear.
func join2231(value string) (string, bool) {
	typ, params, err := mime.ParseMediaType(value)
	if err != nil {
		return "", false
	}
	if semi := strings.IndexByte(value, ';'); semi > 0 {
		typ = strings.TrimSpace(value[:semi]) // keep the type as written
	}
	var order []string
	seen := map[string]bool{}
	for _, m := range paramName.FindAllStringSubmatch(value, -1) {
		k := strings.ToLower(m[1])
		if _, ok := params[k]; ok && !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
	}
	var b strings.Builder
	b.WriteString(typ)
	for _, k := range order {
		b.WriteString("; ")
		b.WriteString(k)
		b.WriteString(`="`)
		b.WriteString(strings.ReplaceAll(DecodeWords(params[k]), `"`, `\"`))
		b.WriteString(`"`)
	}
	return b.String(), true
}

var paramName = regexp.MustCompile(`;\s*([A-Za-z0-9_.-]+)(?:\*\d*\*?)?\s*=`)

// mediaParams parses a Content-Type or Content-Disposition value that has
// already been decoded. It is lenient: an unparsable value yields its first
// token lower-cased and whatever name/filename parameters a loose match finds.
func mediaParams(value string) (string, map[string]string) {
	typ, params, err := mime.ParseMediaType(value)
	if err == nil || typ != "" {
		if params == nil {
			params = map[string]string{}
		}
		return typ, params
	}
	params = map[string]string{}
	typ = strings.ToLower(strings.TrimSpace(strings.SplitN(value, ";", 2)[0]))
	for _, m := range looseParam.FindAllStringSubmatch(value, -1) {
		k := strings.ToLower(m[1])
		v := m[2]
		if strings.HasPrefix(v, `"`) {
			v = strings.Trim(v, `"`)
		}
		if _, ok := params[k]; !ok {
			params[k] = v
		}
	}
	return typ, params
}

var looseParam = regexp.MustCompile(`(?i);\s*([a-z0-9_.-]+)\s*=\s*("[^"]*"?|[^;\s]*)`)
