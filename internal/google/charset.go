package google

import (
	"bytes"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
)

// sevenBitCharsets are labels whose genuine content is 7-bit. Gmail has been
// seen serving such parts already transcoded to UTF-8 (and senders mislabel
// UTF-8 as us-ascii), so 8-bit bytes that are valid UTF-8 are read as UTF-8.
var sevenBitCharsets = map[string]bool{
	"":                  true,
	"us-ascii":          true,
	"ascii":             true,
	"ansi_x3.4-1968":    true,
	"iso646-us":         true,
	"us":                true,
	"7bit":              true,
	"iso-2022-jp":       true,
	"iso-2022-jp-1":     true,
	"iso-2022-jp-2":     true,
	"csiso2022jp":       true,
	"iso-2022-kr":       true,
	"iso-2022-cn":       true,
	"iso-2022-cn-ext":   true,
	"utf-7":             true,
	"hz-gb-2312":        true,
	"unicode-1-1-utf-7": true,
}

// normalizeCharset turns a charset parameter into a lookup label.
func normalizeCharset(label string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
}

// lookupEncoding finds an encoding for a label, first by the WHATWG names
// (which map iso-8859-1 to its superset windows-1252, gb2312 to GBK, …),
// then by the IANA registry. It returns nil for unknown labels and for
// labels WHATWG maps to the "replacement" encoding, which would erase the
// text.
func lookupEncoding(label string) encoding.Encoding {
	if e, err := htmlindex.Get(label); err == nil && e != nil && e != encoding.Replacement {
		return e
	}
	for _, idx := range []*ianaindex.Index{ianaindex.MIME, ianaindex.IANA} {
		if e, err := idx.Encoding(label); err == nil && e != nil && e != encoding.Replacement {
			return e
		}
	}
	return nil
}

// isUTF8Label reports whether a label names UTF-8.
func isUTF8Label(label string) bool {
	return label == "utf-8" || label == "utf8" || label == "unicode-1-1-utf-8" || label == "x-unicode20utf8"
}

// decodeCharset converts b, declared to be in charset, to valid UTF-8. It
// never fails and never loses the text: a missing or 7-bit label over
// valid 8-bit UTF-8 is read as UTF-8; an unknown label is read as UTF-8 when
// the bytes are valid UTF-8 and as windows-1252 otherwise; whatever a decoder
// leaves invalid becomes U+FFFD. A leading byte order mark is dropped.
func decodeCharset(b []byte, charset string) string {
	label := normalizeCharset(charset)
	var s string
	switch {
	case isUTF8Label(label):
		s = utf8OrFallback(b)
	case sevenBitCharsets[label] && !isASCII(b) && utf8.Valid(b):
		s = string(b)
	default:
		e := lookupEncoding(label)
		if e == nil {
			s = utf8OrFallback(b)
			break
		}
		out, err := e.NewDecoder().Bytes(b)
		if err != nil {
			s = utf8OrFallback(b)
			break
		}
		s = string(out)
	}
	s = strings.TrimPrefix(s, "\uFEFF")
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

// utf8OrFallback reads b as UTF-8 if it is valid. Otherwise, text that holds
// no valid multi-byte sequence at all is most likely a single-byte charset
// and is read as windows-1252; text that does is UTF-8 with a few bad bytes,
// which become U+FFFD.
func utf8OrFallback(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	if !hasMultibyteRune(b) {
		out, err := charmap.Windows1252.NewDecoder().Bytes(b)
		if err == nil && utf8.Valid(out) {
			return string(out)
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func hasMultibyteRune(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r != utf8.RuneError && n > 1 {
			return true
		}
		b = b[n:]
	}
	return false
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// wordDecoder decodes RFC 2047 encoded-words in any charset x/text knows,
// falling back like decodeCharset for the ones it does not: its
// CharsetReader never fails, so one odd word cannot lose a whole header.
var wordDecoder = &mime.WordDecoder{
	CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		return bytes.NewReader([]byte(decodeCharset(b, charset))), nil
	},
}

// decodeHeader decodes the encoded-words of a header value (Gmail normally
// has already, but a malformed word can come through as it was), leaving
// malformed words as they are, and returns valid UTF-8.
func decodeHeader(v string) string {
	if strings.Contains(v, "=?") {
		if d, err := wordDecoder.DecodeHeader(v); err == nil {
			v = d
		}
	}
	if !utf8.ValidString(v) {
		v = utf8OrFallback([]byte(v))
	}
	return v
}
