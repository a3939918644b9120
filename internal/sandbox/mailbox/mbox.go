package mailbox

import (
	"bytes"
	"errors"
	"regexp"
)

// ErrNotMbox is returned for a file that does not start with a "From " line.
var ErrNotMbox = errors.New("mailbox: not an mbox file (no leading \"From \" line)")

var quotedFrom = regexp.MustCompile(`(?m)^>(>*From )`)

// SplitMbox splits an mbox file into its messages. A message starts at a
// "From " line at the start of the file or after a blank line; the
// separator line itself is dropped, and mboxrd's ">From " quoting is undone.
// Line endings are kept as they are.
func SplitMbox(data []byte) ([][]byte, error) {
	if !bytes.HasPrefix(data, []byte("From ")) {
		return nil, ErrNotMbox
	}
	var msgs [][]byte
	start := -1
	flush := func(end int) {
		if start >= 0 && start <= end {
			msg := data[start:end]
			// The blank line before the next separator belongs to the framing.
			switch {
			case bytes.HasSuffix(msg, []byte("\r\n\r\n")):
				msg = msg[:len(msg)-2]
			case bytes.HasSuffix(msg, []byte("\n\n")):
				msg = msg[:len(msg)-1]
			}
			msgs = append(msgs, quotedFrom.ReplaceAll(msg, []byte("$1")))
		}
	}
	for pos := 0; pos < len(data); {
		nl := bytes.IndexByte(data[pos:], '\n')
		end := len(data)
		if nl >= 0 {
			end = pos + nl + 1
		}
		line := data[pos:end]
		if bytes.HasPrefix(line, []byte("From ")) && (pos == 0 || blankBefore(data, pos)) {
			flush(pos)
			start = end
		}
		pos = end
	}
	flush(len(data))
	return msgs, nil
}

func blankBefore(data []byte, pos int) bool {
	return bytes.HasSuffix(data[:pos], []byte("\n\n")) || bytes.HasSuffix(data[:pos], []byte("\n\r\n"))
}
